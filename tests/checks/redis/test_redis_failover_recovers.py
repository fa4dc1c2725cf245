from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import redis
from botocore.stub import ANY

from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CheckFailed, CouldNotLook
from labgrader.sandbox import manager
from labgrader.services.elasticache import failover as aws_failover
from labgrader.services.elasticache.lookups import Lookups
from labgrader.services.redis.evaluation import RESTRICTED_COMMANDS
from labgrader.services.redis.scratch import ScratchKeys
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, cli_output, group_of
from tests.checks.redis.test_redis_string_ops import wait_for_link
from tests.conftest import load_check, replace_section

CHECK = "redis_failover_recovers"


@pytest.mark.sandbox
def test_passes_on_the_reference_and_hands_the_sandbox_back(redis_reference, sandbox, sandbox_primary):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert result.message.startswith(f"Sentinel promoted 127.0.0.1:{sandbox.processes['replica'].port} in ")
    assert 0 < result.evidence["promote_s"] < 5
    # The original REDIS_URL is the primary again, its replica linked, sentinel agreeing, no scratch key left.
    assert sandbox_primary.info("replication")["role"] == "master"
    assert sandbox_primary.info("replication")["slave0"]["state"] == "online"
    sentinel = redis.Redis(port=sandbox.sentinel_port, decode_responses=True)
    try:
        assert sentinel.sentinel_get_master_addr_by_name("lab-redis") == (
            "127.0.0.1",
            sandbox.processes["primary"].port,
        )
    finally:
        sentinel.close()
    assert list(sandbox_primary.scan_iter(f"__labgrader__:{redis_reference.extra['run_id']}:*")) == []


@pytest.mark.sandbox
def test_skips_on_aws_without_disruptive(solved, aws_like, grade):
    result = grade(solved, aws_like(), only={CHECK}).get(CHECK)
    assert result.status == "skip"
    assert "not run without --disruptive: ElastiCache TestFailover really fails the primary over" in result.message


@pytest.mark.sandbox
@pytest.mark.usefixtures("primary_restored")
def test_disruptive_runs_testfailover_on_the_sandbox(solved, aws_like, grade):
    # The sandbox has TestFailover (a real failover of its Redis nodes, with AWS's events): the AWS path runs whole.
    result = grade(solved, aws_like(), only={CHECK}, extra_args=("--lab-disruptive",)).get(CHECK)
    assert result.status == "pass", result.message
    assert result.message.startswith(
        "TestFailover moved the primary of lab-redis from lab-redis-001 to lab-redis-002"
    ), result.message


@pytest.mark.sandbox
def test_skips_on_containers(solved, local_target, grade):
    containers = dataclasses.replace(
        local_target, name="containers", sentinel=None, unavailable={"sentinel": "one Redis container without sentinel"}
    )
    result = grade(solved, containers, only={CHECK}).get(CHECK)
    assert result.status == "skip"
    assert result.message == "not possible on the containers target: one Redis container without sentinel"


@pytest.mark.sandbox
def test_skips_when_redis_url_is_not_the_sandboxs_primary(solved, local_target, grade, redis_server):
    elsewhere = dataclasses.replace(local_target, redis_url=redis_server())
    result = grade(solved, elsewhere, only={CHECK}).get(CHECK)
    assert result.status == "skip"
    assert "REDIS_URL is not the sandbox's monitored primary" in result.message


@pytest.mark.sandbox
def test_errors_when_redis_is_down(redis_unreachable):
    result = redis_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach Redis" in result.message


# --- AWS: TestFailover, fed AWS's documented answers ----------------------------------------------------------


def event(source: str, source_type: str, message: str) -> dict:
    """An event shaped as the documented describe-events answer, with TestFailover's documented messages."""
    shaped = copy.deepcopy(cli_output("elasticache", "describe-events")["Events"][0])
    return shaped | {
        "SourceIdentifier": source,
        "SourceType": source_type,
        "Message": message,
        "Date": datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
    }


TEST_FAILOVER_EVENTS = [
    event("test-cluster", "replication-group", "Test Failover API called for node group 0001"),
    event(
        "test-cluster-001",
        "cache-cluster",
        "Failover from primary node test-cluster-001 to replica node test-cluster-002 completed",
    ),
    event(
        "test-cluster",
        "replication-group",
        "Failover from primary node test-cluster-001 to replica node test-cluster-002 completed",
    ),
    event("test-cluster-001", "cache-cluster", "Recovering cache nodes 0001"),
    event("test-cluster-001", "cache-cluster", "Finished recovery for cache nodes 0001"),
    event("some-other-cluster", "cache-cluster", "Cache cluster created"),  # not ours: ignored
]


def swapped(document: dict) -> dict:
    """The group after the failover: test-cluster-002 primary, test-cluster-001 replica (roles swapped)."""
    after = copy.deepcopy(document)
    members = after["ReplicationGroups"][0]["NodeGroups"][0]["NodeGroupMembers"]
    members[0]["CurrentRole"], members[1]["CurrentRole"] = "replica", "primary"
    return after


@pytest.fixture
def elasticache_primary(redis_server, recording_proxy):
    """A Redis primary with one replica (so WAIT 1 is acknowledged), behind a proxy recording every command."""
    primary = redis_server("--repl-diskless-sync-delay", "0")
    replica = redis_server("--replicaof", "127.0.0.1", primary.rsplit(":", 1)[1].split("/")[0])
    wait_for_link(replica)
    return recording_proxy(primary)


def run_on_aws(solved, clients: StubbedClients, url: str):
    spec = replace_section(solved, "elasticache", replication_group="test-cluster")
    check = load_check(CHECK)
    client = redis.Redis.from_url(url, decode_responses=True)
    keys = ScratchKeys(client, Scratch().redis_key)
    try:
        with clients.active():
            return check.__globals__["on_aws"](Lookups(clients, spec), AWS_TARGET, url, keys)
    finally:
        keys.remove()
        client.close()


def test_testfailover_keeps_the_acknowledged_write_and_sends_no_restricted_command(solved, elasticache_primary):
    before = group_of(cli_output("elasticache", "modify-replication-group"))  # failover on, 001 primary
    clients = StubbedClients()
    clients.add("elasticache", "describe_replication_groups", before, {"ReplicationGroupId": "test-cluster"})
    clients.add(
        "elasticache",
        "test_failover",
        cli_output("elasticache", "modify-replication-group"),
        {"ReplicationGroupId": "test-cluster", "NodeGroupId": "0001"},
    )
    clients.add("elasticache", "describe_events", {"Events": TEST_FAILOVER_EVENTS}, {"StartTime": ANY})
    clients.add("elasticache", "describe_replication_groups", swapped(before), {"ReplicationGroupId": "test-cluster"})
    outcome = run_on_aws(solved, clients, elasticache_primary.url)
    assert outcome.message.startswith(
        "TestFailover moved the primary of test-cluster from test-cluster-001 to test-cluster-002 in "
    )
    assert outcome.evidence.extra["events"][-1] == "Finished recovery for cache nodes 0001"
    sent = elasticache_primary.names()
    assert {"SET", "WAIT", "GET", "DEL"} <= sent
    assert not {name.split(" ")[0] for name in sent} & RESTRICTED_COMMANDS


def test_testfailover_quota_is_an_error_not_a_fail(solved, elasticache_primary):
    before = group_of(cli_output("elasticache", "modify-replication-group"))
    clients = StubbedClients()
    clients.add("elasticache", "describe_replication_groups", before, {"ReplicationGroupId": "test-cluster"})
    clients.add_error("elasticache", "test_failover", "APICallRateForCustomerExceeded")
    with pytest.raises(CouldNotLook, match="it allows 15 node groups per rolling 24 h"):
        run_on_aws(solved, clients, elasticache_primary.url)


def test_no_failover_without_automatic_failover(solved, elasticache_primary):
    clients = StubbedClients()
    documented = cli_output("elasticache", "describe-replication-groups")  # AutomaticFailover disabled
    documented["ReplicationGroups"][0]["ReplicationGroupId"] = "test-cluster"  # renamed for the lab spec
    clients.add("elasticache", "describe_replication_groups", documented, {"ReplicationGroupId": "test-cluster"})
    with pytest.raises(CheckFailed, match="has automatic failover disabled, so it cannot fail over") as failed:
        run_on_aws(solved, clients, elasticache_primary.url)
    assert "prerequisite: elasticache_automatic_failover_enabled" in failed.value.message
    assert elasticache_primary.names() == set()  # nothing written before the verdict


def test_testfailover_that_never_completes_times_out():
    before = group_of(cli_output("elasticache", "modify-replication-group"))
    clients = StubbedClients()
    clients.add("elasticache", "test_failover", cli_output("elasticache", "modify-replication-group"))
    modifying = copy.deepcopy(before)
    modifying["ReplicationGroups"][0]["Status"] = "modifying"
    for _round in range(3):
        clients.add("elasticache", "describe_events", {"Events": TEST_FAILOVER_EVENTS[:1]}, {"StartTime": ANY})
        clients.add("elasticache", "describe_replication_groups", modifying, {"ReplicationGroupId": "test-cluster"})
    clock = iter([0.0, 0.0, 800.0, 1600.0])
    slept: list[float] = []
    with (
        clients.active(),
        pytest.raises(aws_failover.AwsFailoverError, match="did not complete within 25 min \\(status modifying"),
    ):
        aws_failover.aws_test_failover(
            clients.client("elasticache"), before["ReplicationGroups"][0], clock=lambda: next(clock), sleep=slept.append
        )
    assert slept == [15.0, 15.0]


@pytest.mark.sandbox
@pytest.mark.usefixtures("primary_restored")
def test_the_cli_flag_turns_testfailover_on(solved, sandbox, tmp_path):
    # `labgrader grade --target aws --disruptive`, with the AWS SDK and REDIS_URL pointed at the sandbox: the check
    # runs TestFailover (the sandbox has it) instead of skipping.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    env |= manager.env_exports(sandbox) | {"LABGRADER_HOME": str(tmp_path / "home")}
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "labgrader",
            "grade",
            "--target",
            "aws",
            "--disruptive",
            "--out",
            str(out),
            "--",
            "-k",
            CHECK,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = {c["id"]: c for c in json.loads((out / "results.json").read_text())["checks"]}
    assert results[CHECK]["status"] == "pass", done.stdout + done.stderr
    assert results[CHECK]["message"].startswith("TestFailover moved the primary of lab-redis")
    assert done.returncode == 0
