"""`labgrader grade --setup SCRIPT`: grade a submission from scratch in one command.

A fresh environment (a sandbox with a home of its own on free ports, or fresh containers), the student's setup
script run in it with bash, then the usual grading, then everything torn down, also on Ctrl-C or SIGTERM.

The script is student code: it runs with the cache-aside module's containment (cacheaside/containment.py), with a
minimal environment (the `labgrader sandbox env` exports, PATH with `aws` and `redis-cli`, nothing of the grader's),
from a scratch copy of the script's folder (so `file://items.json` beside it works, and what it writes there is
thrown away). Under bubblewrap that copy is all it may write: the grader's files and `--out` are read-only to it.
A trap file (BASH_ENV) reports every failing command (line, exit code, the command) on a pipe of its own, and marks
in the output stream where each command starts and where it failed, so each failure is shown with its own last line
of output. A script that sets its own ERR or DEBUG trap replaces these: its failures then show only as its exit code
and the checks they broke. The clock and the kill are the grader's: at the timeout the whole process tree is killed.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgrader import redis_connection
from labgrader.cacheaside import containment
from labgrader.engine.redaction import Redactor
from labgrader.reports.setup_section import MAX_COMMAND_CHARS, MAX_LINE_CHARS, MAX_SHOWN, inert, summary_lines
from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from labgrader.spec import LabSpec
from labgrader.targets import open_target
from labgrader.targets.base import Target, TargetError

DEFAULT_TIMEOUT_S = 300.0
# What is kept of the script's output and of its failures: enough to explain, never the grader's memory.
OUTPUT_TAIL_BYTES = 16 * 1024
OUTPUT_TAIL_LINES = 20
# The script's folder is copied for it; a folder larger than this is refused (exit 2) instead of copied.
MAX_FOLDER_BYTES = 64 * 1024**2
MAX_FOLDER_FILES = 5000
READY_TIMEOUT_S = 30.0
# Each readiness probe of a fresh container: one attempt, this long to connect and this long to read the answer.
PROBE_TIMEOUT_S = 1.0
# Where the script's environment says which fresh environment it runs in ("local" or "containers").
TARGET_VARIABLE = "LABGRADER_SETUP_TARGET"
CONTAINER_LABEL = "labgrader.setup-run"


class SetupError(TargetError):
    """The --setup run cannot start (bad script path, folder too large): one line, exit 2 or 3."""


@dataclass
class FailedCommand:
    line: int
    exit_code: int
    command: str
    last_output: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "exit_code": self.exit_code,
            "command": self.command,
            "last_output": self.last_output,
        }


@dataclass
class SetupResult:
    """What the grader saw of the script: its exit, its clock, the failing commands its ERR trap reported."""

    script: str
    exit_code: int | None
    duration_s: float
    timeout_s: float
    timed_out: bool = False
    failures: list[FailedCommand] = field(default_factory=list)
    more_failures: int = 0
    output_tail: list[str] = field(default_factory=list)
    containment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "script": self.script,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 2),
            "timeout_s": self.timeout_s,
            "timed_out": self.timed_out,
            "failed_commands": [f.to_dict() for f in self.failures],
            "more_failed_commands": self.more_failures,
            "output_tail": self.output_tail,
            "containment": self.containment,
        }


# --- running the script ------------------------------------------------------------------------------------------


def _trap_file(folder: Path, fd: int, marks: _Output) -> Path:
    """Sourced by bash (BASH_ENV) before the script. A DEBUG trap marks where each command's output starts and the ERR
    trap where a failure happened, both on stderr (in order with the output); the ERR trap also reports the failure
    (exit code, line, command) on fd `fd`, which a script's own redirections of stderr do not lose."""
    path = folder / "labgrader-err-trap.sh"
    path.write_text(
        "unset BASH_ENV\n"
        "set -o errtrace\n"
        "__labgrader_failed() {\n"
        "    local command=\"${3//$'\\n'/ }\"\n"
        f"    printf '\\n%s\\n' '{marks.failure_mark}' >&2\n"
        f'    printf \'%s\\t%s\\t%s\\n\' "$1" "$2" "${{command:0:{MAX_COMMAND_CHARS}}}" >&{fd} 2>/dev/null\n'
        "}\n"
        'trap \'__labgrader_failed "$?" "$LINENO" "$BASH_COMMAND"\' ERR\n'
        f'trap \'printf "\\n%s\\n" "{marks.command_mark}" >&2\' DEBUG\n',
        encoding="utf-8",
    )
    path.chmod(0o644)
    return path


def _copy_folder(source: Path, destination: Path) -> None:
    """A copy of the script's folder for it to run in (symbolic links stay links; .git is left out)."""
    total, files = 0, 0
    for root, dirs, names in os.walk(source):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            files += 1
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_size
            if files > MAX_FOLDER_FILES or total > MAX_FOLDER_BYTES:
                raise SetupError(
                    f"--setup: the script's folder {source} holds more than {MAX_FOLDER_FILES} files or "
                    f"{MAX_FOLDER_BYTES // 1024**2} MB; put the script in a folder of its own (with what it reads)."
                )
    shutil.copytree(source, destination, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    destination.chmod(0o777)


def tool_folders() -> list[Path]:
    """Where `aws` (the one installed with labgrader first) and `redis-cli` are: the script's PATH starts there."""
    folders: list[Path] = [Path(sys.executable).parent]
    for tool in ("aws", "redis-cli"):
        found = shutil.which(tool, path=os.pathsep.join([str(folders[0]), os.environ.get("PATH", "")]))
        if found:
            folders.append(Path(found).parent)
    return list(dict.fromkeys(folders))


def script_environment(exports: Mapping[str, str], target_name: str) -> dict[str, str]:
    """The script's whole environment: the environment's exports, a PATH with the lab's tools, nothing else."""
    path = [*(str(p) for p in tool_folders()), "/usr/local/bin", "/usr/bin", "/bin"]
    return {
        **exports,
        "PATH": os.pathsep.join(dict.fromkeys(path)),
        "LANG": "C.UTF-8",
        "AWS_PAGER": "",
        TARGET_VARIABLE: target_name,
    }


class _Output:
    """The script's output as lines: the last OUTPUT_TAIL_LINES kept, the trap's marks taken out. At each failure
    mark, the last line since the last command mark is that command's last line of output ("" if it printed none)."""

    def __init__(self) -> None:
        nonce = uuid.uuid4().hex[:12]
        self.command_mark = f"\x1f{nonce}c"
        self.failure_mark = f"\x1f{nonce}f"
        self.tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)
        self.partial = b""
        self.since_command = ""
        self.before_last_mark = ""
        self.at_failures: deque[str] = deque(maxlen=MAX_SHOWN + 1)

    def add(self, chunk: bytes) -> None:
        *complete, self.partial = (self.partial + chunk).split(b"\n")
        if len(self.partial) > OUTPUT_TAIL_BYTES:  # a line without end: shown cut
            complete.append(self.partial)
            self.partial = b""
        for raw in complete:
            self._line(raw.decode("utf-8", errors="replace"))

    def finish(self) -> None:
        if self.partial:
            self._line(self.partial.decode("utf-8", errors="replace"))
            self.partial = b""

    def _line(self, text: str) -> None:
        if text == self.command_mark:
            self.before_last_mark, self.since_command = self.since_command, ""
        elif text == self.failure_mark:
            # bash runs the DEBUG trap once more just before the ERR trap: the failing command's output is then
            # what came before that last mark.
            self.at_failures.append(self.since_command or self.before_last_mark)
        elif text.strip():
            line = inert(text, MAX_LINE_CHARS)
            self.tail.append(line)
            self.since_command = line

    def last_output_of_failure(self) -> str:
        """For the next failure report, in order; "" when its mark never came (the script sent stderr elsewhere)."""
        return self.at_failures.popleft() if self.at_failures else ""


def run_script(
    script: Path,
    exports: Mapping[str, str],
    *,
    target_name: str,
    timeout: float,
) -> SetupResult:
    """Run `script` with bash, contained, in a scratch copy of its folder; killed (whole tree) at `timeout`."""
    started = time.monotonic()
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="labgrader-setup-"))
        stack.callback(shutil.rmtree, work, True)
        work.chmod(0o755)
        folder = work / "submission"
        _copy_folder(script.parent, folder)
        out_read, out_write = os.pipe()
        fail_read, fail_write = os.pipe()
        for fd in (out_read, fail_read):
            stack.callback(os.close, fd)
        output = _Output()
        trap = _trap_file(work, fail_write, output)
        env = script_environment(exports, target_name) | {"BASH_ENV": str(trap)}
        bash = shutil.which("bash") or "/bin/bash"
        try:
            sandbox = containment.start(
                [bash, "--noprofile", "--norc", str(folder / script.name)],
                env=env,
                pass_fds=(fail_write,),
                stderr=out_write,
                visible=[work, *tool_folders()],
                writable=[folder],
                cwd=folder,
            )
        finally:
            os.close(out_write)
            os.close(fail_write)
        stack.callback(sandbox.close)
        result = SetupResult(
            script=script.name, exit_code=None, duration_s=0.0, timeout_s=timeout, containment=sandbox.level
        )
        _follow(sandbox, out_read, fail_read, result, output, started + timeout)
        try:
            sandbox.proc.wait(timeout=5)  # the pipes close when bash ends; bwrap itself ends just after
        except subprocess.TimeoutExpired:
            sandbox.kill()
        result.exit_code = None if result.timed_out else sandbox.proc.returncode
        result.duration_s = time.monotonic() - started
        return result
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow


def _follow(  # noqa: PLR0917 - one private call site
    sandbox: containment.Sandbox,
    out_read: int,
    fail_read: int,
    result: SetupResult,
    output: _Output,
    deadline: float,
) -> None:
    """Read output and failure reports until the script exits (or the deadline kills it) and the pipes close.

    Output is drained before failure reports on each wake-up: a command's output is in its pipe before the ERR
    trap that follows it writes, so the last output line paired with a failure is that command's."""
    pending = b""
    open_fds = {out_read, fail_read}
    for fd in open_fds:
        os.set_blocking(fd, False)
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for fd in open_fds:
            selector.register(fd, selectors.EVENT_READ)
        while open_fds:
            now = time.monotonic()
            if exited_at is None and sandbox.proc.poll() is not None:
                exited_at = now
            if exited_at is None and now >= deadline:
                result.timed_out = True
                sandbox.kill()
                exited_at = now
            if exited_at is not None and now - exited_at > 1.0:
                # The script is gone but something it left behind holds the pipes: the whole tree is killed.
                sandbox.kill()
                if now - exited_at > 3.0:
                    break
            selector.select(timeout=0.1)
            while out_read in open_fds:
                chunk = _read(out_read)
                if chunk is None:
                    break
                if not chunk:
                    open_fds.discard(out_read)
                    selector.unregister(out_read)
                    break
                output.add(chunk)
            if fail_read in open_fds:
                chunk = _read(fail_read)
                if chunk == b"":
                    open_fds.discard(fail_read)
                    selector.unregister(fail_read)
                elif chunk:
                    pending += chunk
                    *records, rest = pending.split(b"\n")
                    pending = rest[-4096:]
                    for record in records:
                        _add_failure(result, record, output.last_output_of_failure())
    output.finish()
    result.output_tail = list(output.tail)


def _read(fd: int) -> bytes | None:
    """Up to 64 KiB; b"" at end of file; None when nothing is there yet."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None


def _add_failure(result: SetupResult, record: bytes, last_output: str) -> None:
    parts = record.decode("utf-8", errors="replace").split("\t", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return  # not the trap's line (the script wrote on the trap's descriptor itself)
    if len(result.failures) >= MAX_SHOWN:
        result.more_failures += 1
        return
    result.failures.append(
        FailedCommand(
            line=int(parts[1]),
            exit_code=int(parts[0]),
            command=inert(parts[2], MAX_COMMAND_CHARS),
            last_output=last_output,
        )
    )


# --- fresh environments ------------------------------------------------------------------------------------------


@contextmanager
def fresh_sandbox(spec: LabSpec, region: str) -> Iterator[tuple[Target, dict[str, str]]]:
    """A sandbox with a home of its own (free ports), stopped and removed afterwards."""
    from labgrader.sandbox import manager  # noqa: PLC0415 - moto and redis only when a sandbox is wanted

    home = Path(tempfile.mkdtemp(prefix="labgrader-setup-home-"))
    try:
        try:
            state = manager.up(home, region=region)
        except manager.SandboxError as exc:
            raise SetupError(f"--setup: the fresh sandbox did not start: {exc}", exit_code=3) from None
        with open_target("local", spec, sandbox_home=home) as target:
            yield target, manager.env_exports(state)
    finally:
        with _signals_ignored():
            manager.down(home)
            shutil.rmtree(home, ignore_errors=True)


@contextmanager
def fresh_containers(region: str) -> Iterator[tuple[Target, dict[str, str]]]:
    """Fresh DynamoDB + Redis containers (testcontainers, no reaper: removed here, by label, whatever happens)."""
    # Read when testcontainers is imported: loopback only, and no reaper (its image is not always pullable).
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    os.environ.setdefault("TC_HOST", "127.0.0.1")
    from labgrader.targets import containers  # noqa: PLC0415

    run_label = uuid.uuid4().hex
    try:
        with containers.started(region, labels={CONTAINER_LABEL: run_label}) as target:
            _wait_ready(target)
            assert target.endpoint_url is not None
            assert target.redis_url is not None
            yield (
                target,
                {
                    "AWS_ENDPOINT_URL": target.endpoint_url,
                    "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
                    "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
                    "AWS_DEFAULT_REGION": region,
                    "AWS_REGION": region,
                    "REDIS_URL": target.redis_url,
                },
            )
    finally:
        with _signals_ignored():
            remove_labelled_containers(run_label)


def remove_labelled_containers(run_label: str) -> None:
    """Remove what an interrupted start left (a container created but not yet handed back to testcontainers)."""
    try:
        import docker  # type: ignore[import-untyped]  # noqa: PLC0415 - testcontainers' own dependency

        client = docker.from_env()
    except Exception:  # noqa: BLE001 - no engine, nothing to remove
        return
    try:
        for container in client.containers.list(all=True, filters={"label": f"{CONTAINER_LABEL}={run_label}"}):
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
    except Exception:  # noqa: BLE001,S110 - the engine went away: nothing more can be done
        pass
    finally:
        client.close()


def _wait_ready(target: Target, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
    """Both containers answer (the DynamoDB one a ListTables), or one line and exit 3 within `ready_timeout_s`.

    Each probe is one attempt with short timeouts (botocore's defaults are 60 s per read and retries; redis-py's,
    retries): a container that accepts connections but never answers cannot hold the run past the deadline."""
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    client = boto3.client(
        "dynamodb",
        endpoint_url=target.endpoint_url,
        region_name=target.region,
        aws_access_key_id=SANDBOX_ACCESS_KEY,
        aws_secret_access_key=SANDBOX_SECRET_KEY,
        config=Config(
            connect_timeout=PROBE_TIMEOUT_S,
            read_timeout=PROBE_TIMEOUT_S,
            retries={"total_max_attempts": 1, "mode": "standard"},
        ),
    )
    cache = redis_connection.connect(target.redis_url or "", timeout=PROBE_TIMEOUT_S, connect_timeout=PROBE_TIMEOUT_S)
    deadline = time.monotonic() + ready_timeout_s
    try:
        for what, probe in (("Redis", cache.ping), ("DynamoDB", lambda: client.list_tables(Limit=1))):
            while True:
                try:
                    probe()
                    break
                except Exception:  # noqa: BLE001 - anything but an answer means "not yet"
                    time.sleep(0.1)
                    # A probe takes at most its connect and read timeouts: one that could not finish in time
                    # is not started.
                    if time.monotonic() + 2 * PROBE_TIMEOUT_S > deadline:
                        raise SetupError(
                            f"--setup: the fresh {what} container did not answer within {ready_timeout_s:g} s.",
                            exit_code=3,
                        ) from None
    finally:
        cache.close()
        client.close()


# --- signals -------------------------------------------------------------------------------------------------------


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run like Ctrl-C does (KeyboardInterrupt), so every teardown runs."""
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    with _handled((signal.SIGTERM, signal.SIGHUP), _raise_interrupt):
        yield


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """Teardown is not interrupted by a second Ctrl-C: it is what leaves nothing behind."""
    with _handled((signal.SIGINT, signal.SIGTERM, signal.SIGHUP), signal.SIG_IGN):
        yield


@contextmanager
def _handled(signals: tuple[signal.Signals, ...], handler: Any) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, restored in previous.items():
            signal.signal(sig, restored)


@contextmanager
def fresh_environment(target_name: str, spec: LabSpec, region: str) -> Iterator[tuple[Target, dict[str, str]]]:
    if target_name == "local":
        with fresh_sandbox(spec, region) as found:
            yield found
    elif target_name == "containers":
        with fresh_containers(region) as found:
            yield found
    else:
        raise SetupError(
            f"--setup runs on --target local or containers (a fresh sandbox or containers), not {target_name}."
        )


def grade_from_scratch(
    script: Path,
    target_name: str,
    spec: LabSpec,
    *,
    region: str | None,
    timeout: float,
    grade: Callable[[Target, dict[str, Any]], int],
    say: Callable[[str], None],
) -> int:
    """A fresh environment, the script run in it, `grade(target, fields)` (fields: the results.json `setup` record),
    and everything torn down whatever happens (Ctrl-C and SIGTERM included)."""
    if not script.is_file():
        raise SetupError(f"--setup {script}: no such file (give the path to your setup script).")
    if target_name not in ("local", "containers"):
        raise SetupError(
            f"--setup runs on --target local or containers (a fresh sandbox or containers), not {target_name}."
        )
    script = script.resolve()
    region = region or spec.lab.region or "us-east-1"
    with interrupts_raise():
        started = time.monotonic()
        what = "a fresh sandbox" if target_name == "local" else "fresh containers"
        say(f"setup: starting {what} for {script.name}")
        with fresh_environment(target_name, spec, region) as (target, exports):
            say(f"setup: {what} up in {time.monotonic() - started:.1f} s; running {script.name} with bash "
                f"(timeout {timeout:g} s)")  # fmt: skip
            result = run_script(script, exports, target_name=target_name, timeout=timeout)
            # The script never sees the grader's secrets; scrubbed all the same, as every report is.
            record = Redactor.from_environment(target.redis_url).data(result.to_dict())
            for line in summary_lines(record):
                say(line)
            return grade(target, {"setup": record})
