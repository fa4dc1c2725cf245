"""The sandbox's real Redis nodes seen from its moto server: the data plane of one replication group.

The primary and the replica redis-server (and their sentinel) back the replication group named like the sentinel's
master (`lab-redis`); other replication groups on the sandbox exist in the control plane only. The moto server learns
where the nodes are from the sandbox's state file (`configure`, at start) and reads it at each call, so it follows
whatever the state file says.
"""

from __future__ import annotations

import sys
from pathlib import Path

from labgrader.sandbox import state as sandbox_state
from labgrader.sandbox.state import SandboxState, SentinelInfo

# The data nodes whose settings follow the parameter group (manager's roles).
DATA_NODE_ROLES = ("primary", "replica")

_sandbox_home: Path | None = None


def configure(sandbox_home: Path | None) -> None:
    """Where the sandbox's state file is: set by the sandbox's moto server at start."""
    global _sandbox_home  # noqa: PLW0603 - one sandbox per moto server process
    _sandbox_home = sandbox_home


def _backing(group_id: str) -> SandboxState | None:
    """The sandbox's state when `group_id` is the replication group its Redis nodes back, else None."""
    if _sandbox_home is None:
        return None
    state = sandbox_state.read(_sandbox_home)
    if state is None or group_id != state.master_name:
        return None
    return state


def set_maxmemory_policy(group_id: str, policy: str | None) -> None:
    """CONFIG SET maxmemory-policy on every data node when `group_id` is the group they back (as a parameter group
    applies to every node of its replication group, so a failover keeps the policy)."""
    state = _backing(group_id)
    if state is None or not policy:
        return
    import redis  # noqa: PLC0415 - loads only in the sandbox's moto server

    for role in DATA_NODE_ROLES:
        record = state.processes.get(role)
        if record is None:
            continue
        client = redis.Redis(port=record.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.config_set("maxmemory-policy", policy)
        except redis.RedisError as exc:  # a node down or password-protected: the grader's Redis checks say so
            print(f"labgrader: maxmemory-policy not applied to the {role} node: {exc}", file=sys.stderr)
        finally:
            client.close()


def fail_over_and_back(group_id: str) -> bool:
    """A real failover of the nodes backing `group_id` through the sandbox's sentinel, then the original primary
    promoted again (so $REDIS_URL names the primary when this returns). False when no node backs `group_id`."""
    state = _backing(group_id)
    if state is None:
        return False
    from labgrader.sandbox import topology  # noqa: PLC0415
    from labgrader.sandbox.locks import topology_lock  # noqa: PLC0415

    info = SentinelInfo("127.0.0.1", state.sentinel_port, state.master_name)
    wanted = topology.Node.from_url(state.redis_url)
    sentinel = topology.Sentinel(info)
    try:
        with topology_lock(info):
            topology.restore(sentinel, wanted)
            old, new, _seconds = sentinel.failover()
            topology.attach(old, new)
            topology.restore(sentinel, wanted)
    finally:
        sentinel.close()
    return True
