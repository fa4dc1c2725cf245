from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, cli_output, group_of
from tests.conftest import load_check, replace_section

CHECK = "elasticache_multi_az_enabled"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "lab-redis-001 in us-east-1a, lab-redis-002 in us-east-1b" in result.message


def test_fails_with_multi_az_off_and_failover_on(local_target, grade, lab_setup, run_hint):
    built = lab_setup(multi_az=False)
    name = built.spec.elasticache.replication_group
    result = grade(built.spec, local_target, only={CHECK, "elasticache_automatic_failover_enabled"})
    assert result.get("elasticache_automatic_failover_enabled").status == "pass"  # separate verdicts
    failed = result.get(CHECK)
    assert failed.status == "fail"
    assert failed.message == (
        f"ElastiCache replication group {name} has Multi-AZ disabled (automatic failover enabled); "
        "expected Multi-AZ enabled."
    )
    assert failed.hint_commands == [
        f"aws elasticache modify-replication-group --replication-group-id {name} --multi-az-enabled "
        "--apply-immediately",
        f"aws elasticache wait replication-group-available --replication-group-id {name}",
    ]
    run_hint(failed)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_a_single_node_group_gets_a_replica_then_failover_then_multi_az(local_target, grade, lab_setup, run_hint):
    """The order AWS accepts, in one hint: a replica, automatic failover, Multi-AZ."""
    built = lab_setup(nodes=1, failover=False, multi_az=False)
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert [c.split(" --")[0] for c in result.hint_commands] == [
        "aws elasticache increase-replica-count",
        "aws elasticache wait replication-group-available",
        "aws elasticache modify-replication-group",
        "aws elasticache wait replication-group-available",
        "aws elasticache modify-replication-group",
        "aws elasticache wait replication-group-available",
    ]
    run_hint(result)
    graded = grade(built.spec, local_target, only={CHECK, "elasticache_automatic_failover_enabled"})
    assert {c.id: c.status for c in graded.checks if c.status != "skip"} == {
        CHECK: "pass",
        "elasticache_automatic_failover_enabled": "pass",
    }


def check_with(document: dict, solved):
    name = document["ReplicationGroups"][0]["ReplicationGroupId"]
    spec = replace_section(solved, "elasticache", replication_group=name)
    clients = StubbedClients()
    clients.add("elasticache", "describe_replication_groups", document, {"ReplicationGroupId": name})
    with clients.active():
        return load_check(CHECK)(elasticache_lookups=Lookups(clients, spec), target=AWS_TARGET)


def test_the_documented_multi_az_disable_fails(solved):
    # modify-replication-group --no-multi-az-enabled, as documented: failover enabled, Multi-AZ disabled.
    with pytest.raises(CheckFailed, match="test-cluster has Multi-AZ disabled \\(automatic failover enabled\\)"):
        check_with(group_of(cli_output("elasticache", "modify-replication-group")), solved)


def test_every_node_in_one_zone_fails_even_with_the_flag(solved):
    # The documented describe-replication-groups answer has all four nodes in us-west-2a; flag set to enabled here.
    document = cli_output("elasticache", "describe-replication-groups")
    document["ReplicationGroups"][0] |= {"MultiAZ": "enabled", "AutomaticFailover": "enabled"}
    with pytest.raises(CheckFailed, match="every node is in us-west-2a"):
        check_with(document, solved)


def test_the_documented_spread_passes_when_enabled(solved):
    document = group_of(cli_output("elasticache", "modify-replication-group"))
    document["ReplicationGroups"][0]["MultiAZ"] = "enabled"  # the one field changed
    outcome = check_with(document, solved)
    assert "test-cluster-001 in us-west-2c" in outcome.message


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
