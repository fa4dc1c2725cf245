from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, api_output, cli_output, group_of
from tests.conftest import load_check, replace_section, unique

CHECK = "elasticache_replication_group_available"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 3
    assert "lab-redis (redis) exists in us-east-1 and is available" in result.message


def test_fails_when_the_replication_group_is_missing(solved, local_target, grade, clients, run_hint):
    spec = replace_section(solved, "elasticache", replication_group=unique("no-such-group"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"{spec.elasticache.replication_group} was not found in us-east-1" in result.message
    name = spec.elasticache.replication_group
    assert result.hint.startswith(f"aws elasticache create-replication-group --replication-group-id {name}")
    assert "--num-cache-clusters 2 --automatic-failover-enabled --multi-az-enabled" in result.hint
    assert result.hint_commands[-1] == f"aws elasticache wait replication-group-available --replication-group-id {name}"
    try:
        run_hint(result)
        assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"
    finally:
        clients.client("elasticache").delete_replication_group(ReplicationGroupId=name)


def test_names_a_near_match(solved, local_target, grade, lab_setup):
    built = lab_setup()
    wanted = built.spec.elasticache.replication_group + "x"
    spec = replace_section(built.spec, "elasticache", replication_group=wanted)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    # The closest name first (other tests' groups may follow it).
    assert f"; found {built.spec.elasticache.replication_group}" in result.message


def check_with(document: dict, name: str, solved):
    """Run the check on an AWS-documented DescribeReplicationGroups answer."""
    spec = replace_section(solved, "elasticache", replication_group=name)
    clients = StubbedClients()
    clients.add("elasticache", "describe_replication_groups", document, {"ReplicationGroupId": name})
    with clients.active():
        return load_check(CHECK)(elasticache_lookups=Lookups(clients, spec), target=AWS_TARGET)


def test_a_creating_group_is_pending(solved):
    # CreateReplicationGroup's documented answer (API reference example): Status "creating".
    document = group_of(api_output("CreateReplicationGroup", 0))
    with pytest.raises(CheckPending, match="my-redis-rg is creating; expected available"):
        check_with(document, "my-redis-rg", solved)


def test_a_modifying_group_is_pending(solved):
    document = group_of(cli_output("elasticache", "modify-replication-group"))
    document["ReplicationGroups"][0]["Status"] = "modifying"  # the one field changed: the state while modifying
    with pytest.raises(CheckPending, match="test-cluster is modifying"):
        check_with(document, "test-cluster", solved)


def test_a_create_failed_group_fails(solved):
    document = cli_output("elasticache", "describe-replication-groups")
    document["ReplicationGroups"][0]["Status"] = "create-failed"  # changed: AWS could not create it
    with pytest.raises(CheckFailed, match="my-cluster is create-failed; expected available"):
        check_with(document, "my-cluster", solved)


def test_the_documented_available_group_passes(solved):
    outcome = check_with(cli_output("elasticache", "describe-replication-groups"), "my-cluster", solved)
    assert "my-cluster exists in us-west-2 and is available" in outcome.message


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
