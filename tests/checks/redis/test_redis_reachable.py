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


def test_fails_when_the_endpoint_is_a_replica(solved, local_target, grade, redis_server):
    replica_url = redis_server("--replicaof", "127.0.0.1", str(closed_port()))
    target = dataclasses.replace(local_target, redis_url=replica_url)
    result = grade(solved, target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "read-only replica (role:slave" in result.message
    assert "replicaof no one" in result.hint


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
