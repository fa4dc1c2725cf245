"""The `labgrader` command as users meet it: one clear line and the right exit code for every bad input,
`grade -- <pytest args>`, and the plugin used directly through pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labgrader import paths

REPO = paths.project_root()


def run_cli(
    *args: str, home: Path, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    clean.update({"LABGRADER_HOME": str(home), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "labgrader", *args],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_help_lists_the_commands_and_exit_codes(tmp_path: Path) -> None:
    done = run_cli("--help", home=tmp_path)
    assert done.returncode == 0
    for word in ("demo", "sandbox", "solve", "grade", "Exit codes", "3 no failure"):
        assert word in done.stdout


def test_grading_local_without_a_sandbox_says_how_to_start_it(tmp_path: Path) -> None:
    started = time.monotonic()
    done = run_cli("grade", "--target", "local", home=tmp_path)
    assert done.returncode == 3
    assert "the sandbox is not running" in one_line(done)
    assert time.monotonic() - started < 10


def test_unknown_target_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli("grade", "--target", "gcp", home=tmp_path)
    assert done.returncode == 2
    assert "invalid choice: 'gcp'" in one_line(done)


def test_missing_solution_file_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli("grade", "--solution", str(tmp_path / "nope.py"), home=tmp_path)
    assert done.returncode == 2
    assert (
        one_line(done) == f"labgrader: --solution {tmp_path / 'nope.py'}: no such file "
        "(give the path to your cache-aside module .py)."
    )


def test_aws_without_any_region_refuses_to_guess(tmp_path: Path) -> None:
    spec = tmp_path / "lab.toml"
    spec.write_text("[lab]\nname = 'noregion'\n", encoding="utf-8")
    done = run_cli(
        "grade",
        "--target",
        "aws",
        "--lab",
        str(spec),
        home=tmp_path,
        env={"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")},
    )
    assert done.returncode == 2
    assert "no AWS region: pass --region R or set AWS_REGION" in one_line(done)


def test_unknown_aws_profile_is_one_line(tmp_path: Path) -> None:
    done = run_cli(
        "grade",
        "--target",
        "aws",
        "--profile",
        "nobody",
        home=tmp_path,
        env={"AWS_CONFIG_FILE": str(tmp_path / "none")},
    )
    assert done.returncode == 2
    assert "AWS profile 'nobody' not found" in one_line(done)


def test_solving_on_aws_needs_yes_and_states_the_cost(tmp_path: Path) -> None:
    done = run_cli("solve", "--target", "aws", home=tmp_path)
    assert done.returncode == 2
    line = one_line(done)
    assert "2 ElastiCache cache.t4g.micro nodes: about $0.032/hour ($23/month)" in line
    assert "--yes" in line


@pytest.mark.sandbox
def test_grade_passes_arguments_after_double_dash_to_pytest(sandbox, sandbox_home, solved, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    done = run_cli("grade", "--target", "local", "--out", str(out), "--", "-k", "keys_match", home=sandbox_home)
    results = json.loads((out / "results.json").read_text())
    statuses = {c["id"]: c["status"] for c in results["checks"]}
    assert statuses["dynamodb_table_keys_match"] == "pass"
    assert statuses["dynamodb_table_exists"] == "skip"
    assert "PASS" in done.stdout
    assert "dynamodb_table_keys_match" in done.stdout
    assert f"results: {out / 'results.json'}" in done.stdout


@pytest.mark.sandbox
def test_the_plugin_grades_through_plain_pytest(sandbox, sandbox_home, solved, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    env["LABGRADER_HOME"] = str(sandbox_home)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "-q",
            "--lab",
            str(paths.default_lab_spec()),
            "--lab-target",
            "local",
            "--lab-out",
            str(out),
            str(paths.checks_dir()),
            "-k",
            "table_exists or reachable",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = json.loads((out / "results.json").read_text())
    statuses = {c["id"]: c["status"] for c in results["checks"]}
    assert statuses["dynamodb_table_exists"] == "pass", done.stdout + done.stderr
    assert statuses["redis_reachable"] == "pass"
    assert "2 passed" in done.stdout


def test_plain_pytest_with_a_bad_target_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--lab",
            str(paths.default_lab_spec()),
            "--lab-target",
            "gcp",
            str(paths.checks_dir()),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 4
    assert "--lab-target 'gcp' is unknown: use one of local, aws, containers." in done.stderr


def test_an_unexpected_error_is_one_line_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from labgrader import cli

    def explode(_args: object, _extra: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli.COMMANDS["policy"], "run", explode)
    monkeypatch.delenv("LABGRADER_DEBUG", raising=False)
    assert cli.main(["policy"]) == 3
    err = capsys.readouterr().err
    assert err == "labgrader: internal error: RuntimeError: disk on fire (LABGRADER_DEBUG=1 shows the traceback).\n"
    monkeypatch.setenv("LABGRADER_DEBUG", "1")
    with pytest.raises(RuntimeError, match="disk on fire"):
        cli.main(["policy"])
