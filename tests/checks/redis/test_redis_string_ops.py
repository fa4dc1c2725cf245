from __future__ import annotations

import dataclasses
import time

import pytest
import redis


def wait_for_link(replica_url: str, timeout: float = 5.0) -> None:
    """A syncing replica answers LOADING, not READONLY: wait until its link to the primary is up."""
    client = redis.Redis.from_url(replica_url)
    try:
        deadline = time.monotonic() + timeout
        while client.info("replication").get("master_link_status") != "up":
            assert time.monotonic() < deadline, "the throwaway replica never linked to its primary"
            time.sleep(0.02)
    finally:
        client.close()


CHECK = "redis_string_ops"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution_and_leaves_no_key(redis_reference, sandbox_primary):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "answered 14 string commands as expected" in result.message
    assert "INCRBY n 41 → 42" in result.evidence["observed"]
    assert list(sandbox_primary.scan_iter(f"__labgrader__:{redis_reference.extra['run_id']}:*")) == []


def test_fails_on_a_read_only_replica(solved, local_target, grade, redis_server, run_hint):
    primary = redis_server("--repl-diskless-sync-delay", "0")
    replica = redis_server("--replicaof", "127.0.0.1", primary.rsplit(":", 1)[1].split("/")[0])
    wait_for_link(replica)
    target = dataclasses.replace(local_target, redis_url=replica)
    result = grade(solved, target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "refused a write (READONLY: You can't write against a read only replica): it is a read-only replica" in (
        result.message
    )
    assert "PrimaryEndpoint, not ReaderEndpoint" in result.hint_note
    run_hint(result, redis_url=replica)  # the student's REDIS_URL is the node they graded
    assert grade(solved, target, only={CHECK}).get(CHECK).status == "pass"


def test_errors_when_redis_is_down(redis_unreachable):
    assert redis_unreachable.get(CHECK).status == "error"


def test_never_flushes(solved, local_target, grade, recording_proxy, sandbox):
    proxy = recording_proxy(sandbox.redis_url)
    target = dataclasses.replace(local_target, redis_url=proxy.url)
    assert grade(solved, target, only={CHECK, "redis_expiry_semantics"}).get(CHECK).status == "pass"
    assert {"SET", "DEL"} <= proxy.names()
    assert not {"FLUSHALL", "FLUSHDB"} & proxy.names()
