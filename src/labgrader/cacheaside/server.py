"""The scenario fork-server: `python -m labgrader.cacheaside.server`, one per grading run, started contained
(containment.py) with the minimal environment. It is on the student's side: untrusted, and trusted with nothing.

It imports boto3, botocore and redis once (≈ 0.3 s), then forks a fresh child per scenario (≈ 3 ms), so each
scenario gets a clean interpreter — the student's module imported anew, no client left over from another
scenario — without paying the imports again. The grader talks to it on a Unix socket (its fd in the
environment): each scenario
request carries two file descriptors, the scenario's own socket to the grader (the child's only channel) and the
write end of its output pipe (the child's stdout and stderr). On `finish` the server kills every other process
of its PID namespace (`kill(-1)`: whatever the module left behind, in any session or group) and reports the
child's exit status. Nothing here observes or judges the module: the grader does, from outside.

In a network namespace of its own (bwrap, unshare), the server also serves the relay's inside (relay.py): before
each fork it listens on 127.0.0.1 at the ports of the destinations the grader names in the request (the module's
DynamoDB endpoint and Redis), each connection forwarded to the grader's Unix socket for it. The scenario process
closes every descriptor it inherits but its own (listeners, relayed connections, the control socket).

Pre-warming keeps semantics: every botocore session shares one data loader (a cache of the service-model JSON
files botocore ships, no credentials or endpoints in it), so a student's `boto3.client("dynamodb")` costs ≈ 10 ms
instead of ≈ 50 ms; sessions, credentials, clients and connections are still created by the student's code.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from labgrader.cacheaside import relay, wire

CONTROL_FD_ENV = "LABGRADER_CONTROL_FD"
# Set by the grader: in a PID namespace of its own, `kill(-1)` reaches exactly the student's processes.
CONTAINMENT_ENV = "LABGRADER_CONTAINMENT"
PR_SET_DUMPABLE = 4
# The relay's TCP listeners of this server, by (address, port): to the Unix socket each forwards to.
_listeners: dict[tuple[str, int], str] = {}


def prewarm() -> None:
    """Import what a cache-aside module imports, and share botocore's data loader between sessions."""
    import boto3  # noqa: PLC0415 - this process exists to pay these imports once
    import boto3.dynamodb.conditions  # noqa: PLC0415
    import boto3.dynamodb.types  # noqa: PLC0415
    import botocore.loaders  # noqa: PLC0415
    import botocore.session  # noqa: PLC0415
    import redis  # noqa: PLC0415

    from labgrader.cacheaside import child  # noqa: F401, PLC0415

    shared = botocore.loaders.create_loader()
    original = botocore.session.create_loader

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        return shared if search_path_string is None else original(search_path_string)

    botocore.session.create_loader = create_loader
    # Build (and drop) a client and a resource once: loads the DynamoDB model into the shared loader and imports
    # what botocore imports lazily. No network: nothing is called.
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")  # noqa: S106
    session.client("dynamodb", endpoint_url="http://127.0.0.1:9")
    session.resource("dynamodb", endpoint_url="http://127.0.0.1:9")
    redis.Redis.from_url("redis://127.0.0.1:9/0")
    gc.collect()
    gc.freeze()  # keep the imported heap shared with the children (no copy-on-write from GC passes)


def in_own_pid_namespace() -> bool:
    # pid 1 or 2 is init (unshare --fork) or init's first child (bwrap): only ever true in a namespace of our own.
    return os.environ.get(CONTAINMENT_ENV) in ("bwrap", "unshare") and os.getpid() <= 2


def _kill_everything_else(child: int) -> None:
    if in_own_pid_namespace():
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)  # every process of the namespace but init and this one
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child, signal.SIGKILL)


def _reap(child: int) -> int:
    """The child's exit code (negative: the signal), reaping every other process that is ours to reap."""
    code = -signal.SIGKILL
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.001)
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
    return code


def _start_child(request: dict[str, Any], scenario_fd: int, output_fd: int, control: socket.socket) -> int:
    pid = os.fork()
    if pid != 0:
        return pid
    # The child: never returns.
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        # The grader's control socket and the relay's listeners and connections stay with the server.
        relay.close_inherited(keep=scenario_fd)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - the process ends with os._exit
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        from labgrader.cacheaside import child  # noqa: PLC0415

        child.serve(request, scenario_fd)
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)


def _relay(entries: Any) -> None:
    """Start the TCP listener of each (address, port, Unix socket path) the grader relays, once per server."""
    for address, port, path in entries if isinstance(entries, list) else ():
        if _listeners.get((address, port)) == path:
            continue
        try:
            relay.listen_inside(str(address), int(port), str(path))
        except (OSError, ValueError, TypeError) as exc:
            print(f"labgrader: no relay on {address}:{port}: {exc}", file=sys.stderr)
            continue
        _listeners[(address, port)] = path


def serve(control: socket.socket) -> None:
    wire.send(control, {"ready": True, "namespace": str(Path("/proc/self/ns/pid").readlink())})
    while True:
        message, fds = wire.receive_with_fds(control)
        if message is None:
            return  # the grader went away
        if "start" not in message or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            return
        scenario_fd, output_fd = fds
        _relay(message.get("relay"))
        child = _start_child(message["start"], scenario_fd, output_fd, control)
        os.close(scenario_fd)
        os.close(output_fd)
        wire.send(control, {"started": True})
        finish, _ = wire.receive_with_fds(control)
        _kill_everything_else(child)
        code = _reap(child)
        if finish is None:
            return
        wire.send(control, {"finished": True, "code": code})


def _not_dumpable() -> None:
    """No ptrace of this process (nor its forks) by the module's processes of the same user: they cannot take
    over the server that kills them. Linux only; elsewhere nothing to do."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes  # noqa: PLC0415

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def main() -> None:
    control = socket.socket(fileno=int(os.environ.pop(CONTROL_FD_ENV)))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Python ≥ 3.12 warns of fork() beside threads (the relay's): the child touches none of their state.
    warnings.filterwarnings("ignore", ".*multi-threaded.*fork", DeprecationWarning)
    _not_dumpable()
    prewarm()
    serve(control)


if __name__ == "__main__":
    main()
