from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, api_output, cli_output, group_of
from tests.conftest import load_check, replace_section

CHECK = "elasticache_replicas_present"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "1 primary, 1 replica(s) (primary lab-redis-001, replicas lab-redis-002)" in result.message


def test_fails_without_a_replica(local_target, grade, lab_setup, run_hint):
    built = lab_setup(nodes=1, failover=False, multi_az=False)
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "node group 0001 has 0 replica(s), expected at least 1" in result.message
    name = built.spec.elasticache.replication_group
    assert result.hint_commands == [
        f"aws elasticache increase-replica-count --replication-group-id {name} --new-replica-count 1 "
        "--apply-immediately",
        f"aws elasticache wait replication-group-available --replication-group-id {name}",
    ]
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def check_with(document: dict, solved, **spec_changes):
    name = document["ReplicationGroups"][0]["ReplicationGroupId"]
    spec = replace_section(solved, "elasticache", replication_group=name, **spec_changes)
    clients = StubbedClients()
    clients.add("elasticache", "describe_replication_groups", document, {"ReplicationGroupId": name})
    with clients.active():
        return load_check(CHECK)(elasticache_lookups=Lookups(clients, spec), target=AWS_TARGET)


def test_a_creating_group_is_pending(solved):
    with pytest.raises(CheckPending, match="still creating"):
        check_with(group_of(api_output("CreateReplicationGroup", 0)), solved)


def test_roles_come_from_current_role(solved):
    # The documented group: 1 primary + 3 replicas, roles in NodeGroupMembers[].CurrentRole.
    outcome = check_with(cli_output("elasticache", "describe-replication-groups"), solved, min_replicas=3)
    assert "1 primary, 3 replica(s)" in outcome.message


def test_too_few_replicas_for_the_lab_fail(solved):
    with pytest.raises(CheckFailed, match="has 3 replica\\(s\\), expected at least 4"):
        check_with(cli_output("elasticache", "describe-replication-groups"), solved, min_replicas=4)


def test_a_cluster_mode_enabled_group_counts_each_shard(solved):
    # TestFailover's documented answer is a cluster-mode-enabled group: 3 shards of 3 nodes, no CurrentRole.
    outcome = check_with(group_of(cli_output("elasticache", "test-failover")), solved, min_replicas=2)
    assert "node group 0003: 1 primary, 2 replica(s)" in outcome.message
    assert "cluster mode reports no CurrentRole" in outcome.message


def test_the_api_reference_sharded_group_passes_with_one_replica_per_shard(solved):
    outcome = check_with(api_output("DescribeReplicationGroups"), solved)
    assert "node group 0001: 1 primary, 1 replica(s); node group 0002: 1 primary, 1 replica(s)" in outcome.message


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
