"""Running `labgrader grade --setup` as a student's submission would be run, and looking for what it left behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgrader import paths

REFERENCE_SCRIPT = paths.fixtures_dir() / "solutions" / "setup_reference.sh"
REFERENCE_MODULE = paths.fixtures_dir() / "solutions" / "reference_cache_aside.py"
# In the grader's environment only: it must never reach the student's script, its output or the reports.
GRADER_SECRET = "grader-only-7f3a9c1e5b"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    out: Path
    seconds: float

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text(encoding="utf-8"))

    def status(self, check_id: str) -> str:
        return next(c["status"] for c in self.results["checks"] if c["id"] == check_id)


def grader_environment(scratch: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The grader's environment: its own TMPDIR under the test's folder (so every folder the run makes, and every
    process it starts, is recognisable there), a secret of its own, no sandbox of the caller's."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LABGRADER_", "REDIS_URL"))}
    if "LABGRADER_REDIS_SERVER" in os.environ:
        env["LABGRADER_REDIS_SERVER"] = os.environ["LABGRADER_REDIS_SERVER"]
    return env | {"TMPDIR": str(scratch), "GRADER_SECRET": GRADER_SECRET, "NO_COLOR": "1"} | (extra or {})


def command(script: Path, out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "labgrader", "grade", "--setup", str(script), "--out", str(out), *options]


def grade(script: Path, out: Path, scratch: Path, *options: str, env: dict[str, str] | None = None) -> Run:
    started = time.monotonic()
    done = subprocess.run(
        command(script, out, *options),
        env=grader_environment(scratch, env),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr, out, time.monotonic() - started)


def processes_mentioning(*texts: str) -> dict[int, str]:
    """Live processes whose command line, working folder or environment mentions one of `texts` (pid → cmdline)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            if stat[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            where = ""
            with contextlib.suppress(OSError):
                where = str((entry / "cwd").readlink())
            environ = b""
            with contextlib.suppress(OSError):
                environ = (entry / "environ").read_bytes()
            if any(t in cmdline or t in where or t.encode() in environ for t in texts):
                found[int(entry.name)] = cmdline
    return found


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.1)


def interrupt(
    proc: subprocess.Popen[str], when: Any, signum: int = signal.SIGINT, timeout: float = 60.0
) -> tuple[int, str]:
    """Send `signum` once `when()` holds; the exit code and the output."""
    try:
        wait_for(lambda: when() or proc.poll() is not None, timeout, "the moment to interrupt")
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out
