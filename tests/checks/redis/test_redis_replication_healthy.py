from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import replace_section

CHECK = "redis_replication_healthy"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(redis_reference, sandbox):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    replica_port = sandbox.processes["replica"].port
    assert f"with 1 replica(s): 127.0.0.1:{replica_port} online" in result.message


def test_fails_without_a_replica(solved, local_target, grade, redis_server):
    """Its hint (restart the sandbox) is not run here: the Redis graded is a throwaway redis-server no sandbox
    manages, and restarting the shared session sandbox would empty it for every other test. The sandbox's own
    replica, killed, is fixed by that hint as printed in test_failover_hard_case.py (a sandbox of its own)."""
    alone = redis_server()
    result = grade(solved, dataclasses.replace(local_target, redis_url=alone), only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "0 replica(s) online of 0 connected, expected at least 1" in result.message
    assert result.hint_commands == ["labgrader sandbox down", "labgrader sandbox up --detach"]


def test_fails_when_the_lab_wants_more_replicas(solved, local_target, grade):
    """No hint can fix this one on the sandbox: it runs exactly one replica by design (the lab specs ask for one);
    on AWS the printed fix is increase-replica-count, which the sandbox's control plane accepts without starting a
    redis-server."""
    spec = replace_section(solved, "redis", min_replicas=2)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "1 replica(s) online of 1 connected, expected at least 2" in result.message
    assert result.hint_commands[0].startswith("aws elasticache increase-replica-count ")


def test_skips_on_containers(solved, local_target, grade):
    containers = dataclasses.replace(
        local_target,
        name="containers",
        sentinel=None,
        unavailable={"elasticache": "no container", "ec2": "no container", "sentinel": "one Redis container"},
    )
    result = grade(solved, containers, only={CHECK}).get(CHECK)
    assert result.status == "skip"
    assert "runs a single Redis without replicas" in result.message


def test_errors_when_redis_is_down(redis_unreachable):
    assert redis_unreachable.get(CHECK).status == "error"
