from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, api_output, cli_output, group_of
from tests.conftest import load_check, replace_section

CHECK = "elasticache_automatic_failover_enabled"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["observed"] == "enabled"


def test_fails_when_failover_is_turned_off(local_target, grade, lab_setup, clients, run_hint):
    built = lab_setup()
    name = built.spec.elasticache.replication_group
    # As a student would: aws elasticache modify-replication-group --no-automatic-failover-enabled
    clients.client("elasticache").modify_replication_group(
        ReplicationGroupId=name, AutomaticFailoverEnabled=False, MultiAZEnabled=False, ApplyImmediately=True
    )
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == f"ElastiCache replication group {name} has automatic failover disabled; expected enabled."
    assert result.hint_commands == [
        f"aws elasticache modify-replication-group --replication-group-id {name} --automatic-failover-enabled "
        "--apply-immediately",
        f"aws elasticache wait replication-group-available --replication-group-id {name}",
    ]
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def check_with(document: dict, solved):
    name = document["ReplicationGroups"][0]["ReplicationGroupId"]
    spec = replace_section(solved, "elasticache", replication_group=name)
    clients = StubbedClients()
    clients.add("elasticache", "describe_replication_groups", document, {"ReplicationGroupId": name})
    with clients.active():
        return load_check(CHECK)(elasticache_lookups=Lookups(clients, spec), target=AWS_TARGET)


def test_the_documented_disabled_group_fails(solved):
    with pytest.raises(CheckFailed, match="my-cluster has automatic failover disabled"):
        check_with(cli_output("elasticache", "describe-replication-groups"), solved)


def test_a_pending_enable_is_not_enabled(solved):
    # The trap Prowler shipped (PR #5084): reading PendingModifiedValues. A change to "enabled" that is still
    # pending does not make failover enabled; AutomaticFailover says what holds. (One field added to the doc.)
    document = cli_output("elasticache", "describe-replication-groups")
    document["ReplicationGroups"][0]["PendingModifiedValues"] = {"AutomaticFailoverStatus": "enabled"}
    with pytest.raises(CheckFailed, match="automatic failover disabled"):
        check_with(document, solved)


def test_a_pending_disable_does_not_fail_an_enabled_group(solved):
    document = group_of(cli_output("elasticache", "modify-replication-group"))
    document["ReplicationGroups"][0]["PendingModifiedValues"] = {"AutomaticFailoverStatus": "disabled"}
    outcome = check_with(document, solved)
    assert outcome.evidence.observed == "enabled"


def test_enabling_during_creation_is_pending(solved):
    # The API reference's CreateReplicationGroup example answers AutomaticFailover "enabling".
    with pytest.raises(CheckPending, match="still enabling automatic failover"):
        check_with(group_of(api_output("CreateReplicationGroup", 0)), solved)


def test_a_single_node_group_says_to_add_a_replica_first(solved):
    # create-replication-group's documented answer: one member, failover disabled.
    with pytest.raises(CheckFailed, match="it has 0 replicas, and failover needs one") as failed:
        check_with(group_of(cli_output("elasticache", "create-replication-group")), solved)
    assert failed.value.hint is not None
    assert failed.value.hint.commands[0].startswith("aws elasticache increase-replica-count")


def test_skips_when_the_lab_does_not_ask_for_it(solved, local_target, grade):
    spec = replace_section(solved, "elasticache", automatic_failover=False, multi_az=False)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "skip"
    assert "automatic_failover = false" in result.message


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
