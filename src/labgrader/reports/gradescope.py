"""Gradescope autograder output: `results/results.json` under the report folder.

On Gradescope run `labgrader grade ... --format gradescope --out /autograder`: the file lands where the harness reads
it (`/autograder/results/results.json`). Per check: `name`, `number` ("section.position", stable across labs),
`score`, `max_score`, `status` (passed/failed), `output` (the message and, for a miss, the fix: never the raw
evidence), `tags`, `visibility` (from the lab spec's `[checks.<id>] visibility`, so hidden and after-the-due-date
checks work). Skipped checks (not part of this lab, or impossible on this target) carry no points and are listed
in the top-level `output` instead of as tests. stdout stays hidden from students: the terminal scorecard shows
every check, hidden ones included.

The contract, from Gradescope's specification (gradescope/autograder_samples, docs/specs.md; the tests in
tests/reports/test_report_contracts.py cite each rule): the top-level `score` overrides the tests' total, so it is
their exact sum; hidden tests keep their points (the sentence that reserved `hidden` for 0-point tests was removed
in commit 47aed8f, "All points contribute to the total score"), and while any test is hidden students do not see
the total, so the visible top-level `output` does not state it either; `execution_time` is in seconds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from labgrader.engine import outdir
from labgrader.engine.catalog import SECTION_TITLES
from labgrader.engine.inert import NAME_LIMIT, bounded
from labgrader.reports.model import blocked_roots, root_causes, sections, student_text, summary_counts, title
from labgrader.engine.results import RunResult

RESULTS_PATH = Path("results") / "results.json"
TOP_LEVEL_KEYS = frozenset({"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"})
TEST_KEYS = frozenset({"name", "number", "score", "max_score", "status", "output", "tags", "visibility"})


def build(run: RunResult) -> dict[str, Any]:
    tests: list[dict[str, Any]] = []
    not_graded: list[str] = []
    order = list(SECTION_TITLES)
    roots = blocked_roots(run)
    for section in sections(run):
        section_number = order.index(section.key) + 1 if section.key in order else len(order) + 1
        for position, check in enumerate(section.checks, start=1):
            if check.status == "skip":
                not_graded.append(f"- {check.id}: {bounded(check.message)}")
                continue
            tags = [section.key, check.status]
            if not check.required:
                tags.append("advisory")
            tests.append(
                {
                    "name": bounded(f"{check.id}: {title(check)}" if title(check) != check.id else check.id, NAME_LIMIT),
                    "number": f"{section_number}.{position}",
                    "score": check.points,
                    "max_score": check.max_points,
                    "status": "passed" if check.status == "pass" else "failed",
                    "output": student_text(check, blocked_by=roots.get(check.id)),
                    "tags": tags,
                    "visibility": check.visibility,
                }
            )
    version = f" {run.labgrader_version}" if run.labgrader_version else ""
    header = f"labgrader{version}: lab {run.lab} on {run.target}:"
    held_back = [t for t in tests if t["visibility"] != "visible"]
    if held_back:
        # Gradescope hides the total score from students while any test is hidden; the summary must not give it.
        shown = [t for t in tests if t["visibility"] == "visible"]
        passed = sum(1 for t in shown if t["status"] == "passed")
        lines = [
            f"{header} the checks shown now score "
            f"{sum(t['score'] for t in shown):g}/{sum(t['max_score'] for t in shown):g} ({passed} of {len(shown)} "
            f"passed); {len(held_back)} more are shown later, with the total."
        ]
    else:
        lines = [f"{header} {run.score:g}/{run.max_score:g} ({summary_counts(run)})."]
    to_fix = [c for c, _ in root_causes(run) if c.visibility == "visible"]
    if to_fix:
        lines.append(f"To fix first: {', '.join(c.id for c in to_fix[:5])}.")
    if any(c.status == "error" and c.visibility == "visible" for c in run.checks):
        lines.append("ERROR means the grader could not look (unreachable endpoint, missing permission): no verdict.")
    if not_graded:
        lines.extend(["", "Not graded on this run:", *not_graded])
    return {
        "score": run.score,
        "execution_time": math.ceil(run.duration_s),
        "output": "\n".join(lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def crashed(message: str, execution_time: float) -> dict[str, Any]:
    """What Gradescope shows when grading could not finish: score 0 and why, so nobody reads it as a grade."""
    return {
        "score": 0.0,
        "execution_time": math.ceil(max(execution_time, 0.0)),
        "output": (
            f"Grading did not finish, so this score is not a grade: {bounded(message)}\n"
            "Nothing was judged about your lab. Tell your instructor (this message is also in the autograder log)."
        ),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def write(run: RunResult, out_dir: Path) -> Path:
    return _dump(build(run), out_dir)


def write_crashed(out_dir: Path, message: str, execution_time: float) -> Path:
    return _dump(crashed(message, execution_time), out_dir)


def _dump(document: dict[str, Any], out_dir: Path) -> Path:
    return outdir.write_text(out_dir / RESULTS_PATH, json.dumps(document, indent=2) + "\n", root=out_dir)
