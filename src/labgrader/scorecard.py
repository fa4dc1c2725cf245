"""The terminal scorecard: per section, each check's status and points; for each miss, its message and the fix."""

from __future__ import annotations

from collections.abc import Callable

from labgrader.catalog import SECTION_TITLES
from labgrader.results import CheckResult, RunResult

Write = Callable[[str], None]

LABELS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP", "pending": "PENDING"}


def progress_line(result: CheckResult) -> str:
    points = f"{result.points:g}/{result.max_points:g}" if result.max_points else "-"
    return f"  {LABELS[result.status]:<8}{points:>7}  {result.id}"


def render(run: RunResult, write: Write, *, results_path: str | None = None) -> None:
    sections: dict[str, list[CheckResult]] = {}
    for result in run.checks:
        sections.setdefault(result.section, []).append(result)
    for section, results in sections.items():
        graded = [r for r in results if r.status != "skip"]
        earned = sum(r.points for r in results)
        possible = sum(r.max_points for r in results)
        write(
            f"\n{SECTION_TITLES.get(section, section)}  {earned:g}/{possible:g}"
            + ("" if graded else "  (not part of this lab)")
        )
        if not graded:
            continue
        for result in results:
            write(progress_line(result))
            if result.status in ("fail", "error", "pending"):
                write(f"            {result.message}")
                if result.hint:
                    write(f"            fix: {result.hint}")
            elif result.status == "skip":
                write(f"            {result.message}")
    counts = run.counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in LABELS if counts.get(s))
    write(f"\nScore {run.score:g}/{run.max_score:g} ({summary}) in {run.duration_s:.1f} s")
    if results_path:
        write(f"results: {results_path}")
