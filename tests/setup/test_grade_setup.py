"""`labgrader grade --setup SCRIPT` on a fresh sandbox: the reference script earns full marks; a script that fails
half-way shows the failing command, its exit code and last line, and the checks it broke fail; a hanging one is
killed at the timeout; a hostile one leaves nothing, touches nothing of --out and sees no grader secret; Ctrl-C or
SIGTERM during the script or during grading leaves no sandbox or student process. Measured here (2 shared cores):
the reference run end to end 19 to 28 s, the file 50 to 75 s."""

from __future__ import annotations

import shutil
import signal
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest

from labgrader import paths
from tests.setup.helpers import (
    GRADER_SECRET,
    REFERENCE_MODULE,
    REFERENCE_SCRIPT,
    Run,
    command,
    grade,
    grader_environment,
    interrupt,
    processes_mentioning,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def _script(folder: Path, body: str, name: str = "setup.sh") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return script


def _nothing_left(scratch: Path, *markers: str) -> None:
    left = processes_mentioning(str(scratch), *markers)
    assert not left, f"left running: {left}"
    assert not list(scratch.iterdir()), f"left in the grader's TMPDIR: {list(scratch.iterdir())}"


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    base = tmp_path_factory.mktemp("setup-reference")
    run = grade(REFERENCE_SCRIPT, base / "out", base / "tmp", "--solution", str(REFERENCE_MODULE))
    return run, base / "tmp"


def test_the_reference_script_earns_full_marks_and_leaves_nothing(reference_run: tuple[Run, Path]) -> None:
    run, scratch = reference_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    results = run.results
    assert results["score"] == results["max_score"] == 100
    assert not [c["id"] for c in results["checks"] if c["status"] not in ("pass",)]
    setup = results["setup"]
    assert (setup["exit_code"], setup["timed_out"], setup["failed_commands"]) == (0, False, [])
    assert setup["containment"] in ("bwrap", "unshare", "process-group")
    assert run.stdout.startswith("setup: starting a fresh sandbox for setup_reference.sh")
    assert "setup script setup_reference.sh: ran to the end" in run.stdout
    assert "Setup script" in (run.out / "summary.md").read_text(encoding="utf-8")
    assert 'id="setup"' in (run.out / "report.html").read_text(encoding="utf-8")
    _nothing_left(scratch)


def test_a_script_failing_half_way_shows_the_command_and_the_checks_it_broke_fail(tmp_path: Path) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    # A file beside the script, read with a relative file:// path: the script runs from a copy of its folder.
    shutil.copy(paths.fixtures_dir() / "data" / "batch" / "books.json", folder / "books.json")
    script = _script(
        folder,
        """
        set -euo pipefail
        aws dynamodb create-table --table-name LabProducts \\
            --attribute-definitions AttributeName=category,AttributeType=S AttributeName=sku,AttributeType=S \\
            --key-schema AttributeName=category,KeyType=HASH AttributeName=sku,KeyType=RANGE \\
            --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus --output text
        aws dynamodb batch-write-item --request-items file://books.json --output text
        aws dynamodb batch-write-item --request-items file://games.json --output text
        redis-cli -u "$REDIS_URL" SET lab:hello world
        """,
    )
    run = grade(script, tmp_path / "out", tmp_path / "tmp")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    failed = run.results["setup"]["failed_commands"]
    assert len(failed) == 1, failed
    assert failed[0]["line"] == 7
    assert failed[0]["exit_code"] == 255
    assert failed[0]["command"] == "aws dynamodb batch-write-item --request-items file://games.json --output text"
    assert "games.json" in failed[0]["last_output"]
    assert "No such file" in failed[0]["last_output"]
    assert run.results["setup"]["exit_code"] == 255
    shown = "line 7: `aws dynamodb batch-write-item --request-items file://games.json --output text` exited 255: "
    assert shown in run.stdout
    assert shown in (run.out / "summary.md").read_text(encoding="utf-8")
    # What ran before the failure counts (the table, 25 books); what it never reached fails.
    assert run.status("dynamodb_table_exists") == "pass"
    assert run.status("dynamodb_dataset_imported") == "fail"
    assert run.status("redis_exercise_state") == "fail"
    _nothing_left(tmp_path / "tmp")


def test_a_hanging_script_is_killed_at_the_timeout_with_all_it_started(tmp_path: Path) -> None:
    marker = f"lg-hang-{uuid.uuid4().hex[:8]}"
    script = _script(
        tmp_path / "submission",
        f"""
        echo "waiting for a cluster that never comes"
        ( exec -a {marker} sleep 600 ) &
        exec -a {marker} sleep 600
        """,
    )
    run = grade(script, tmp_path / "out", tmp_path / "tmp", "--setup-timeout", "2")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    setup = run.results["setup"]
    assert setup["timed_out"] is True
    assert setup["exit_code"] is None
    assert 2 <= setup["duration_s"] < 10
    assert "still running at the 2.0 s timeout: killed (whole process tree)" in run.stdout
    assert "last output: waiting for a cluster that never comes" in run.stdout
    _nothing_left(tmp_path / "tmp", marker)


def test_a_hostile_script_leaves_nothing_touches_nothing_and_sees_no_secret(tmp_path: Path) -> None:
    marker = f"lg-hostile-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out"
    out.mkdir()
    (out / "student.txt").write_text("the student's own file", encoding="utf-8")
    script = _script(
        tmp_path / "submission",
        f"""
        echo "env: $(env | tr '\\n' ' ')"
        cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -a GRADER_SECRET || echo "no secret in /proc"
        setsid bash -c 'exec -a {marker} sleep 600' </dev/null >/dev/null 2>&1 &
        ( ( exec -a {marker} sleep 600 ) </dev/null >/dev/null 2>&1 & )
        echo pwned > {out}/report.html
        touch {out}/evil.txt
        rm -f {out}/student.txt
        echo "pwned" > "$(dirname "$PWD")/labgrader-err-trap.sh"
        """,
    )
    run = grade(script, out, tmp_path / "tmp")
    for text in (run.stdout, run.stderr, *(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())):
        assert GRADER_SECRET not in text
    tail = " ".join(run.results["setup"]["output_tail"])
    assert "no secret in /proc" in tail
    assert "GRADER_SECRET" not in tail
    assert (out / "student.txt").read_text(encoding="utf-8") == "the student's own file"
    assert not (out / "evil.txt").exists()
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    if run.results["setup"]["containment"] == "bwrap":
        # The writes into --out and into the grader's folder fail (--out, under /tmp here, is not even visible: the
        # `rm -f` of a file it cannot see succeeds without touching the student's file).
        failed = [entry["command"] for entry in run.results["setup"]["failed_commands"]]
        assert len(failed) == 3, failed
        assert "report.html" in failed[0]
        assert "evil.txt" in failed[1]
        assert "labgrader-err-trap.sh" in failed[2]
    _nothing_left(tmp_path / "tmp", marker)


def _started(scratch: Path, marker: str) -> bool:
    return bool(processes_mentioning(marker))


def test_ctrl_c_during_the_script_leaves_no_sandbox_and_no_student_process(tmp_path: Path) -> None:
    marker = f"lg-sigint-{uuid.uuid4().hex[:8]}"
    script = _script(tmp_path / "submission", f"( exec -a {marker} sleep 600 ) &\nexec -a {marker} sleep 600\n")
    scratch = tmp_path / "tmp"
    proc = subprocess.Popen(
        command(script, tmp_path / "out"),
        env=grader_environment(scratch),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    code, output = interrupt(proc, lambda: _started(scratch, marker))
    assert code == 130, output
    _nothing_left(scratch, marker)


def test_sigterm_during_grading_leaves_no_sandbox_and_no_student_process(tmp_path: Path) -> None:
    script = _script(tmp_path / "submission", 'redis-cli -u "$REDIS_URL" SET lab:hello world\n')
    scratch = tmp_path / "tmp"
    log = tmp_path / "grader.log"
    hangs = paths.fixtures_dir() / "solutions" / "broken" / "hangs.py"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            command(script, tmp_path / "out", "--solution", str(hangs)),
            env=grader_environment(scratch),
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
        code, _ = interrupt(
            proc, lambda: "cache_aside_" in log.read_text(encoding="utf-8", errors="replace"), signal.SIGTERM
        )
    # Inside a check, pytest turns the interruption into results ("the run was interrupted" on the checks it
    # stopped, exit 1); between checks or while reporting it ends the command ("labgrader: interrupted.", 130).
    assert code in (1, 130), log.read_text()
    # The signal may also land once the scorecard is out, while the run tears down: then it finished its reports.
    text = log.read_text(encoding="utf-8")
    assert "interrupted" in text or "Score " in text, text
    _nothing_left(scratch)
