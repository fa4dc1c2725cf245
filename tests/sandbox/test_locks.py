"""Grading runs taking turns on the sandbox's Redis (src/labgrader/sandbox/locks.py): shares coexist, a failover
waits for them and gives up after its timeout, and the topology's failover reports that as a FailoverError."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from labgrader.sandbox import state as sandbox_state
from labgrader.sandbox import topology
from labgrader.sandbox.locks import SandboxBusyError, SandboxShare, topology_lock
from labgrader.sandbox.state import SentinelInfo


@pytest.fixture
def info() -> Iterator[SentinelInfo]:
    # No port a real sandbox can have: the lock file is this test's alone.
    sentinel = SentinelInfo("127.0.0.1", 100_000 + os.getpid(), "lab-redis")
    yield sentinel
    with contextlib.suppress(FileNotFoundError):
        sandbox_state.lock_path(sentinel.port).unlink()


def test_shares_coexist_and_a_failover_waits_for_them_then_gives_up(info: SentinelInfo) -> None:
    first, second = SandboxShare(info, timeout=0.2), SandboxShare(info, timeout=0.2)
    try:
        first.acquire()
        second.acquire()
        with pytest.raises(SandboxBusyError, match="kept using the sandbox's Redis"), topology_lock(info, timeout=0.2):
            pytest.fail("the topology lock was granted while runs shared the sandbox")
        first.release()
        second.release()
        with topology_lock(info, timeout=0.2):
            blocked = SandboxShare(info, timeout=0.2)
            with pytest.raises(SandboxBusyError, match="failover held the sandbox"):
                blocked.acquire()
            blocked.close()
    finally:
        first.close()
        second.close()


def test_the_topology_reports_a_busy_sandbox_as_a_failover_that_did_not_happen(
    info: SentinelInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topology, "topology_lock", lambda sentinel: topology_lock(sentinel, timeout=0.2))

    def take_the_sandbox() -> None:
        with topology._sandbox_to_oneself(info):  # the one place heal and sandbox_failover lock
            pytest.fail("the sandbox was granted while another run shared it")

    share = SandboxShare(info)
    share.acquire()
    try:
        with pytest.raises(topology.FailoverError, match="kept using the sandbox's Redis"):
            take_the_sandbox()
    finally:
        share.close()
