"""The gradebook: many students' results.json files → one CSV for the instructor.

One row per student run: who (the `--student-id` given at grade time, else the AWS account ID recorded from STS,
else the run's folder name), where that identity came from, lab, target, date, score, max score, one column per
check ID (its status), and the source file. A last row gives each check's pass rate over the runs that graded it
(skipped runs don't count). Missing and malformed files are reported one warning each and left out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from labgrader.engine.catalog import BY_ID, CATALOG
from labgrader.engine.inert import csv_cell
from labgrader.reports.model import MalformedResultsError, identity, load_run
from labgrader.engine.results import RESULTS_FILE, RunResult

RATE_ROW_LABEL = "pass rate"
FIXED_COLUMNS = ("student", "identity_source", "lab", "target", "date", "score", "max_score")


@dataclass(frozen=True)
class Entry:
    path: Path
    run: RunResult

    @property
    def student(self) -> tuple[str, str]:
        found = identity(self.run)
        return found if found is not None else (self.path.resolve().parent.name, "folder")


def find_results(argument: Path) -> list[Path]:
    """The results.json files an argument names: the file itself, a run folder, or a folder of run folders.

    Anything that exists and is not a folder is taken as a file (a FIFO or a device is then refused when read)."""
    if not argument.is_dir():
        return [argument] if _present(argument) else []
    if _present(argument / RESULTS_FILE):
        return [argument / RESULTS_FILE]
    try:
        runs = list(argument.iterdir())
    except OSError:  # an unreadable folder: named in the caller's warning
        return []
    return sorted(run / RESULTS_FILE for run in runs if run.is_dir() and _present(run / RESULTS_FILE))


def _present(path: Path) -> bool:
    """Exists, or is a link to nothing (named in a warning rather than silently left out)."""
    return path.exists() or path.is_symlink()


def collect(arguments: Iterable[Path], warn: Callable[[str], None]) -> list[Entry]:
    entries: list[Entry] = []
    for argument in arguments:
        paths = find_results(argument)
        if not paths:
            where = "does not exist" if not argument.exists() else f"has no {RESULTS_FILE}"
            warn(f"skipping {argument}: {where}")
            continue
        for path in paths:
            try:
                run = load_run(path)
            except MalformedResultsError as exc:
                warn(f"skipping {path}: {exc}")
                continue
            entries.append(Entry(path, run))
    return entries


def check_columns(entries: list[Entry]) -> list[str]:
    """Every check ID any run has, catalog order first, unknown IDs after (sorted)."""
    present = {c.id for e in entries for c in e.run.checks}
    known = [entry.id for entry in CATALOG if entry.id in present]
    return known + sorted(present - set(BY_ID))


def rows(entries: list[Entry]) -> tuple[list[str], list[list[str]]]:
    columns = check_columns(entries)
    header = [*FIXED_COLUMNS, *columns, "source"]
    table: list[list[str]] = []
    for entry in entries:
        statuses = {c.id: c.status for c in entry.run.checks}
        who, source = entry.student
        table.append(
            [
                who,
                source,
                entry.run.lab,
                entry.run.target,
                entry.run.started_at,
                f"{entry.run.score:g}",
                f"{entry.run.max_score:g}",
                *(statuses.get(c, "") for c in columns),
                str(entry.path),
            ]
        )
    table.append(pass_rate_row(entries, columns))
    return header, table


def pass_rate_row(entries: list[Entry], columns: list[str]) -> list[str]:
    rates = []
    for check_id in columns:
        graded = [c.status for e in entries for c in e.run.checks if c.id == check_id and c.status != "skip"]
        rates.append(f"{100 * graded.count('pass') / len(graded):.1f}%" if graded else "")
    mean_score = sum(e.run.score for e in entries) / len(entries) if entries else 0.0
    mean_max = sum(e.run.max_score for e in entries) / len(entries) if entries else 0.0
    return [f"{RATE_ROW_LABEL} (n={len(entries)})", "", "", "", "", f"{mean_score:.2f}", f"{mean_max:.2f}", *rates, ""]


def render(entries: list[Entry]) -> str:
    header, table = rows(entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # Student IDs, check IDs and folder names come from files students control: no cell may be a formula.
    writer.writerow([csv_cell(c) for c in header])
    writer.writerows([csv_cell(c) for c in row] for row in table)
    return buffer.getvalue()
