"""Grading runs taking turns on the sandbox's Redis: a shared lock while a run's checks use it, an exclusive one
for a failover (one at a time, no other run's Redis check meanwhile), and Ctrl-C deferred until a failover
has put the topology back (sandbox/topology.py).

The lock is a file per sentinel port (sandbox/state.py: lock_path), so separate processes and separate
checkouts grading the same sandbox see each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labgrader.sandbox import state as sandbox_state
from labgrader.sandbox.state import SentinelInfo

LOCK_TIMEOUT_S = 120.0


class SandboxBusyError(Exception):
    """Other grading runs kept the sandbox's Redis (or its topology) to themselves longer than the timeout."""


def _lock_file(sentinel: SentinelInfo) -> Path:
    return sandbox_state.lock_path(sentinel.port)


def _flock(handle: Any, mode: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SandboxBusyError(f"{what} for {timeout:.0f} s") from None
            time.sleep(0.05)
        else:
            return


class SandboxShare:
    """A grading run's share of the sandbox's Redis: held (flock LOCK_SH) while its checks use Redis, so that
    another run's failover (LOCK_EX) waits for them, and they wait for it, instead of meeting a read-only replica
    half-way. The failover of the run holding this share gives it up first (`release`), so two runs failing over
    at once take turns instead of deadlocking."""

    def __init__(self, sentinel: SentinelInfo, timeout: float = LOCK_TIMEOUT_S) -> None:
        self.sentinel = sentinel
        self.timeout = timeout
        self._handle = _lock_file(sentinel).open("a")
        self.held = False

    def acquire(self) -> None:
        if not self.held:
            _flock(self._handle, fcntl.LOCK_SH, self.timeout, "another grading run's failover held the sandbox")
            self.held = True

    def release(self) -> None:
        if self.held:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self.held = False

    def close(self) -> None:
        self.release()
        self._handle.close()


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT) inside the block takes effect when the block ends: a failover, once started, is put back
    (≈ 2 s) before the run stops, instead of leaving the sandbox's REDIS_URL on a read-only replica. A second
    Ctrl-C stops at once (the next grading run heals the sandbox then: `heal`). Only in the main thread, where
    Python delivers signals; elsewhere the block runs unprotected."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # a handler installed outside Python: leave it alone
        yield
        return
    received: list[int] = []

    def defer(signum: int, _frame: object) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)

    signal.signal(signal.SIGINT, defer)
    try:
        yield
    except BaseException as exc:
        if received and not isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


@contextlib.contextmanager
def topology_lock(sentinel: SentinelInfo, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """The sandbox to oneself (LOCK_EX) for a failover: one at a time, and no other run's Redis check meanwhile."""
    with _lock_file(sentinel).open("a") as handle:
        _flock(handle, fcntl.LOCK_EX, timeout, "other grading runs kept using the sandbox's Redis")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
