"""Where the student's code runs: a process tree the kernel contains, with limits, seeing nothing of the grader.

Three levels, the strongest available:

- `bwrap` (bubblewrap): a new PID namespace (everything the module starts dies with the namespace's init, whatever
  `setsid`, double fork or ignored SIGTERM), its own /proc (the grader's processes are invisible and cannot be
  signalled), new user namespace mapped to `nobody` with every capability dropped, a new session (no terminal), a
  read-only view of the file system with the home folders, /run and the temporary folders hidden (credentials,
  other runs' files, and the Unix sockets of root's daemons: a Docker engine's socket would give the module the
  whole machine) and a scratch tmpfs as HOME/TMPDIR, and `--die-with-parent`.
- `unshare` (util-linux): a new PID namespace with its own /proc and the kill-on-parent-death of `--kill-child`,
  every capability dropped by `setpriv` (so it cannot unmount its /proc to see the grader's), but the grader's
  file system as it is (writable where the grader's user may write).
- `process-group`: elsewhere (macOS, no namespaces): its own session and process group, killed as a group;
  a process that moves to another group escapes it. The scorecard says containment is weaker.

The scenario server (`network="own"`) also gets a network namespace of its own (bwrap `--unshare-net`, unshare
`--net`): only a loopback interface, where the grader's relay (relay.py) serves the module's DynamoDB endpoint and
Redis; any other address (the sandbox's other ports, the instance metadata service) is out of reach. Setup scripts
keep the grader's network (they run the aws CLI against the sandbox's ports).

Limits on every level: address space (RLIMIT_AS, per process), no core files, file size, processes (a pids cgroup
when the grader may make one, else RLIMIT_NPROC for a non-root grader) and the memory of the whole tree (a memory
cgroup when the grader may make one: a scenario's processes together, not each of them, stay under the limit).
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
Network = Literal["own", "shared"]
MEMORY_LIMIT = 1024**3  # address space of each student process
# Memory of the whole tree: the server's shared imports (≈ 100 MB) and one process at its MEMORY_LIMIT fit, many
# processes together do not.
TREE_MEMORY_LIMIT = 3 * 1024**3 // 2
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
    "process that leaves the group can outlive the run, and it shared the grader's network",
}
NETWORK_SHARED = (
    "student code shared the grader's network (its Redis or endpoint could not be relayed into a network namespace "
    "here): it could reach any address the grader can"
)
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
        if shutil.which("unshare") and shutil.which("setpriv") and _probe([*_unshare_base(), "true"]):
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


@functools.cache
def _own_network(level: Level) -> bool:
    """Whether `level` can also make a network namespace here (probed once per process)."""
    if level == "bwrap":
        return _probe([*_bwrap_base(), "--unshare-net", "--ro-bind", "/", "/", "true"])
    return level == "unshare" and _probe([*_unshare_base(own_network=True), "true"])


def maps_host_names(level: Level) -> bool:
    """Whether a sandbox of `level` with a network of its own can resolve a host name to the relay (bwrap binds
    the grader's hosts file over /etc/hosts; unshare shares the grader's file system)."""
    return level == "bwrap" and Path("/etc/hosts").exists()


def weaker_note(level: Level, *, network_shared: bool) -> str | None:
    """The scorecard's note on a containment weaker than bwrap with a network of its own; None: not weaker."""
    notes = [WEAKER[level]] if level in WEAKER else []
    if network_shared and level != "process-group":
        notes.append(NETWORK_SHARED)
    return "; ".join(notes) or None


# Run first in a network namespace unshare made (its `lo` starts down; bwrap brings it up itself), while the
# capabilities needed for that are still there; then the rest of the command line is executed.
LOOPBACK_UP_THEN_EXEC = """
import fcntl, os, socket, struct, sys
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
    flags = struct.unpack("16sH14x", fcntl.ioctl(sock, 0x8913, struct.pack("16sH14x", b"lo", 0)))[1]
    fcntl.ioctl(sock, 0x8914, struct.pack("16sH14x", b"lo", flags | 1))
os.execvp(sys.argv[1], sys.argv[1:])
"""


def _unshare_base(*, own_network: bool = False) -> list[str]:
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    network = ["--net"] if own_network else []
    loopback = [sys.executable, "-S", "-c", LOOPBACK_UP_THEN_EXEC] if own_network else []
    # With its capabilities a process could unmount its own /proc and read the grader's environment there.
    no_capabilities = ["setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return ["unshare", *user, *network, "--pid", "--fork", "--kill-child", "--mount-proc", *loopback, *no_capabilities]


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
    memory_cgroup: Path | None = None  # cgroup v1's memory hierarchy (v2: the memory limit is on `cgroup`)
    namespace: str | None = None
    network: Network = "shared"
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
                for group in (self.cgroup, self.memory_cgroup):
                    if group is not None and remaining == []:
                        _remove_cgroup(group)
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


def _own_cgroups() -> list[tuple[str, Path]]:
    """(controllers, folder) of each hierarchy the grader is in: controllers "" for cgroup v2."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if controllers == "" and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            found.append(("", Path("/sys/fs/cgroup") / path.lstrip("/")))
        elif controllers in ("pids", "memory"):
            found.append((controllers, Path("/sys/fs/cgroup") / controllers / path.lstrip("/")))
    return found


def _new_cgroup(base: Path, limits: dict[str, int]) -> Path | None:
    """A cgroup below `base` with `limits` written (file name → value), or None where the grader may not."""
    group = base / f"labgrader-{os.getpid()}-{os.urandom(3).hex()}"
    try:
        group.mkdir()
        for name, value in limits.items():
            (group / name).write_text(str(value))
    except OSError:
        with contextlib.suppress(OSError):
            group.rmdir()
        return None
    return group


def _make_cgroup() -> Path | None:
    """A pids cgroup (v2 or v1) below the grader's own, when the grader may write there; None otherwise.
    On v2 it also holds the memory limit when the memory controller is delegated there."""
    for controllers, base in _own_cgroups():
        if controllers in ("", "pids"):
            group = _new_cgroup(base, {"pids.max": PROCESS_LIMIT})
            if group is not None:
                if controllers == "":
                    with contextlib.suppress(OSError):
                        (group / "memory.max").write_text(str(TREE_MEMORY_LIMIT))
                return group
    return None


def _make_memory_cgroup() -> Path | None:
    """cgroup v1's memory hierarchy: a group limiting the tree's memory, when the grader may make one."""
    for controllers, base in _own_cgroups():
        if controllers == "memory":
            return _new_cgroup(base, {"memory.limit_in_bytes": TREE_MEMORY_LIMIT})
    return None


def memory_limited(sandbox: Sandbox) -> bool:
    """Whether the kernel holds the sandbox's whole tree under TREE_MEMORY_LIMIT."""
    if sandbox.memory_cgroup is not None:
        return True
    return sandbox.cgroup is not None and (sandbox.cgroup / "memory.max").is_file()


def _limits(cgroup: Path | None, memory_cgroup: Path | None = None) -> Callable[[], None]:
    def apply() -> None:  # in the forked child, before exec
        for group in (cgroup, memory_cgroup):
            if group is not None:
                (group / "cgroup.procs").write_text("0")
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        if cgroup is None and os.geteuid() != 0:
            # Counted per user across the machine: room for the grader's user's own processes, plus the limit.
            ours = sum(1 for e in os.scandir("/proc") if e.name.isdigit() and e.stat().st_uid == os.geteuid())
            resource.setrlimit(resource.RLIMIT_NPROC, (ours + PROCESS_LIMIT, ours + PROCESS_LIMIT))

    return apply


def _bwrap_command(
    argv: list[str],
    scratch: Path,
    visible: Iterable[Path],
    *,
    writable: Iterable[Path] = (),
    cwd: Path | None = None,
    network: Network = "shared",
    hosts: Path | None = None,
) -> list[str]:
    own = ["--unshare-net"] if network == "own" else []
    command = [*_bwrap_base(), *own, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    hidden = hidden_roots()
    for root in hidden:
        command += ["--tmpfs", root]
    binds = {Path(p).resolve() for p in visible} | {Path(name).resolve() for name in RESOLVER_FILES}
    for path in sorted(binds):
        if path.exists() and _under(path, hidden):
            command += ["--ro-bind", str(path), str(path)]
    if network == "own" and hosts is not None and maps_host_names("bwrap"):  # the relay's names: 127.0.0.1
        command += ["--ro-bind", str(hosts), str(Path("/etc/hosts").resolve())]
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
    network: Network = "shared",
    hosts: Path | None = None,
) -> Sandbox:
    """Start `argv` contained (`env` is its whole environment; HOME and TMPDIR are set to the scratch folder).

    `writable`: folders the grader made for this run that the process may write (bwrap: all else is read-only);
    `cwd`: its working folder (default /); `network="own"`: a network namespace of its own where the level can
    make one (the Sandbox's `network` says what it got), with `hosts` (bwrap) bound over /etc/hosts."""
    level = level or available()
    network = "own" if network == "own" and _own_network(level) else "shared"
    # The scratch folder's mount point: an empty folder the grader made; bwrap mounts a tmpfs on it.
    scratch = Path(tempfile.mkdtemp(prefix="labgrader-student-"))
    cgroup: Path | None = None
    memory_cgroup: Path | None = None
    try:
        scratch.chmod(0o777)
        cgroup = _make_cgroup()
        memory_cgroup = _make_memory_cgroup()
        env = {**env, "HOME": str(scratch), "TMPDIR": str(scratch), FORCE_ENV: level}
        if level == "bwrap":
            paths = [*python_paths(), *visible]
            command = _bwrap_command(argv, scratch, paths, writable=writable, cwd=cwd, network=network, hosts=hosts)
        elif level == "unshare":
            command = [*_unshare_base(own_network=network == "own"), *argv]
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
            preexec_fn=_limits(cgroup, memory_cgroup),  # noqa: PLW1509 - only setrlimit and cgroup writes, no locks
        )
    except BaseException:
        # Ctrl-C or SIGTERM while starting (or a failed start): nothing of this sandbox may stay behind.
        shutil.rmtree(scratch, ignore_errors=True)
        for group in (cgroup, memory_cgroup):
            if group is not None:
                _remove_cgroup(group)
        raise
    limit = "cgroup" if cgroup is not None else ("rlimit" if os.geteuid() != 0 else None)
    return Sandbox(
        level=level,
        proc=proc,
        scratch=scratch,
        cgroup=cgroup,
        memory_cgroup=memory_cgroup,
        process_limit=limit,
        network=network,
    )


def namespace_of(pid: int | str) -> str | None:
    """The PID namespace of a process, as `pid:[inode]`."""
    try:
        return str(Path(f"/proc/{pid}/ns/pid").readlink())
    except OSError:
        return None
