"""GitHub Classroom: the autograding runner result, read by `classroom-resources/autograding-grading-reporter`.

The reporter reads each runner's step output `result`: base64 of
`{"version": 1, "status": "pass|fail|error", "max_score": N, "tests": [{"name", "status", "score", "message",
"line_no": 0, "duration"}]}` and sums `tests[].score` against `max_score`. This module appends `result=<base64>` to
`$GITHUB_OUTPUT` when that variable is set and always writes the decoded document to `classroom.json` in the report
folder. Status follows the exit code: any required `fail` → fail; otherwise any required `error`/`pending` →
error (the grader could not look: never a fail); else pass. Skipped checks are not tests (they carry no points).
Checks whose visibility is not `visible` keep their score but show only a "hidden" note (the Actions log is the
student's). `duration` is in milliseconds, like the command runner's.

Checked against the sources (tests/reports/test_report_contracts.py cites each): the reporter
(classroom-resources/autograding-grading-reporter) reads `<RUNNER>_RESULTS` for each name in `runners` (letters
and digits only), fails the job on a run status `fail` or `error`, counts a test as passed only for `pass`, and
awards Points = sum of `tests[].score` over `max_score`, ignoring a run whose `max_score` is 0 (a crash report is
then no grade, as intended). The command runner (classroom-resources/autograding-command-grader, src/main.js) sets
`duration` to the difference of two JavaScript Dates: milliseconds. The reporter's log table shows
passed/total * max_score, not the sum of scores; the Points it sends Classroom are the sum.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labgrader.engine.inert import NAME_LIMIT, bounded
from labgrader.engine import outdir
from labgrader.reports.model import blocked_roots, student_text
from labgrader.engine.exit_codes import EXIT_FAIL, EXIT_OK
from labgrader.engine.results import RunResult

FILE_NAME = "classroom.json"
OUTPUT_NAME = "result"
TOP_LEVEL_KEYS = frozenset({"version", "status", "max_score", "tests"})
TEST_KEYS = frozenset({"name", "status", "score", "message", "line_no", "duration"})
_TEST_STATUS = {"pass": "pass", "fail": "fail", "error": "error", "pending": "error"}


def build(run: RunResult) -> dict[str, Any]:
    code = run.exit_code
    status = "pass" if code == EXIT_OK else "fail" if code == EXIT_FAIL else "error"
    roots = blocked_roots(run)
    tests = [
        {
            "name": bounded(check.id, NAME_LIMIT),
            "status": _TEST_STATUS[check.status],
            "score": check.points,
            "message": student_text(check, mask_hidden=True, blocked_by=roots.get(check.id)),
            "line_no": 0,
            "duration": round(check.duration_s * 1000),
        }
        for check in run.checks
        if check.status != "skip"
    ]
    return {"version": 1, "status": status, "max_score": run.max_score, "tests": tests}


def crashed(message: str) -> dict[str, Any]:
    return {
        "version": 1,
        "status": "error",
        "max_score": 0,
        "tests": [
            {
                "name": "labgrader",
                "status": "error",
                "score": 0,
                "message": f"Grading did not finish, so nothing was judged: {bounded(message)}",
                "line_no": 0,
                "duration": 0,
            }
        ],
    }


def encode(document: Mapping[str, Any]) -> str:
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode("utf-8")).decode("ascii")


def decode(value: str) -> Any:
    return json.loads(base64.b64decode(value, validate=True))


def write(run: RunResult, out_dir: Path, environ: Mapping[str, str] | None = None) -> Path:
    return _emit(build(run), out_dir, environ)


def write_crashed(out_dir: Path, message: str, environ: Mapping[str, str] | None = None) -> Path:
    return _emit(crashed(message), out_dir, environ)


def _emit(document: dict[str, Any], out_dir: Path, environ: Mapping[str, str] | None) -> Path:
    environ = os.environ if environ is None else environ
    path = outdir.write_text(out_dir / FILE_NAME, json.dumps(document, indent=2) + "\n")
    github_output = environ.get("GITHUB_OUTPUT")
    if github_output:
        with Path(github_output).open("a", encoding="utf-8") as handle:
            handle.write(f"{OUTPUT_NAME}={encode(document)}\n")
    return path
