"""The sandbox's state file: which processes it started, on which ports, where its data lives.

Written before and after each process starts, so `labgrader sandbox down` can clean up even after the `up`
process was SIGKILLed half-way. Kept apart from the process management so targets can read it cheaply.

The file is a convenience, not the authority: a damaged, missing or forged one must neither hide the sandbox's
processes nor make `down` signal someone else's. Each sandbox process is started in its own working folder inside
a data folder under the sandbox home (`<home>/labgrader-sandbox-<id>/<role>`, holding an owner file), and moto also
carries `LABGRADER_SANDBOX_HOME=<home>` in its environment (redis-server overwrites its environment block with its
process title, so for Redis the working folder is the proof). `find_processes` finds them from /proc alone, and
`is_sandbox_process` is what `down` requires before it signals a PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labgrader.engine.bounded import BoundedReadError, read_text_bounded

STATE_FILE = "sandbox.json"
DATA_DIR_PREFIX = "labgrader-sandbox-"
# In every data folder: says labgrader made it (and for which sandbox), so `down` deletes only folders it made.
OWNER_FILE = ".labgrader-sandbox"
ENV_HOME = "LABGRADER_SANDBOX_HOME"
ENV_ROLE = "LABGRADER_SANDBOX_ROLE"
# moto accepts any key pair; these are public and name who made the call in moto's logs.
SANDBOX_ACCESS_KEY = "labgrader"
SANDBOX_SECRET_KEY = "labgrader"  # noqa: S105 - not a secret: the sandbox's public dummy key
ROLES = ("moto", "primary", "replica", "sentinel")
STATE_LIMIT = 1 << 20


def default_home() -> Path:
    """`$LABGRADER_HOME`, else ~/.labgrader: one sandbox per home."""
    env = os.environ.get("LABGRADER_HOME")
    return Path(env).expanduser() if env else Path.home() / ".labgrader"


@dataclass(frozen=True)
class SentinelInfo:
    """Where the sandbox's sentinel answers and the name of the primary it monitors (a target's `sentinel`)."""

    host: str
    port: int
    master_name: str


@dataclass
class ProcessRecord:
    role: str
    pid: int
    port: int
    # A string that must appear in /proc/<pid>/cmdline, and the process's start time (clock ticks after boot, from
    # /proc/<pid>/stat; 0 if unknown): together they tell a recycled PID from the process that was started.
    marker: str
    start_time: int = 0

    def running(self) -> bool:
        """The PID runs a command holding the marker: true of a bystander a forged file names (see `proven`)."""
        if not process_matches(self.pid, self.marker):
            return False
        return not self.start_time or process_start_time(self.pid) in (None, self.start_time)

    def proven(self, home: Path) -> bool:
        """Running and provably a process of the sandbox of `home` (`is_sandbox_process`, the proof `down` needs):
        a stale or forged state file naming some other process of the user does not make the sandbox look up.
        Without /proc there is no proof to be had and the marker check is all `status` can do (`down` refuses)."""
        return self.running() and (is_sandbox_process(self.pid, home) or not proc_available())


@dataclass
class SandboxState:
    home: str
    data_dir: str
    region: str
    master_name: str
    started_at: str
    owner_pid: int
    processes: dict[str, ProcessRecord] = field(default_factory=dict)
    ready: bool = False

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.processes['moto'].port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.processes['primary'].port}/0"

    @property
    def replica_url(self) -> str:
        return f"redis://127.0.0.1:{self.processes['replica'].port}/0"

    @property
    def sentinel_port(self) -> int:
        return self.processes["sentinel"].port

    def alive(self) -> bool:
        """Ready, and every process runs and is provably this sandbox's (a forged file naming others is not)."""
        home = Path(self.home)
        return self.ready and all(role in self.processes and self.processes[role].proven(home) for role in ROLES)

    def impostors(self) -> list[int]:
        """PIDs the file names that run but are not processes of this sandbox: a stale or forged state file."""
        home = Path(self.home)
        return sorted({r.pid for r in self.processes.values() if r.running() and not r.proven(home)})

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> SandboxState:
        data: dict[str, Any] = json.loads(text)
        processes = {role: ProcessRecord(**record) for role, record in data.pop("processes", {}).items()}
        return cls(processes=processes, **data)


def lock_path(sentinel_port: int) -> Path:
    """The lock file grading runs share to take turns on the sandbox's Redis (see locks.SandboxShare)."""
    return Path(tempfile.gettempdir()) / f"labgrader-sandbox-{sentinel_port}.lock"


def state_path(home: Path | None = None) -> Path:
    return (home or default_home()) / STATE_FILE


def read(home: Path | None = None) -> SandboxState | None:
    return read_checked(home)[0]


def read_checked(home: Path | None = None) -> tuple[SandboxState | None, str]:
    """The state, or None and why not: "missing", or "damaged (…)" for a file that is not a valid state."""
    path = state_path(home)
    try:
        text = read_text_bounded(path, STATE_LIMIT)
    except BoundedReadError as exc:
        return None, "missing" if exc.reason == "no such file" else f"damaged ({exc.reason})"
    try:
        state = SandboxState.from_json(text)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return None, f"damaged ({type(exc).__name__})"
    if not isinstance(state.home, str) or Path(state.home).resolve() != (home or default_home()).resolve():
        # A copied or forged file must not borrow another home's proof (`alive` checks against `state.home`).
        return None, "damaged (it names another sandbox home)"
    well_typed = all(
        isinstance(r.pid, int)
        and isinstance(r.port, int)
        and isinstance(r.marker, str)
        and isinstance(r.start_time, int)
        for r in state.processes.values()
    )
    return (state, "") if well_typed and isinstance(state.data_dir, str) else (None, "damaged (wrong field types)")


def write(state: SandboxState) -> None:
    path = state_path(Path(state.home))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(state.to_json(), encoding="utf-8")
    temporary.replace(path)


def remove(home: Path | None = None) -> None:
    with contextlib.suppress(FileNotFoundError):
        state_path(home).unlink()


def new_data_dir(home: Path) -> Path:
    """A fresh data folder under the sandbox home, marked as labgrader's."""
    home.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix=DATA_DIR_PREFIX, dir=home))
    (data / OWNER_FILE).write_text(f"made by labgrader sandbox up (pid {os.getpid()})\n", encoding="utf-8")
    return data


def owns_folder(home: Path, folder: Path | str) -> bool:
    """True for a data folder `up` made: directly under `home`, named by us, not a symlink, holding the owner file."""
    folder = Path(folder)
    try:
        return (
            folder.name.startswith(DATA_DIR_PREFIX)
            and not folder.is_symlink()
            and folder.resolve().parent == home.resolve()
            and (folder / OWNER_FILE).is_file()
        )
    except OSError:
        return False


def data_folders(home: Path) -> list[Path]:
    """Every data folder a sandbox of `home` made and `down` has not removed yet."""
    if not home.is_dir():
        return []
    return sorted(p for p in home.glob(f"{DATA_DIR_PREFIX}*") if owns_folder(home, p))


def proc_available() -> bool:
    """Whether /proc exists here: without it no PID can be proven to be a sandbox process."""
    return Path("/proc").is_dir()


def process_start_time(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (/proc/<pid>/stat field 22), None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def process_role(pid: int, home: Path) -> str | None:
    """The sandbox role of `pid` if it is a process of the sandbox of `home` (see the module docstring), else None.

    Proof that the state file cannot forge: moto's environment names the home; a Redis process runs in a role
    folder of one of the home's data folders and its command is a redis one."""
    proc = Path(f"/proc/{pid}")
    try:
        environ = (proc / "environ").read_bytes().split(b"\0")
        if f"{ENV_HOME}={home.resolve()}".encode() in environ:
            prefix = f"{ENV_ROLE}=".encode()
            return next((v[len(prefix) :].decode(errors="replace") for v in environ if v.startswith(prefix)), "?")
        cwd = (proc / "cwd").readlink()
        command = (proc / "cmdline").read_bytes().split(b"\0")[0].split(b" ")[0]
    except (OSError, ValueError):
        return None
    if Path(command.decode(errors="replace")).name.startswith("redis") and owns_folder(home, cwd.parent):
        return cwd.name
    return None


def is_sandbox_process(pid: int, home: Path) -> bool:
    return pid > 1 and pid != os.getpid() and process_role(pid, home) is not None


def find_processes(home: Path) -> dict[int, str]:
    """pid → role of every running process of the sandbox of `home`, found from /proc without the state file."""
    proc = Path("/proc")
    if not proc_available():
        return {}
    found = {}
    for entry in proc.iterdir():
        if entry.name.isdigit() and (pid := int(entry.name)) > 1 and pid != os.getpid():
            role = process_role(pid, home)
            if role is not None and process_start_time(pid) is not None and not _zombie(pid):
                found[pid] = role
    return found


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[:1] == ["Z"]
    except OSError:
        return True


def process_matches(pid: int, marker: str) -> bool:
    """True if `pid` runs and (where /proc exists) its command line contains `marker` (never for an empty one)."""
    if not marker or pid <= 1:
        return False
    proc = Path(f"/proc/{pid}")
    if proc_available():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (proc / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            return False
        return marker in cmdline and status[:1] != ["Z"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
