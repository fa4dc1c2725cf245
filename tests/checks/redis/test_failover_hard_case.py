"""The hard cases of failover, on a sandbox of their own (they kill its processes): the primary SIGKILLed with
acknowledged writes in flight, a grading run finding the sandbox left mid-failover, and a dead replica."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from labgrader.engine import runner
from labgrader.sandbox import manager
from labgrader.sandbox import topology as failover
from labgrader.sandbox.state import SandboxState, SentinelInfo
from labgrader.sandbox.topology import Node
from labgrader.targets import open_target
from tests.hints import run_hint
from tests.sandbox import nodes

pytestmark = pytest.mark.sandbox
CHECK = "redis_failover_recovers"
HEALTHY = "redis_replication_healthy"
PREFIX = "__labgrader__:hard-case:"


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, SandboxState]]:
    home = tmp_path_factory.mktemp("failover-home")
    state = manager.up(home)
    yield home, state
    manager.down(home)


def sentinel_of(state: SandboxState) -> failover.Sentinel:
    return failover.Sentinel(SentinelInfo("127.0.0.1", state.sentinel_port, state.master_name))


def test_sigkill_of_the_primary_loses_no_acknowledged_write(own_sandbox):
    _home, state = own_sandbox
    sentinel = sentinel_of(state)
    original = Node("127.0.0.1", state.processes["primary"].port)
    client = failover.connect(original)
    acknowledged = {}
    for i in range(200):
        key = f"{PREFIX}{i}"
        client.set(key, str(i))
        if client.wait(1, 1000) >= 1:  # acknowledged: the replica has it
            acknowledged[key] = str(i)
    client.bgsave()  # leave an RDB behind: the restarted node must not come back from it
    time.sleep(0.2)
    client.close()
    assert len(acknowledged) == 200

    killed_at = time.monotonic()
    os.kill(state.processes["primary"].pid, signal.SIGKILL)
    # A client's view: on errors, ask sentinel for the primary again, until a write succeeds.
    new_primary = None
    while time.monotonic() - killed_at < 15:
        try:
            candidate = sentinel.primary()
            if not candidate.same_as(original):
                writer = failover.connect(candidate, timeout=0.5)
                try:
                    if writer.set(f"{PREFIX}after", "1"):
                        new_primary = candidate
                        break
                finally:
                    writer.close()
        except (redis.RedisError, failover.FailoverError):
            pass
        time.sleep(0.02)
    writes_back_after = time.monotonic() - killed_at
    assert new_primary is not None, "sentinel never promoted the replica"
    assert 2.0 < writes_back_after < 10.0  # down-after 2000 ms: lab-facts measured ≈ 3.2 s

    survivor = failover.connect(new_primary)
    try:
        assert {k: survivor.get(k) for k in acknowledged} == acknowledged
    finally:
        survivor.close()

    workdir = Path(state.data_dir) / "primary"
    assert (workdir / "dump.rdb").exists()
    record = nodes.restart_empty_replica(state, "primary", new_primary)
    assert record.pid != 0
    assert list(workdir.glob("dump.rdb.stale-*")), "the stale RDB was not moved aside"
    restarted = failover.connect(original)
    try:
        assert restarted.info("replication")["role"] == "slave"
        assert {k: restarted.get(k) for k in acknowledged} == acknowledged
    finally:
        restarted.close()

    # Fail back: the sandbox's REDIS_URL is the primary again, with every acknowledged write.
    failover.restore(sentinel, original)
    back = failover.connect(original)
    try:
        assert back.info("replication")["role"] == "master"
        assert {k: back.get(k) for k in acknowledged} == acknowledged
        back.delete(*acknowledged, f"{PREFIX}after")
    finally:
        back.close()
        sentinel.close()
    print(f"SIGKILL → writes accepted on the new primary after {writes_back_after:.2f} s")


def test_a_run_heals_a_sandbox_left_mid_failover_before_its_first_redis_check(own_sandbox, week8, tmp_path):
    home, state = own_sandbox
    sentinel = sentinel_of(state)
    try:
        old, new, _seconds = sentinel.failover()  # an earlier run killed right after its failover
        assert old.port == state.processes["primary"].port
    finally:
        sentinel.close()
    assert new.port == state.processes["replica"].port
    with open_target("local", week8, sandbox_home=home) as target:
        run = runner.grade(week8, target, out_dir=tmp_path, only=frozenset({"redis_string_ops", CHECK}))
    # redis_string_ops writes: it would have met the read-only replica at REDIS_URL, had the run (its sandbox
    # share, taken with the Redis client) not failed back first; so the failover check finds nothing to heal.
    assert run.get("redis_string_ops").status == "pass", run.get("redis_string_ops").message
    result = run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["healed_before"] == []


def test_fails_when_the_replica_is_dead_and_recovers_once_restarted(own_sandbox, week8, tmp_path):
    """Both checks that see the dead replica print the sandbox's restart; run as printed (last in this module: it
    replaces the module's sandbox), both pass again."""
    home, state = own_sandbox
    both = frozenset({CHECK, HEALTHY})
    with open_target("local", week8, sandbox_home=home) as target:  # resolved while the sandbox is whole
        os.kill(state.processes["replica"].pid, signal.SIGKILL)
        time.sleep(0.1)
        run = runner.grade(week8, target, out_dir=tmp_path / "dead", only=both)
    result, healthy = run.get(CHECK), run.get(HEALTHY)
    assert result.status == "fail"
    assert f"replica 127.0.0.1:{state.processes['replica'].port} does not answer" in result.message
    assert healthy.status == "fail"
    assert "0 replica(s) online of 0 connected, expected at least 1" in healthy.message
    assert healthy.hint_commands == result.hint_commands == ["labgrader sandbox down", "labgrader sandbox up --detach"]

    student = tmp_path / "student"
    student.mkdir()
    run_hint(state, result, student, home)
    with open_target("local", week8, sandbox_home=home) as target:
        again = runner.grade(week8, target, out_dir=tmp_path / "restarted", only=both)
    assert again.get(CHECK).status == "pass", again.get(CHECK).message
    assert again.get(HEALTHY).status == "pass", again.get(HEALTHY).message
