"""`grade --setup` refuses what it cannot do in one line and exit 2, before starting anything; the setup record in a
results.json renders bounded and inert, also when crafted (`labgrader report` trusts no file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labgrader.reports import html, markdown
from labgrader.reports.model import run_from_dict
from labgrader.reports.setup_section import summary_lines
from tests.setup.helpers import REFERENCE_SCRIPT, grader_environment


def _grade(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labgrader", "grade", "--out", str(tmp_path / "out"), *options],
        env=grader_environment(tmp_path / "tmp"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--setup", "no/such/setup.sh"], "labgrader: --setup no/such/setup.sh: no such file"),
        (["--setup", str(REFERENCE_SCRIPT), "--target", "aws"], "--setup runs on --target local or containers"),
        (["--setup", str(REFERENCE_SCRIPT), "--redis-url", "redis://127.0.0.1:1/0"], "drop --endpoint-url"),
        (["--setup", str(REFERENCE_SCRIPT), "--roster", "roster.csv"], "give one of them"),
    ],
)
def test_what_setup_cannot_do_is_one_line_and_exit_2(tmp_path: Path, options: list[str], expected: str) -> None:
    done = _grade(tmp_path, *options)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "out" / "results.json").exists()
    assert not list((tmp_path / "tmp").iterdir())  # no sandbox home, no working copy


def test_a_bad_timeout_is_a_usage_error(tmp_path: Path) -> None:
    done = _grade(tmp_path, "--setup", str(REFERENCE_SCRIPT), "--setup-timeout", "-3")
    assert done.returncode == 2
    assert "is not a number of seconds" in done.stderr


def _results(setup: object) -> dict[str, object]:
    return {"lab": "week8", "target": "local", "checks": [], "setup": setup}


def test_the_setup_record_heads_every_report() -> None:
    record = {
        "script": "setup.sh",
        "exit_code": 254,
        "duration_s": 3.5,
        "timeout_s": 300.0,
        "timed_out": False,
        "failed_commands": [
            {"line": 4, "exit_code": 254, "command": "aws dynamodb create-table --table-name X", "last_output": "boom"}
        ],
        "more_failed_commands": 0,
        "output_tail": ["boom"],
        "containment": "bwrap",
    }
    expected = [
        "setup script setup.sh: exit code 254 after 3.5 s; 1 command failed:",
        "  line 4: `aws dynamodb create-table --table-name X` exited 254: boom",
    ]
    assert summary_lines(record) == expected
    run = run_from_dict(_results(record))
    assert "    " + expected[1] in markdown.render(run)
    assert "line 4: `aws dynamodb create-table --table-name X` exited 254: boom" in html.render(run)


def test_a_crafted_setup_record_renders_bounded_and_inert() -> None:
    crafted = {
        "script": "s\x1b[2J.sh",
        "exit_code": "x" * 10_000,
        "duration_s": True,
        "failed_commands": [{"line": ["y"] * 5000, "command": "<script>alert(1)</script>\n# header"}] * 500,
        "more_failed_commands": -7,
        "output_tail": "not a list",
        "containment": "process-group",
    }
    lines = summary_lines(crafted)
    assert all("\x1b" not in line and "\n" not in line and len(line) < 700 for line in lines)
    assert "; 500 commands failed:" in lines[0]
    assert lines[-2] == "  … and 480 more"
    assert "weaker containment (process-group)" in lines[-1]
    page = html.render(run_from_dict(_results(crafted)))
    assert "<script>alert(1)" not in page
    for not_a_record in (None, "text", {"script": 3}, []):
        assert summary_lines(not_a_record) == []
