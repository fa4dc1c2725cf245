"""`grade --roster` and `cleanup --roster`: a whole class, one student's AWS account per roster row.

Grading writes `--out/<student>/` (results.json and the reports of one run), then `--out/gradebook.csv`,
`--out/class.html` and `--out/class.json` (the same, machine-readable). Exit 0 when every account was graded
(whatever the grades), 3 when some could not be or only in part (a required check could not look: throttling, a
timeout; their rows say why), 2 for a bad roster or option.

The sweep prints every account's leftovers and the class total; with --out (or --format) it also writes
`--out/<student>/` (the cleanup checks' results.json and reports) and `--out/class.json` (the class total).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from labgrader import __version__, reports
from labgrader.cleanup import handoff, plan, pricing, table, take_inventory
from labgrader.cleanup.execute import Executor
from labgrader.cleanup.inventory import enabled_regions, scan_clients
from labgrader.cleanup.model import Inventory
from labgrader.cleanup.report import cleanup_block
from labgrader.commands.common import DEFAULT_OUT, complain, say
from labgrader.engine import outdir, runner
from labgrader.engine.errors import describe_could_not_look
from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK, EXIT_OK, EXIT_USAGE
from labgrader.engine.inert import terminal
from labgrader.engine.results import RESULTS_FILE
from labgrader.reports import classreport, gradebook, html
from labgrader.reports.model import MalformedResultsError, load_run
from labgrader.roster import accounts as roster
from labgrader.roster.grading import Job, Outcome, error_run, grade_class, summary_line
from labgrader.spec import LabSpec
from labgrader.targets.base import Target

GRADEBOOK_FILE = "gradebook.csv"
# The class run in machine-readable form: one entry per student (status, score, reason, wall and CPU seconds).
SUMMARY_FILE = "class.json"


def add_roster_options(parser: argparse.ArgumentParser, *, grading: bool) -> None:
    parser.add_argument(
        "--roster",
        type=Path,
        metavar="CSV",
        help="a class (aws target): student_id,role_arn[,region,external_id,redis_url] per row; assumes each role",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help=f"with --roster: accounts at once (default 2 per CPU core: {roster.default_jobs()})",
    )
    if grading:
        parser.add_argument(
            "--shard", metavar="i/N", help="with --roster: grade only the i-th of N slices of the roster (a CI matrix)"
        )


def roster_usage_problem(args: argparse.Namespace) -> str | None:
    """Why the roster options cannot be used as given, or None."""
    if args.roster is None:
        given = [f"--{name}" for name in ("jobs", "shard") if getattr(args, name, None) is not None]
        return f"{given[0]} needs --roster." if given else None
    if args.target != "aws":
        return "--roster grades students' AWS accounts: use it with --target aws."
    if args.jobs is not None and not 1 <= args.jobs <= 256:
        return "--jobs must be between 1 and 256."
    if getattr(args, "redis_url", None):
        return "--redis-url is one Redis: with --roster give each student's in the roster's redis_url column."
    if getattr(args, "student_id", None):
        return "--student-id names one student: with --roster the IDs come from its student_id column."
    if getattr(args, "solution", None) is not None:
        return "--solution is one student's module: a roster run grades the AWS accounts only."
    return None


def _instructor(args: argparse.Namespace) -> roster.Instructor:
    # `--endpoint-url` (an AWS-compatible emulator) when this labgrader has it, else boto3's AWS_ENDPOINT_URL.
    endpoint = getattr(args, "endpoint_url", None) or os.environ.get("AWS_ENDPOINT_URL") or None
    return roster.Instructor(profile=args.profile, endpoint_url=endpoint, region=args.region)


def _students(args: argparse.Namespace) -> list[roster.Student] | None:
    students = roster.load(args.roster)  # RosterError (exit 2) names the bad row
    shard = getattr(args, "shard", None)
    if shard is not None:
        try:
            index, count = roster.parse_shard(shard)
        except ValueError as exc:
            complain(f"{exc}.")
            return None
        students = roster.shard(students, index, count)
        say(f"Shard {index}/{count}: {len(students)} of the roster's students.")
    return students


class _Display:
    """A live bar (done/total, the account just finished) on a terminal; one plain line per account elsewhere."""

    def __init__(self, total: int) -> None:
        self.console = Console(highlight=False)
        self.live = sys.stdout.isatty() and self.console.is_terminal and not self.console.is_dumb_terminal
        self.progress: Progress | None = None
        if self.live:
            self.progress = Progress(
                TextColumn("grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.task = self.progress.add_task("", total=total)

    @contextlib.contextmanager
    def shown(self) -> Iterator[_Display]:
        if self.progress is None:
            yield self
            return
        with self.progress:
            yield self

    def done(self, outcome: Outcome, done: int, total: int) -> None:
        line = terminal(summary_line(outcome))
        if self.progress is not None:
            self.progress.console.print(line, markup=False)
            self.progress.update(self.task, completed=done, description=terminal(outcome.account or outcome.student_id))
        else:
            say(f"[{done}/{total}] {line}")


def grade(args: argparse.Namespace, spec: LabSpec, extra: list[str]) -> int:
    students = _students(args)
    if students is None:
        return EXIT_USAGE
    instructor = _instructor(args)
    default_region = roster.default_region(instructor, spec.lab.region)
    formats = reports.default_formats() if args.format is None else tuple(args.format)
    out: Path = args.out
    jobs = [
        Job(student, spec, instructor, instructor.region_for(student, default_region), out, formats, tuple(extra))
        for student in students
    ]
    workers = args.jobs or roster.default_jobs()
    say(
        f"labgrader {__version__}: grading lab {spec.lab.name} in {len(jobs)} AWS account(s), "
        f"{min(workers, len(jobs))} at a time; results under {out}/"
    )
    display = _Display(len(jobs))
    with display.shown():
        result = grade_class(jobs, workers, display.done)
    rows = []
    for outcome in result.outcomes:
        try:
            run = load_run(out / outcome.folder / RESULTS_FILE)
        except MalformedResultsError:
            run = None
        rows.append(
            classreport.StudentRow(
                outcome.student_id,
                outcome.account,
                outcome.folder,
                outcome.status,
                outcome.score,
                outcome.max_score,
                outcome.reason,
                run,
                has_report=(out / outcome.folder / html.FILE_NAME).is_file(),
            )
        )
    entries = gradebook.collect([out / row.folder for row in rows if row.run is not None], warn=complain)
    book = out / GRADEBOOK_FILE
    book.write_text(gradebook.render(entries), encoding="utf-8")
    page = classreport.write(spec.lab.name, rows, result.duration_s, out)
    summary = {
        "lab": spec.lab.name,
        "duration_s": round(result.duration_s, 3),
        "workers": min(workers, len(jobs)),
        "students": [dataclasses.asdict(outcome) for outcome in result.outcomes],
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    errors = result.errors
    partial = [outcome for outcome in result.unfinished if outcome.status != "error"]
    say(
        f"Class graded in {result.duration_s:.1f} s: {len(rows) - len(errors) - len(partial)} account(s) graded, "
        + (f"{len(partial)} graded in part, " if partial else "")
        + f"{len(errors)} could not be graded. gradebook {book}, class report {page}"
    )
    for outcome in result.unfinished:
        complain(f"{outcome.student_id}: {'graded in part' if outcome.status != 'error' else 'not graded'}: "
                 f"{outcome.reason}")  # fmt: skip
    return EXIT_COULD_NOT_LOOK if result.unfinished else EXIT_OK


def cleanup(args: argparse.Namespace, spec: LabSpec) -> int:
    """Every account's leftovers with their hourly cost and a class total; `--delete --yes` deletes them account by
    account in the safe order. With `--out` (or `--format`): one report folder per account (the cleanup checks'
    results.json and reports, as `cleanup` writes for one account) and `class.json` with the class total."""
    students = _students(args)
    if students is None:
        return EXIT_USAGE
    instructor = _instructor(args)
    default_region = roster.default_region(instructor, spec.lab.region)
    prices = pricing.load()
    deleting = args.delete and args.yes
    mode = "delete" if deleting else "dry-run" if args.delete else "read-only"
    out: Path | None = args.out if args.out is not None or args.format is None else DEFAULT_OUT
    formats = reports.default_formats() if args.format is None else tuple(args.format)
    say(f"labgrader {__version__}: cleanup of lab {spec.lab.name} in {len(students)} AWS account(s)")
    class_hourly = 0.0
    unseen: list[str] = []
    accounts: list[dict[str, object]] = []
    # Looking is read-only and mostly waiting on AWS: every account at once (at most --jobs); deleting below goes
    # account by account.
    with ThreadPoolExecutor(max_workers=args.jobs or roster.default_jobs()) as pool:
        looks = list(
            pool.map(
                lambda student: _look(args, spec, student, instructor=instructor, region=default_region, prices=prices),
                students,
            )
        )
    for student, (target, looked) in zip(students, looks, strict=True):
        say(f"\n== {student.student_id} (account {student.account}) ==")
        entry: dict[str, object] = {"student_id": student.student_id, "account": student.account}
        entry["folder"] = student.folder
        if target is None or not isinstance(looked, Inventory):
            unseen.append(student.student_id)
            complain(f"{student.student_id}: {looked}")
            accounts.append({**entry, "status": "error", "hourly": None, "reason": str(looked)})
            if out is not None:
                region = instructor.region_for(student, default_region)
                run = error_run(spec, region, str(looked), phase="cleanup")
                run.extra.update({"student_id": student.student_id, "roster_line": student.line})
                reports.write_reports(run, out / student.folder, formats)
            continue
        found = looked
        table.render(found, say, prices)
        steps = plan.build(found)
        deleted = None
        if steps and deleting:
            say(f"Deleting the leftovers of lab {spec.lab.name} in account {student.account}, in order:")
            # An emulator (--endpoint-url / AWS_ENDPOINT_URL) deletes within seconds: poll it as the sandbox.
            deleted = Executor(scan_clients(target), "local" if target.endpoint_url else target.name, say).run(steps)
            found = take_inventory(spec, target, list(found.regions), prices=prices)
            say("After deleting:")
            table.render(found, say, prices)
        elif steps and args.delete:
            table.render_plan(steps, say, "Dry run: --delete --yes would run, in this order:")
        hourly, _monthly, _unknown = found.total()
        class_hourly += hourly
        accounts.append({**entry, "status": "leftovers" if found.leftovers else "clean", "hourly": round(hourly, 4)})
        if out is not None:
            with handoff.provide(spec, target, found):
                result = runner.grade(spec, target, out_dir=out / student.folder, phase="cleanup")
            result.extra["cleanup"] = cleanup_block(found, steps, prices, deleted=deleted, mode=mode)
            result.extra.update({"student_id": student.student_id, "roster_line": student.line})
            reports.write_reports(result, out / student.folder, formats)
    seen = len(students) - len(unseen)
    if out is not None:
        summary = {
            "lab": spec.lab.name,
            "phase": "cleanup",
            "mode": mode,
            "hourly_total": round(class_hourly, 4),
            "monthly_total": round(class_hourly * 730, 2),
            "accounts": accounts,
        }
        outdir.write_text(out / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
        say(f"\nReports: one folder per account under {out}/, the class total in {out / SUMMARY_FILE}")
    say(
        f"\nClass total: ${class_hourly:.3f}/h (${class_hourly * 730:.2f}/month) still billing in {seen} "
        f"account(s) looked at" + (f"; {len(unseen)} could not be looked at: {', '.join(unseen)}" if unseen else ".")
    )
    return EXIT_COULD_NOT_LOOK if unseen else EXIT_OK


def _look(
    args: argparse.Namespace,
    spec: LabSpec,
    student: roster.Student,
    *,
    instructor: roster.Instructor,
    region: str,
    prices: pricing.PriceTable,
) -> tuple[Target | None, Inventory | str]:
    """(the account's target, its inventory), or (None / the target, why it could not be looked at)."""
    region = instructor.region_for(student, region)
    try:
        credentials = roster.assume(instructor, student, region)
    except roster.AssumeRoleError as exc:
        return None, str(exc)
    target = roster.student_target(instructor, student, region, credentials)
    try:
        regions = enabled_regions(target) if args.all_regions else None
        return target, take_inventory(spec, target, regions, prices=prices)
    except Exception as exc:  # noqa: BLE001 - one account that cannot be looked at is that account's line
        return target, f"could not take the inventory: {describe_could_not_look(exc)}"
