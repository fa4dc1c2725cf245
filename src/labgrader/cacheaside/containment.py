"""Where the student's code runs: a process tree the kernel contains, with limits, seeing nothing of the grader.

Three levels, the strongest available:

- `bwrap` (bubblewrap): a new PID namespace (everything the module starts dies with the namespace's init, whatever
  `setsid`, double fork or ignored SIGTERM), its own /proc (the grader's processes are invisible and cannot be
  signalled), new user namespace mapped to `nobody` with every capability dropped, a new session (no terminal), a
  read-only view of the file system with the home folders, /run and the temporary folders hidden (credentials,
  other runs' files, and the Unix sockets of root's daemons: a Docker engine's socket would give the module the
  whole machine) and a scratch tmpfs as HOME/TMPDIR, and `--die-with-parent`.
- `unshare` (util-linux): a new PID namespace with its own /proc and the kill-on-parent-death of `--kill-child`,
  but the grader's file system as it is (writable where the grader's user may write).
- `process-group`: elsewhere (macOS, no namespaces): its own session and process group, killed as a group;
  a process that moves to another group escapes it. The scorecard says containment is weaker.

Limits on every level: address space (RLIMIT_AS), no core files, file size, and processes (a pids cgroup when the
grader may make one, else RLIMIT_NPROC for a non-root grader).
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Level = Literal["bwrap", "unshare", "process-group"]
MEMORY_LIMIT = 1024**3  # address space of each student process
FILE_SIZE_LIMIT = 64 * 1024**2
PROCESS_LIMIT = 128
SCRATCH_SIZE = 64 * 1024**2
SANDBOX_UID = 65534  # nobody, inside the user namespace
# Where credentials, other users' and runs' files and daemons' Unix sockets (docker.sock, containerd) live: hidden
# under an empty read-only tmpfs (what the module needs is bound back; /var/run is /run on every current Linux).
HIDDEN = ("/home", "/root", "/run", "/var/run", "/tmp", "/var/tmp")  # noqa: S108 - hidden, not used
# Files the module's own network calls need that may live under a hidden folder (systemd-resolved's stub file).
RESOLVER_FILES = ("/etc/resolv.conf", "/etc/hosts")
WEAKER = {
    "unshare": "student code ran in its own PID namespace (util-linux unshare), without a read-only file system",
    "process-group": "student code ran in its own process group only (no PID namespace on this system): a "
    "process that leaves the group can outlive the run",
}
FORCE_ENV = "LABGRADER_CONTAINMENT"  # tests and users on odd systems pick a weaker level explicitly


def _probe(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.cache
def available() -> Level:
    """The strongest level this machine allows (probed once per process: ≈ 10 ms)."""
    forced = os.environ.get(FORCE_ENV)
    if forced in ("bwrap", "unshare", "process-group"):
        return forced  # type: ignore[return-value]
    if sys.platform.startswith("linux"):
        if shutil.which("bwrap") and _bwrap_base():
            return "bwrap"
        if shutil.which("unshare") and _probe([*_unshare_base(), "true"]):
            return "unshare"
    return "process-group"


@functools.cache
def _bwrap_base() -> list[str]:
    """bwrap's options, or [] when bwrap cannot make its namespaces here. `--disable-userns` (no nested user
    namespace for the module) needs Linux ≥ 6.1's knob or bwrap ≥ 0.8: dropped where it is refused."""
    options = [
        "bwrap",
        "--unshare-pid",
        "--unshare-user",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
    ]
    for candidate in ([*options, "--disable-userns"], options):
        if _probe([*candidate, "--ro-bind", "/", "/", "--proc", "/proc", "true"]):
            return candidate
    return []


def _unshare_base() -> list[str]:
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--pid", "--fork", "--kill-child", "--mount-proc"]


def _under(path: Path, roots: Iterable[str]) -> bool:
    return any(path == Path(root) or Path(root) in path.parents for root in roots)


def hidden_roots() -> tuple[str, ...]:
    home = os.environ.get("HOME", "")
    extra = (home,) if home and home != "/" and not _under(Path(home), HIDDEN) else ()
    # A root that is a symbolic link (/var/run → /run) is hidden where it points.
    return tuple(r for r in (*HIDDEN, *extra) if Path(r).is_dir() and not Path(r).is_symlink())


def needs_binding(folder: Path) -> bool:
    """Whether `folder` is hidden in the bwrap view and must be bound back for the module to import."""
    return _under(folder.resolve(), hidden_roots())


@dataclass
class Sandbox:
    """One contained process (the scenario server) and what it leaves to clean up."""

    level: Level
    proc: subprocess.Popen[bytes]
    scratch: Path
    cgroup: Path | None = None
    namespace: str | None = None
    # How the number of processes is bounded: "cgroup" (pids.max), "rlimit" (RLIMIT_NPROC), or None (unbounded:
    # a root grader without a cgroup it may write).
    process_limit: str | None = None
    _closed: bool = field(default=False, repr=False)

    def kill(self) -> None:
        """Kill the whole tree: the namespace dies with its init (bwrap, unshare); the group (process-group)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.level == "process-group":
                os.killpg(self.proc.pid, 9)
            else:
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for pid in self.survivors():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, 9)

    def survivors(self) -> list[int]:
        session = self.proc.pid if self.level == "process-group" else None
        return survivors(self.namespace, self.cgroup, session)

    def close(self) -> list[int]:
        """Kill everything and remove the scratch folder and cgroup; the pids still alive (empty: all gone)."""
        remaining: list[int] | None = None
        try:
            if not self._closed:
                self.kill()
            remaining = _wait_gone(self)
        finally:
            # Also when a Ctrl-C or SIGTERM lands in the kill above: the scratch folder is the grader's to remove.
            if not self._closed:
                self._closed = True
                shutil.rmtree(self.scratch, ignore_errors=True)
                if self.cgroup is not None and remaining == []:
                    _remove_cgroup(self.cgroup)
        return remaining


def _remove_cgroup(group: Path, timeout: float = 1.0) -> None:
    """rmdir the cgroup once the kernel has let go of its last (zombie) process."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            group.rmdir()
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)
        else:
            return


def _wait_gone(sandbox: Sandbox, timeout: float = 2.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        left = sandbox.survivors()
        if not left or time.monotonic() >= deadline:
            return left
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, 9)
        time.sleep(0.02)


def survivors(namespace: str | None, cgroup: Path | None, session: int | None = None) -> list[int]:
    """Live (non-zombie) processes in the sandbox's PID namespace, cgroup or (process-group level) session."""
    pids: set[int] = set()
    if cgroup is not None:
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in (cgroup / "cgroup.procs").read_text().split())
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            in_namespace = namespace is not None and namespace_of(entry.name) == namespace
            if in_namespace or (session is not None and _stat(int(entry.name))[3] == str(session)):
                pids.add(int(entry.name))
    return [pid for pid in sorted(pids) if _alive(pid)]


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, pgrp, session, ..."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:  # noqa: PTH123
        return stat.read().rsplit(")", 1)[-1].split()


def _alive(pid: int) -> bool:
    try:
        return _stat(pid)[0] != "Z"
    except (OSError, IndexError):
        return False


def _make_cgroup() -> Path | None:
    """A pids cgroup (v2 or v1) below the grader's own, when the grader may write there; None otherwise."""
    name = f"labgrader-{os.getpid()}-{os.urandom(3).hex()}"
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if controllers == "" and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            base = Path("/sys/fs/cgroup") / path.lstrip("/")
        elif "pids" in controllers.split(","):
            base = Path("/sys/fs/cgroup/pids") / path.lstrip("/")
        else:
            continue
        group = base / name
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(PROCESS_LIMIT))
        except OSError:
            with contextlib.suppress(OSError):
                group.rmdir()
            continue
        return group
    return None


def _limits(cgroup: Path | None) -> Callable[[], None]:
    def apply() -> None:  # in the forked child, before exec
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text("0")
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        if cgroup is None and os.geteuid() != 0:
            # Counted per user across the machine: room for the grader's user's own processes, plus the limit.
            ours = sum(1 for e in os.scandir("/proc") if e.name.isdigit() and e.stat().st_uid == os.geteuid())
            resource.setrlimit(resource.RLIMIT_NPROC, (ours + PROCESS_LIMIT, ours + PROCESS_LIMIT))

    return apply


def _bwrap_command(
    argv: list[str], scratch: Path, visible: Iterable[Path], writable: Iterable[Path] = (), cwd: Path | None = None
) -> list[str]:
    command = [*_bwrap_base(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    hidden = hidden_roots()
    for root in hidden:
        command += ["--tmpfs", root]
    binds = {Path(p).resolve() for p in (*visible, *map(Path, RESOLVER_FILES))}
    for path in sorted(binds):
        if path.exists() and _under(path, hidden):
            command += ["--ro-bind", str(path), str(path)]
    for path in writable:  # folders the grader made for this run (a setup script's working copy)
        command += ["--bind", str(path), str(path)]
    command += ["--size", str(SCRATCH_SIZE), "--tmpfs", str(scratch)]
    # Read-only once every mount point in them is made: writing there would fill memory past every limit.
    for root in hidden:
        command += ["--remount-ro", root]
    return [*command, "--chdir", str(cwd or "/"), "--", *argv]


def python_paths() -> list[Path]:
    """What the server's interpreter needs to see: its prefixes and every import path."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.executable).resolve().parent}
    paths.update(Path(p) for p in sys.path if p and Path(p).is_dir())
    return sorted(paths)


def start(
    argv: list[str],
    *,
    env: dict[str, str],
    pass_fds: tuple[int, ...],
    stderr: int,
    visible: Iterable[Path] = (),
    level: Level | None = None,
    writable: Iterable[Path] = (),
    cwd: Path | None = None,
) -> Sandbox:
    """Start `argv` contained (`env` is its whole environment; HOME and TMPDIR are set to the scratch folder).

    `writable`: folders the grader made for this run that the process may write (bwrap: all else is read-only);
    `cwd`: its working folder (default /)."""
    level = level or available()
    # The scratch folder's mount point: an empty folder the grader made; bwrap mounts a tmpfs on it.
    scratch = Path(tempfile.mkdtemp(prefix="labgrader-student-"))
    cgroup: Path | None = None
    try:
        scratch.chmod(0o777)
        cgroup = _make_cgroup()
        env = {**env, "HOME": str(scratch), "TMPDIR": str(scratch), FORCE_ENV: level}
        if level == "bwrap":
            command = _bwrap_command(argv, scratch, [*python_paths(), *visible], list(writable), cwd)
        elif level == "unshare":
            command = [*_unshare_base(), *argv]
        else:
            command = argv
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            env=env,
            pass_fds=pass_fds,
            cwd=None if level == "bwrap" else cwd,  # bwrap changes folder itself, inside its view
            start_new_session=True,
            preexec_fn=_limits(cgroup),  # noqa: PLW1509 - only setrlimit and a cgroup write, no locks
        )
    except BaseException:
        # Ctrl-C or SIGTERM while starting (or a failed start): nothing of this sandbox may stay behind.
        shutil.rmtree(scratch, ignore_errors=True)
        if cgroup is not None:
            _remove_cgroup(cgroup)
        raise
    limit = "cgroup" if cgroup is not None else ("rlimit" if os.geteuid() != 0 else None)
    return Sandbox(level=level, proc=proc, scratch=scratch, cgroup=cgroup, process_limit=limit)


def namespace_of(pid: int | str) -> str | None:
    """The PID namespace of a process, as `pid:[inode]`."""
    try:
        return str(Path(f"/proc/{pid}/ns/pid").readlink())
    except OSError:
        return None
