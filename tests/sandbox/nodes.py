"""A sandbox Redis node that died, brought back the sandbox's way: restarted empty, as a replica of the primary
sentinel promoted meanwhile (the tests that kill a node use it; the grader never restarts a node itself)."""

from __future__ import annotations

import time
from pathlib import Path

from labgrader.sandbox import manager
from labgrader.sandbox import state as sandbox_state
from labgrader.sandbox.state import ProcessRecord, SandboxState
from labgrader.sandbox.topology import LINK_TIMEOUT_S, FailoverError, Node, attach, connect, deadline_loop, role

# What a student sets with CONFIG SET in the lab (ElastiCache: the parameter group, which every node shares).
NODE_SETTINGS = ("maxmemory-policy", "maxmemory", "save", "appendonly")


def node_settings(node: Node) -> dict[str, str]:
    client = connect(node)
    try:
        return {name: str(client.config_get(name).get(name, "")) for name in NODE_SETTINGS}
    finally:
        client.close()


def restart_empty_replica(
    state: SandboxState, process_role: str, primary: Node, timeout: float = LINK_TIMEOUT_S
) -> ProcessRecord:
    """Restart the sandbox's redis node `process_role` ("primary" or "replica") after it died, on the same port,
    empty and following `primary`, with the settings `primary` has (the student's CONFIG SET of eviction and
    persistence would otherwise be lost with the process, as a parameter group is not); recorded in the sandbox
    state so `sandbox down` stops it.

    Its dump.rdb is moved aside first: a node restarted from a stale RDB and then made a replica is harmless, but
    one that comes back as a primary serves (and, once followed, spreads) old data."""
    record = state.processes[process_role]
    if record.running():
        raise FailoverError(f"the sandbox's {process_role} (pid {record.pid}) is still running")
    workdir = Path(state.data_dir) / process_role
    for stale in ("dump.rdb", "appendonly.aof"):
        path = workdir / stale
        if path.exists():
            path.rename(workdir / f"{stale}.stale-{int(time.time())}")
    settings = node_settings(primary)
    proc = manager.restart_node(state, process_role, ["--replicaof", primary.host, str(primary.port)])
    node = Node("127.0.0.1", record.port)
    for _ in deadline_loop(timeout, f"the restarted {process_role} answering on port {record.port}"):
        if proc.poll() is not None:
            raise FailoverError(f"the restarted {process_role} exited with code {proc.returncode}")
        if role(node) == "slave":
            break
    client = connect(node)
    try:
        for name, value in settings.items():
            client.config_set(name, value)
    finally:
        client.close()
    attach(node, primary, timeout)
    sandbox_state.write(state)
    return state.processes[process_role]
