"""The sandbox's state file: which processes it started, on which ports, where its data lives.

Written before and after each process starts, so `labgrader sandbox down` can clean up even after the `up`
process was SIGKILLed half-way. Kept apart from the process management so targets can read it cheaply.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "sandbox.json"
# moto accepts any key pair; these are public and name who made the call in moto's logs.
SANDBOX_ACCESS_KEY = "labgrader"
SANDBOX_SECRET_KEY = "labgrader"  # noqa: S105 - not a secret: the sandbox's public dummy key
ROLES = ("moto", "primary", "replica", "sentinel")


def default_home() -> Path:
    """`$LABGRADER_HOME`, else ~/.labgrader: one sandbox per home."""
    env = os.environ.get("LABGRADER_HOME")
    return Path(env).expanduser() if env else Path.home() / ".labgrader"


@dataclass
class ProcessRecord:
    role: str
    pid: int
    port: int
    # A string that must appear in /proc/<pid>/cmdline: guards against killing a recycled PID.
    marker: str

    def running(self) -> bool:
        return process_matches(self.pid, self.marker)


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
        return self.ready and all(role in self.processes and self.processes[role].running() for role in ROLES)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> SandboxState:
        data: dict[str, Any] = json.loads(text)
        processes = {role: ProcessRecord(**record) for role, record in data.pop("processes", {}).items()}
        return cls(processes=processes, **data)


def lock_path(sentinel_port: int) -> Path:
    """The lock file grading runs share to take turns on the sandbox's Redis (see failover.SandboxShare)."""
    return Path(tempfile.gettempdir()) / f"labgrader-sandbox-{sentinel_port}.lock"


def state_path(home: Path | None = None) -> Path:
    return (home or default_home()) / STATE_FILE


def read(home: Path | None = None) -> SandboxState | None:
    try:
        return SandboxState.from_json(state_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write(state: SandboxState) -> None:
    path = state_path(Path(state.home))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(state.to_json(), encoding="utf-8")
    temporary.replace(path)


def remove(home: Path | None = None) -> None:
    with contextlib.suppress(FileNotFoundError):
        state_path(home).unlink()


def process_matches(pid: int, marker: str) -> bool:
    """True if `pid` runs and (where /proc exists) its command line contains `marker`."""
    proc = Path(f"/proc/{pid}")
    if proc.parent.is_dir():
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
