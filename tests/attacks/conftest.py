"""Hostile student modules graded the way users grade: `labgrader grade` in a process of its own, with planted
secrets in its environment. Each module is graded once per test session; its test file asserts on that run.

A run is restricted to the checks that run the student's module (the seven cache-aside checks and the hit-vs-miss
latency), so each costs about one second of CPU.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labgrader.cacheaside import containment
from labgrader.engine import catalog, policy
from labgrader.sandbox.state import SandboxState
from labgrader.spec import LabSpec
from tests.processes import processes_running

MODULES = Path(__file__).with_name("modules")
# The checks that run the student's module, as their @check declares it (catalog order).
_RUN_THE_MODULE = {meta.id for meta in policy.check_metadata() if meta.runs_student_module}
SCENARIO_CHECKS = tuple(e.id for e in catalog.CATALOG if e.id in _RUN_THE_MODULE)
# Secrets in the grader's environment: CI tokens, AWS session credentials, a password, a name no scrubber knows.
PLANTED = {
    "GITHUB_TOKEN": f"ghp_planted{uuid.uuid4().hex}",
    "AWS_SESSION_TOKEN": f"planted-session-{uuid.uuid4().hex}",
    "REDIS_PASSWORD": f"planted-redis-{uuid.uuid4().hex}",
    "COURSE_DEPLOY_KEY": f"planted-deploy-{uuid.uuid4().hex}",
}

pytestmark = pytest.mark.sandbox


def secret_forms(secret: str) -> list[bytes]:
    """A secret as a leak would print it: plain, base64, reversed."""
    return [secret.encode(), base64.b64encode(secret.encode()), secret[::-1].encode()]


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Attack:
    module: str
    marker: str
    out: Path
    exit_code: int
    terminal: str
    files: dict[str, bytes]  # every file under --out as the run left it
    results: dict[str, Any]

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.results["checks"] if c["id"] == check_id)

    def statuses(self) -> dict[str, str]:
        return {c: self.check(c)["status"] for c in SCENARIO_CHECKS}


@pytest.fixture(scope="session")
def attack(solved: LabSpec, sandbox: SandboxState, sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory):
    """attack("leftovers"): the run of `labgrader grade` on tests/attacks/modules/leftovers.py (once a session)."""
    if containment.available() == "process-group":
        pytest.skip("no PID namespace on this machine (process-group fallback): these attacks are not contained")
    runs: dict[str, Attack] = {}

    def run(name: str) -> Attack:
        if name not in runs:
            root = tmp_path_factory.mktemp(f"attack-{name}")
            marker = uuid.uuid4().hex[:12]
            out = root / "out"
            folder = root / "student"
            folder.mkdir()
            for source in (MODULES / "_cache.py", MODULES / f"{name}.py"):
                text = source.read_text(encoding="utf-8").replace("{{OUT}}", str(out)).replace("{{MARKER}}", marker)
                text = text.replace("{{MOTO}}", sandbox.moto_url)
                (folder / source.name).write_text(text, encoding="utf-8")
            env = {**os.environ, **PLANTED, "LABGRADER_HOME": str(sandbox_home)}
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "labgrader",
                    "grade",
                    "--target",
                    "local",
                    "--solution",
                    str(folder / f"{name}.py"),
                    "--out",
                    str(out),
                    "--",
                    "-k",
                    "cache_aside or latency_cache_hit",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            runs[name] = Attack(
                module=name,
                marker=marker,
                out=out,
                exit_code=done.returncode,
                terminal=done.stdout + done.stderr,
                files=files_under(out),
                results=json.loads((out / "results.json").read_text(encoding="utf-8")),
            )
        return runs[name]

    return run


def assert_contained(run: Attack, exit_code: int = 1) -> None:
    """What every attack must leave: a complete results.json, the run's exit code (1: a fail, never 3, an error of
    the grader), no process of the module alive, the reports as the run left them (read again now, after the
    module's processes had time to act), and no planted secret in any form in any output."""
    assert run.exit_code == exit_code, run.terminal[-2000:]
    assert {c["id"] for c in run.results["checks"]} >= set(SCENARIO_CHECKS)
    assert run.results["student_code_containment"] in ("bwrap", "unshare")
    assert "student_processes_left" not in run.results
    assert not any(run.check(c)["status"] == "error" for c in SCENARIO_CHECKS), run.statuses()
    assert not processes_running(run.marker)
    assert files_under(run.out) == run.files
    outputs = {"terminal": run.terminal.encode(), **run.files}
    leaked = [
        (name, variable)
        for name, data in outputs.items()
        for variable, secret in PLANTED.items()
        if any(form in data for form in secret_forms(secret))
    ]
    assert leaked == []


def settle(seconds: float = 3.0) -> None:
    time.sleep(seconds)
