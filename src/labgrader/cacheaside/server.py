"""The scenario fork-server: `python -m labgrader.cacheaside.server`, one per grading run.

It imports boto3, botocore and redis once (≈ 0.3 s), then forks a fresh child per scenario (≈ 3 ms), so each
scenario gets a clean interpreter state — the student's module imported anew, its own environment, no client
left over from another scenario — without paying the imports again. The parent (the grader) talks to it over
stdin/stdout, one JSON object per line; each child reports on a pipe of its own, and its printed output goes to a
file whose tail comes back with the outcome. A child that outlives its scenario timeout is killed with its whole
process group.

Pre-warming keeps semantics: every botocore session shares one data loader (a cache of the service-model JSON
files botocore ships, no credentials or endpoints in it), so a student's `boto3.client("dynamodb")` costs ≈ 10 ms
instead of ≈ 50 ms; sessions, credentials, clients and connections are still created by the student's code.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO

from labgrader.cacheaside.protocol import OUTPUT_DIR_ENV

OUTPUT_TAIL = 2000
GRACE_S = 1.0
# The scenario process being run ("pid") and its output file ("output"): a SIGTERM to the server (the grader
# stopping mid-scenario: Ctrl-C, its answer timeout) ends them too, so nothing of the student's module runs on
# after the grader has cleaned up its scratch data.
_running: dict[str, Any] = {}


def prewarm() -> None:
    """Import what a cache-aside module imports, and share botocore's data loader between sessions."""
    import boto3  # noqa: PLC0415 - this process exists to pay these imports once
    import boto3.dynamodb.conditions  # noqa: PLC0415
    import boto3.dynamodb.types  # noqa: PLC0415
    import botocore.loaders  # noqa: PLC0415
    import botocore.session  # noqa: PLC0415
    import redis  # noqa: PLC0415

    from labgrader.cacheaside import child, instrument  # noqa: F401, PLC0415

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
    instrument.install()
    gc.collect()
    gc.freeze()  # keep the imported heap shared with the children (no copy-on-write from GC passes)


def _read_events(fd: int, pid: int, deadline: float) -> tuple[dict[str, Any] | None, str | None, bool]:
    """Read the child's JSON lines until its result, EOF or the deadline: (result, last step, timed out)."""
    buffer = b""
    last_step: str | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, last_step, True
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return None, last_step, False
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            event = json.loads(line)
            if event.get("event") == "step":
                last_step = event.get("label")
            elif event.get("event") == "result":
                return event, last_step, False


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int, grace: float) -> int | None:
    """Wait up to `grace` seconds for the child, then kill its group; its exit status (None if signalled)."""
    deadline = time.monotonic() + grace
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() >= deadline:
            _kill_group(pid)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.002)
    _kill_group(pid)  # whatever the module left running in its group
    return os.waitstatus_to_exitcode(status)


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM: kill the running scenario's process group, then exit."""
    pid = _running.get("pid")
    if pid is not None:
        _kill_group(pid)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if _running.get("output"):
        with contextlib.suppress(OSError):
            Path(_running["output"]).unlink()
    os._exit(128 + signum)


def _child(request: dict[str, Any], write_fd: int, output_fd: int, protocol_fds: tuple[int, ...]) -> None:
    """In the forked child: never returns."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        for fd in (devnull, output_fd, *protocol_fds):
            if fd <= 2:
                continue  # already replaced by dup2 above
            with contextlib.suppress(OSError):
                os.close(fd)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - the process ends with os._exit
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        channel = os.fdopen(write_fd, "w", buffering=1)

        def emit(event: dict[str, Any]) -> None:
            channel.write(json.dumps(event) + "\n")
            channel.flush()

        from labgrader.cacheaside import child  # noqa: PLC0415

        result = child.run(request, emit)
        emit({"event": "result", **result})
    except BaseException as exc:  # noqa: BLE001 - a harness failure is reported, never raised into the server
        with contextlib.suppress(BaseException):
            emit({"event": "result", "status": "grader_error", "error": f"{type(exc).__name__}: {exc}"})
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)


def run_scenario(request: dict[str, Any], protocol_fds: tuple[int, ...] = ()) -> dict[str, Any]:
    module = Path(str(request.get("module", ""))).name
    timeout = float(request.get("timeout_s", 10.0))
    read_fd, write_fd = os.pipe()
    output_fd, output_path = tempfile.mkstemp(prefix="scenario-", suffix=".log", dir=os.environ.get(OUTPUT_DIR_ENV))
    started = time.monotonic()
    # SIGTERM waits until the child is recorded (and the child restores its default disposition first).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(request, write_fd, output_fd, protocol_fds)
    _running.update(pid=pid, output=output_path)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    os.close(write_fd)
    os.close(output_fd)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    try:
        result, last_step, timed_out = _read_events(read_fd, pid, started + timeout)
    finally:
        os.close(read_fd)
    code = _reap(pid, 0.0 if timed_out else GRACE_S)
    _running.pop("pid", None)
    seconds = time.monotonic() - started
    output = Path(output_path)
    try:
        with output.open("rb") as printed:
            printed.seek(max(0, os.fstat(printed.fileno()).st_size - OUTPUT_TAIL))
            tail = printed.read().decode("utf-8", "replace")
    finally:
        output.unlink()
        _running.pop("output", None)
    if result is None:
        if timed_out:
            outcome: dict[str, Any] = {"status": "timeout", "error": f"no answer within {timeout:g} s"}
        else:
            how = f"exit code {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"
            outcome = {"status": "crashed", "error": f"the scenario process ended ({how}) without an answer"}
    else:
        outcome = {k: v for k, v in result.items() if k != "event"}
    outcome.update(module=module, last_step=last_step, output_tail=tail, seconds=seconds)
    outcome.setdefault("steps", [])
    return outcome


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    protocol_fds = (requests.fileno(), answers.fileno())

    def answer(data: dict[str, Any]) -> None:
        answers.write(json.dumps(data).encode() + b"\n")
        answers.flush()

    answer({"ready": True, "pid": os.getpid()})
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer(run_scenario(request, protocol_fds))
        except Exception as exc:  # noqa: BLE001 - keep serving; the grader turns this into `error`
            answer({"status": "grader_error", "module": "", "error": f"{type(exc).__name__}: {exc}", "steps": []})


def main() -> None:
    # The protocol owns the original stdout; anything else printed here goes to stderr.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    signal.signal(signal.SIGTERM, _stop)
    prewarm()
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
