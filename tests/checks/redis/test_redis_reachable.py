from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import closed_port

CHECK = "redis_reachable"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(redis_reference):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "role:master" in result.message


def test_fails_when_the_endpoint_is_a_replica(solved, local_target, grade, redis_server, run_hint):
    replica_url = redis_server("--replicaof", "127.0.0.1", str(closed_port()))
    target = dataclasses.replace(local_target, redis_url=replica_url)
    result = grade(solved, target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "read-only replica (role:slave" in result.message
    assert result.hint_commands == ['redis-cli -u "$REDIS_URL" replicaof no one']
    run_hint(result, redis_url=replica_url)  # the student's REDIS_URL is the node they graded
    assert grade(solved, target, only={CHECK}).get(CHECK).status == "pass"


def test_on_aws_a_replica_endpoint_gets_no_replicaof_command(solved, aws_like, grade, redis_server):
    """ElastiCache refuses REPLICAOF: on AWS the hint only says which endpoint to grade."""
    result = grade(
        solved, aws_like(redis_url=redis_server("--replicaof", "127.0.0.1", str(closed_port()))), only={CHECK}
    )
    assert result.get(CHECK).status == "fail"
    assert result.get(CHECK).hint_commands == []
    assert "PrimaryEndpoint, not ReaderEndpoint" in result.get(CHECK).hint_note


def test_errors_when_redis_is_down(redis_unreachable):
    result = redis_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach Redis" in result.message
    assert "Connection refused" in result.message


def test_on_aws_an_unreachable_endpoint_says_to_run_inside_the_vpc(solved, aws_like, grade):
    target = aws_like(redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    result = grade(solved, target, only={CHECK}).get(CHECK)
    assert result.status == "error"
    assert (
        "ElastiCache is reachable only from inside its VPC: run labgrader on the lab's EC2 instance" in result.message
    )


def test_password_never_appears_in_the_message(solved, local_target, grade, redis_server):
    url = redis_server("--requirepass", "s3cret-pass")
    host_part = url.split("://", 1)[1]
    target = dataclasses.replace(local_target, redis_url=f"redis://:s3cret-pass@{host_part}")
    result = grade(solved, target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert "s3cret-pass" not in result.message
    assert "***" in result.message
