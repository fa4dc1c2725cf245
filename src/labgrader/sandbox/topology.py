"""The sandbox's Redis topology: its primary, replica and sentinel, a real failover through that sentinel (the
local analogue of ElastiCache's TestFailover; AWS's own is labgrader/services/elasticache/failover.py), putting
the topology back afterwards (restore) or after a run stopped half-way (heal), and deleting a run's leftover
scratch keys wherever the data lives now (sweep). Runs take turns on the sandbox through sandbox/locks.py.

On the sandbox the grader owns the infrastructure, so it also puts it back: after a failover the original
primary (the port REDIS_URL names) is promoted again, every other node follows it as a replica with its link up,
and sentinel agrees. Facts this relies on (lab-facts.md, measured here):

* `SENTINEL FAILOVER` promotes the replica in ≈ 0.5 to 1 s, but sentinel reconfigures the old primary only after
  ≈ 8 to 10 s (it waits 4 publish periods before converting a node that still says role:master); the grader sends
  that node REPLICAOF itself, which is what sentinel would send, and waits for the link to come up.
* Sentinel publishes hello messages on the primary every 2 s, which advances the replication offset: a demoted
  node often needs a full resync, so the nodes run with `repl-diskless-sync-delay 0` (a sandbox setting, not the
  student's) to avoid Redis' default 5 s wait.
* After an error a client must rediscover the primary through sentinel; a node killed outright is restarted empty
  (its RDB moved aside) with `--replicaof <new primary>` (the tests do: tests/sandbox/nodes.py): restarted as a
  primary from a stale RDB it would overwrite newer data once sentinel made it follow again.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis

from labgrader import redis_connection
from labgrader.sandbox.locks import SandboxBusyError, interrupts_deferred, topology_lock
from labgrader.sandbox.state import SentinelInfo

PROMOTION_TIMEOUT_S = 20.0
LINK_TIMEOUT_S = 20.0
SWEEP_WAIT_S = 10.0
POLL_S = 0.02
# Sentinel answers these while it cannot start a failover yet (one still running; the replica not yet seen
# healthy, e.g. right after a previous failover reset its view): retry until the deadline.
_RETRYABLE_SENTINEL_ERRORS = ("INPROG", "NOGOODSLAVE")


class FailoverError(Exception):
    """A failover or the restoration of the sandbox topology did not complete: one sentence saying what."""


class NotMonitoredError(FailoverError):
    """The Redis being graded is not the primary the sandbox's sentinel monitors (e.g. --redis-url elsewhere)."""


class PrimaryDownError(FailoverError):
    """The Redis being graded does not answer (its process died): the grader cannot look, the student is not wrong."""


@dataclass(frozen=True, order=True)
class Node:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def from_url(cls, url: str) -> Node:
        parts = urlsplit(url)
        return cls(_canonical_host(parts.hostname or "127.0.0.1"), parts.port or 6379)

    def same_as(self, other: Node) -> bool:
        return self.port == other.port and _canonical_host(self.host) == _canonical_host(other.host)


def _canonical_host(host: str) -> str:
    try:
        return socket.gethostbyname(host)
    except OSError:
        return host


def connect(node: Node, *, timeout: float = 2.0) -> redis.Redis:
    """A client of one node, with the credentials the checks' connections get (a student's AUTH applies to every
    node) and no retries: a node that is down says so at once."""
    host = f"[{node.host}]" if ":" in node.host else node.host
    return redis_connection.connect(f"redis://{host}:{node.port}/0", timeout=timeout)


def deadline_loop(timeout: float, what: str) -> Iterator[float]:
    """Yield the elapsed time until `timeout`, sleeping POLL_S between rounds; then raise FailoverError."""
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            raise FailoverError(f"{what} did not happen within {timeout:.0f} s")
        yield elapsed
        time.sleep(POLL_S)


# --- the sandbox's sentinel -----------------------------------------------------------------------------------


@dataclass
class Timings:
    promote_s: float = 0.0
    rejoin_s: float = 0.0
    failback_s: float = 0.0
    total_s: float = 0.0
    steps: list[str] = field(default_factory=list)


class Sentinel:
    """The sandbox's sentinel and the nodes it monitors."""

    def __init__(self, info: SentinelInfo) -> None:
        self.info = info
        self.client = redis.Redis(
            host=info.host, port=info.port, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
        )

    def close(self) -> None:
        self.client.close()

    def primary(self) -> Node:
        address: Any = self.client.sentinel_get_master_addr_by_name(self.info.master_name)
        if not address:
            raise FailoverError(f"sentinel monitors no primary named {self.info.master_name}")
        return Node(_canonical_host(str(address[0])), int(address[1]))

    def replicas(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.client.sentinel_slaves(self.info.master_name)
        return found

    def nodes(self) -> list[Node]:
        """The primary and every replica sentinel knows (a demoted primary is listed as a replica)."""
        known = [self.primary()]
        for replica in self.replicas():
            node = Node(_canonical_host(str(replica["ip"])), int(replica["port"]))
            if not any(node.same_as(k) for k in known):
                known.append(node)
        return known

    def wait_settled(self, timeout: float = PROMOTION_TIMEOUT_S) -> Node:
        """Wait until sentinel has finished any failover (GET-MASTER-ADDR-BY-NAME names the promoted replica as soon
        as it answers, before sentinel has reset its view and listed the old primary among the replicas)."""
        for _ in deadline_loop(timeout, f"sentinel finishing the failover of {self.info.master_name}"):
            state: Any = self.client.sentinel_master(self.info.master_name)
            if "failover_in_progress" in str(state.get("flags", "")):
                continue
            settled = Node(_canonical_host(str(state["ip"])), int(state["port"]))
            if settled.same_as(self.primary()):
                return settled
        raise AssertionError("unreachable")  # pragma: no cover - deadline_loop raises

    def failover(self, timeout: float = PROMOTION_TIMEOUT_S) -> tuple[Node, Node, float]:
        """`SENTINEL FAILOVER`, then wait until sentinel names another primary that says role:master, and until
        sentinel has finished.

        Returns (old primary, new primary, seconds until a client asking sentinel found the new primary)."""
        old = self.wait_settled(timeout)
        started = time.monotonic()
        for _ in deadline_loop(timeout, f"sentinel accepting SENTINEL FAILOVER {self.info.master_name}"):
            try:
                self.client.sentinel_failover(self.info.master_name)
                break
            except redis.ResponseError as exc:
                if not str(exc).startswith(_RETRYABLE_SENTINEL_ERRORS):
                    raise
        for _ in deadline_loop(timeout, f"the promotion of a replica of {old}"):
            new = self.primary()
            if not new.same_as(old) and role(new) == "master":
                break
        promoted_after = time.monotonic() - started
        self.wait_settled(timeout)
        return old, new, promoted_after

    def promote(self, wanted: Node, timeout: float = PROMOTION_TIMEOUT_S) -> None:
        """Fail over until `wanted` is the primary (it must be a healthy replica of the current one)."""
        for _ in range(len(self.nodes())):
            if self.wait_settled(timeout).same_as(wanted):
                return
            self.failover(timeout)
        if not self.wait_settled(timeout).same_as(wanted):
            raise FailoverError(f"sentinel promoted {self.primary()} instead of {wanted}")


def role(node: Node) -> str | None:
    try:
        client = connect(node, timeout=1.0)
        try:
            return str(client.info("replication").get("role"))
        finally:
            client.close()
    except redis.RedisError:
        return None


def attach(replica: Node, primary: Node, timeout: float = LINK_TIMEOUT_S) -> None:
    """Make `replica` follow `primary` (if it does not yet) and wait until it has acknowledged the primary's data.

    This is the REPLICAOF sentinel would send the demoted node ≈ 10 s later; sent at once, the sandbox is whole
    again in well under a second when a partial resync is possible."""
    node = connect(replica)
    head = connect(primary)
    try:
        info = node.info("replication")
        if not (
            info.get("role") == "slave"
            and Node(_canonical_host(str(info.get("master_host"))), int(info.get("master_port") or 0)).same_as(primary)
        ):
            node.replicaof(primary.host, primary.port)
        for _ in deadline_loop(timeout, f"the replication link of {replica} to {primary}"):
            if node.info("replication").get("master_link_status") == "up":
                break
        # WAIT returns once the replica acknowledged every write the primary had when WAIT was called.
        for _ in deadline_loop(timeout, f"{replica} catching up with {primary}"):
            if int(head.wait(1, 500)) >= 1:
                return
    finally:
        node.close()
        head.close()


def restore(sentinel: Sentinel, wanted: Node, timeout: float = PROMOTION_TIMEOUT_S) -> list[str]:
    """Put the sandbox back: `wanted` is the primary and every other known node follows it with its link up.

    Idempotent; returns what it had to do (empty when the topology was already right)."""
    done: list[str] = []
    sentinel.wait_settled(timeout)
    nodes = sentinel.nodes()
    if not any(n.same_as(wanted) for n in nodes):
        raise NotMonitoredError(f"sentinel does not know {wanted}: REDIS_URL is not the sandbox's monitored primary")
    if role(wanted) is None:  # checked first: replicas would otherwise wait LINK_TIMEOUT_S for a link to it
        raise PrimaryDownError(f"{wanted} does not answer; restart the sandbox (labgrader sandbox down / up)")
    current = sentinel.wait_settled(timeout)
    if not current.same_as(wanted):
        attach(wanted, current, timeout)
        sentinel.promote(wanted, timeout)
        done.append(f"failed back to {wanted}")
    for node in sentinel.nodes():
        if node.same_as(wanted):
            continue
        if role(node) is None:
            raise FailoverError(f"replica {node} does not answer; restart the sandbox (labgrader sandbox down / up)")
        attach(node, wanted, timeout)
    return done


@contextlib.contextmanager
def _sandbox_to_oneself(info: SentinelInfo) -> Iterator[None]:
    """The sandbox to this run alone (locks.topology_lock) with Ctrl-C deferred until the block ends; other runs
    keeping it too long is a failover that could not happen (FailoverError)."""
    try:
        with topology_lock(info), interrupts_deferred():
            yield
    except SandboxBusyError as exc:
        raise FailoverError(str(exc)) from exc


def monitored(info: SentinelInfo, url: str, timeout: float = PROMOTION_TIMEOUT_S) -> bool:
    """Whether the Redis at `url` is one of the nodes the sandbox's sentinel watches (asked once any failover under
    way has ended: half-way, sentinel lists the old primary nowhere for a moment)."""
    sentinel = Sentinel(info)
    try:
        sentinel.wait_settled(timeout)
        wanted = Node.from_url(url)
        return any(n.same_as(wanted) for n in sentinel.nodes())
    finally:
        sentinel.close()


def heal(info: SentinelInfo, primary_url: str, timeout: float = PROMOTION_TIMEOUT_S) -> list[str]:
    """Before a run uses the sandbox's Redis: when an earlier run was stopped half-way through its failover (a
    second Ctrl-C, SIGKILL), put the topology back, so that no check meets a read-only replica at REDIS_URL and
    blames the student. Three queries when nothing is wrong; returns what it had to do. `primary_url` not being
    the monitored primary (--redis-url elsewhere) is not the sandbox's business: nothing is done."""
    wanted = Node.from_url(primary_url)
    sentinel = Sentinel(info)
    try:
        if not any(n.same_as(wanted) for n in sentinel.nodes()):
            return []
        state: Any = sentinel.client.sentinel_master(info.master_name)
        settled = "failover_in_progress" not in str(state.get("flags", ""))
        current = role(wanted)
        if current is None:
            return []  # dead: nothing to put back (every check reports it unreachable)
        if settled and Node(str(state["ip"]), int(state["port"])).same_as(wanted) and current == "master":
            return []
        with _sandbox_to_oneself(info):
            return restore(sentinel, wanted, timeout)
    finally:
        sentinel.close()


def delete_matching(node: Node, patterns: tuple[str, ...]) -> list[str]:
    """Delete every key of `node` matching one of the SCAN patterns; the keys deleted."""
    client = connect(node)
    try:
        found = sorted({str(key) for pattern in patterns for key in client.scan_iter(match=pattern, count=1000)})
        if found:
            client.delete(*found)
        return found
    finally:
        client.close()


def sweep(info: SentinelInfo, primary_url: str, patterns: tuple[str, ...], wait_s: float = SWEEP_WAIT_S) -> list[str]:
    """At the end of a run on the sandbox: delete the run's scratch keys that a check's teardown could not (the
    primary died meanwhile: they live on in the replica). When the primary does not answer, the keys are deleted
    on the primary sentinel names, waiting up to `wait_s` for it to promote the replica (≈ 3 s with down-after
    2000 ms). The patterns name this run's keys only, so deleting them wherever they are is safe. The keys
    deleted."""
    wanted = Node.from_url(primary_url)
    with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError):
        return delete_matching(wanted, patterns)
    sentinel = Sentinel(info)
    try:
        for _ in deadline_loop(wait_s, f"a primary answering instead of {wanted}"):
            try:
                current = sentinel.primary()  # the dead node until sentinel has promoted the replica
            except (redis.ConnectionError, redis.TimeoutError):
                return []  # sentinel is gone too: nobody to ask
            with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError):
                return delete_matching(current, patterns)
    finally:
        sentinel.close()
    raise AssertionError("unreachable")  # pragma: no cover - deadline_loop raises


@dataclass(frozen=True)
class SandboxFailover:
    """What a failover of the sandbox showed."""

    old_primary: Node
    new_primary: Node
    value_after_failover: str | None
    write_after_failover: bool
    acknowledged_by: int
    timings: Timings
    healed_before: list[str]


def sandbox_failover(
    info: SentinelInfo,
    primary_url: str,
    keys: tuple[str, str],
    token: str,
    *,
    timeout: float = PROMOTION_TIMEOUT_S,
) -> SandboxFailover:
    """Fail the sandbox over through sentinel and back, proving the data survives.

    Writes `token` to keys[0] on the primary (acknowledged by a replica: WAIT 1), fails over, reads it on the new
    primary that sentinel names and writes keys[1] there; then promotes the original primary again and waits until
    every node follows it. Both keys are deleted before returning, whatever happened (a Ctrl-C waits for that)."""
    wanted = Node.from_url(primary_url)
    sentinel = Sentinel(info)
    timings = Timings()
    started = time.monotonic()
    try:
        with _sandbox_to_oneself(info):
            healed = restore(sentinel, wanted, timeout)  # a previous run interrupted mid-failover
            before = connect(wanted)
            try:
                before.set(keys[0], token)
                acknowledged = int(before.wait(1, 2000))
            finally:
                before.close()
            value: str | None = None
            wrote = False
            try:
                old, new, timings.promote_s = sentinel.failover(timeout)
                timings.steps.append(f"SENTINEL FAILOVER: {old} → {new} in {timings.promote_s:.2f} s")
                after = connect(new)
                try:
                    raw = after.get(keys[0])
                    value = str(raw) if raw is not None else None
                    wrote = bool(after.set(keys[1], token))
                finally:
                    after.close()
                mark = time.monotonic()
                attach(old, new, timeout)
                timings.rejoin_s = time.monotonic() - mark
                timings.steps.append(f"{old} rejoined as a replica of {new} in {timings.rejoin_s:.2f} s")
            finally:
                mark = time.monotonic()
                restore(sentinel, wanted, timeout)
                timings.failback_s = time.monotonic() - mark
                timings.steps.append(f"failed back to {wanted} in {timings.failback_s:.2f} s")
                cleanup = connect(wanted)
                try:
                    cleanup.delete(*keys)
                finally:
                    cleanup.close()
    finally:
        sentinel.close()
    timings.total_s = time.monotonic() - started
    return SandboxFailover(old, new, value, wrote, acknowledged, timings, healed)
