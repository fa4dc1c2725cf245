from __future__ import annotations

import dataclasses

import pytest

from tests.checks.redis.test_redis_string_ops import wait_for_link

CHECK = "redis_expiry_semantics"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(redis_reference, sandbox_primary):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "a key with PEXPIRE 30 was gone after" in result.message
    steps = result.evidence["observed"]
    assert "TTL k (no expiry set) → -1" in steps
    assert "TTL missing → -2" in steps
    assert "TTL k once expired → -2" in steps
    assert list(sandbox_primary.scan_iter(f"__labgrader__:{redis_reference.extra['run_id']}:*")) == []


def test_fails_on_a_read_only_replica(solved, local_target, grade, redis_server, run_hint):
    primary = redis_server("--repl-diskless-sync-delay", "0")
    replica = redis_server("--replicaof", "127.0.0.1", primary.rsplit(":", 1)[1].split("/")[0])
    wait_for_link(replica)
    target = dataclasses.replace(local_target, redis_url=replica)
    result = grade(solved, target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "it is a read-only replica" in result.message
    run_hint(result, redis_url=replica)  # the student's REDIS_URL is the node they graded
    assert grade(solved, target, only={CHECK}).get(CHECK).status == "pass"


def test_errors_when_redis_is_down(redis_unreachable):
    assert redis_unreachable.get(CHECK).status == "error"
