"""Installable the way the README's recipes say: the wheel, in a fresh virtualenv, grades from any folder.

No network: the wheel is built with the running venv's hatchling (a dev dependency, `--no-build-isolation`), the
fresh venv gets it with `--no-deps`, and finds the dependencies through a .pth line naming this venv's
site-packages (a plain path: the editable install's own .pth hooks there are not run, so `labgrader` can only come
from the wheel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import closed_port

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


def _run(
    *args: str | Path, cwd: Path | None = None, timeout: float = 120, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_", "LABGRADER_", "PYTHON"))}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == expect, done.stdout + done.stderr
    return done


def test_the_wheel_installs_into_a_fresh_venv_and_runs_the_demo_outside_the_checkout(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="building the wheel offline needs hatchling (pip install -e '.[dev]')")
    wheels = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", wheels, ROOT)  # fmt: skip
    (wheel,) = wheels.glob("labgrader-*.whl")
    assert "labgrader/_bundle/compose.yaml" in zipfile.ZipFile(wheel).namelist()

    venv = tmp_path / "fresh"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    (site / "labgrader-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)

    elsewhere = tmp_path / "course"
    elsewhere.mkdir()
    where = _run(
        python, "-c", "import labgrader.paths as p; print(p.__file__, p.checks_dir(), p.compose_file())", cwd=elsewhere
    )
    module, checks, compose = where.stdout.split()
    assert Path(module).is_relative_to(venv)  # the wheel's copy, not the checkout's
    assert Path(checks).is_relative_to(venv)
    assert Path(compose).is_relative_to(venv)
    assert Path(compose).read_bytes() == (ROOT / "compose.yaml").read_bytes()
    # A student without containers is told the installed compose.yaml's path, a command that runs from anywhere.
    closed = closed_port()
    missing = _run(venv / "bin" / "labgrader", "grade", "--target", "containers", "--out", tmp_path / "out",
                   "--endpoint-url", f"http://127.0.0.1:{closed}", "--redis-url", f"redis://127.0.0.1:{closed}/0",
                   cwd=elsewhere, timeout=60, expect=3)  # fmt: skip
    assert f"`docker compose -f {compose} up -d`" in missing.stderr
    demo = _run(venv / "bin" / "labgrader", "demo", "--format", "html,junit", cwd=elsewhere, timeout=180)
    results = json.loads((elsewhere / "reports" / "latest" / "results.json").read_text())
    assert results["exit_code"] == 0
    assert results["score"] == results["max_score"] > 0
    assert (elsewhere / "reports" / "latest" / "report.html").is_file()
    assert demo.stdout.rstrip().endswith("sandbox: stopped")
