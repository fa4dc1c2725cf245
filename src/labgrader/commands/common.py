"""What the commands share: one-line messages, spec loading, target options, running and reporting a grade."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from labgrader import __version__, paths, reports
from labgrader.engine import inert, runner
from labgrader.engine.outdir import OutputError
from labgrader.engine.results import RESULTS_FILE, load
from labgrader.reports import junit, scorecard
from labgrader.reports.model import run_from_dict
from labgrader.reports.progress import PlainProgress, open_progress
from labgrader.spec import LabSpec, load_spec
from labgrader.targets import preflight
from labgrader.targets.base import TARGET_NAMES, Target

DEFAULT_OUT = Path("reports/latest")


def say(message: str) -> None:
    try:
        print(message, flush=True)
    except BrokenPipeError:
        silence_stdout()  # the reader went away (`| head -1`): the command still finishes its work


def complain(message: str) -> None:
    try:
        # Messages can quote paths and values students chose: one line, no terminal escapes.
        sys.stderr.write(f"labgrader: {inert.terminal(message)}\n")
        sys.stderr.flush()
    except BrokenPipeError:
        _silence(sys.stderr)


def silence_stdout() -> None:
    _silence(sys.stdout)


def _silence(stream: TextIO) -> None:
    """Point a stream whose pipe closed at /dev/null, so later writes (and the flush at exit) succeed quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


def load_lab(path: str | None) -> LabSpec:
    return load_spec(path or paths.default_lab_spec())


def add_target_options(parser: argparse.ArgumentParser, *, targets: Sequence[str] = TARGET_NAMES) -> None:
    parser.add_argument("--target", choices=targets, default="local", help="where the lab runs (default local)")
    parser.add_argument("--lab", metavar="SPEC", help="lab spec TOML (default: the week-8 lab)")
    parser.add_argument("--region", help="AWS region (aws target; default from AWS config, then the lab spec)")
    parser.add_argument("--profile", help="AWS profile (aws target)")
    parser.add_argument("--redis-url", help="Redis to grade instead of the default (e.g. an SSH tunnel on AWS)")


def _formats(text: str) -> tuple[str, ...]:
    try:
        return reports.parse_formats(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_report_options(parser: argparse.ArgumentParser, *, student_id: bool = False) -> None:
    parser.add_argument(
        "--format",
        type=_formats,
        default=None,
        metavar="LIST",
        help="reports besides results.json, comma-separated: html, markdown, junit, gradescope, classroom, all "
        "(json = results.json only; default: all but classroom, and classroom too when $GITHUB_OUTPUT is set)",
    )
    if student_id:
        parser.add_argument(
            "--student-id", metavar="ID", help="who is graded: kept in results.json, the gradebook's first column"
        )


@dataclass
class ReportGuard:
    """Set once the run's reports are written: a crash after that must not overwrite them."""

    reported: bool = False
    # Why no report was written when the command returns early (a usage error) instead of raising.
    reason: str = "grading did not run (see the autograder log)."


def describe_crash(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "the run was interrupted."
    if isinstance(exc, runner.GradingUsageError):
        return "pytest refused the grading run's arguments (see the autograder log)."
    text = str(exc).strip() or type(exc).__name__
    known = type(exc).__module__.startswith("labgrader")
    return text if known else f"{type(exc).__name__}: {text}"


@contextmanager
def reporting_crashes(out: Path, formats: Sequence[str] | None) -> Iterator[ReportGuard]:
    """Gradescope and Classroom must get a file even when grading cannot finish: write one that says why.

    Only for formats asked for explicitly (--format): a local run that fails to start leaves no files behind.
    """
    started = time.monotonic()
    guard = ReportGuard()

    def report_crash(message: str) -> None:
        if not formats or guard.reported:
            return
        try:
            reports.write_crash_reports(out, formats, message, time.monotonic() - started)
        except OSError as write_error:
            complain(f"could not write the crash reports in {out}: {write_error}")

    try:
        yield guard
    except OutputError:
        raise  # the report folder itself refuses: nothing more can be written there
    except BaseException as exc:
        report_crash(describe_crash(exc))
        raise
    report_crash(guard.reason)


def identity_fields(student_id: str | None, checked: preflight.Preflight) -> dict[str, Any]:
    """Who is graded: `--student-id`, and on AWS the account and caller from the preflight's STS call."""
    fields: dict[str, Any] = {"student_id": student_id} if student_id else {}
    if checked.account:
        fields["aws_account_id"] = checked.account
    return fields | {k: v for k, v in checked.report_fields().items() if k != "account"}


def grade_and_report(
    spec: LabSpec,
    target: Target,
    out: Path,
    solution: Path | None,
    extra: Sequence[str] = (),
    *,
    formats: Sequence[str] | None = None,
    student_id: str | None = None,
    display: PlainProgress | None = None,
    guard: ReportGuard | None = None,
    fields: dict[str, Any] | None = None,
) -> int:
    """Grade and write the reports; `fields` go into results.json besides the run's own (`setup` of --setup)."""
    formats = reports.default_formats() if formats is None else tuple(formats)
    pytest_extra = list(extra)
    junit_path = None
    if "junit" in formats:
        junit_path = junit.junit_path_in(pytest_extra)
        if junit_path is None:
            junit_path = junit.private_pytest_file(out)
            pytest_extra += junit.pytest_options(junit_path, spec.lab.name)
    try:
        return _grade_and_write(
            spec,
            target,
            out,
            solution=solution,
            pytest_extra=pytest_extra,
            formats=formats,
            junit_path=junit_path,
            student_id=student_id,
            display=display,
            guard=guard,
            fields=fields,
        )
    finally:
        junit.discard_private(junit_path, out)


def _grade_and_write(
    spec: LabSpec,
    target: Target,
    out: Path,
    *,
    solution: Path | None,
    pytest_extra: list[str],
    formats: Sequence[str],
    junit_path: Path | None,
    student_id: str | None,
    display: PlainProgress | None,
    guard: ReportGuard | None,
    fields: dict[str, Any] | None,
) -> int:
    checked = preflight.run(target)  # can the grader look at all? one line and exit 3 if not
    for service, action in checked.denied.items():
        complain(f"AWS denies the grader {action}: the {service} checks will report `error` until it is granted.")
    redis_problem = preflight.redis_problem(target)
    if redis_problem:
        complain(f"{redis_problem} The Redis checks will report `error`.")
    display = display or open_progress(write=say)
    try:
        display.phase(f"labgrader {__version__}: grading lab {spec.lab.name} on {target.describe()}")
        runner.grade(
            spec,
            target,
            out_dir=out,
            solution=solution,
            extra_args=pytest_extra,
            on_result=display.check_done,
            plugins=[display.plugin()],
        )
    finally:
        display.close()
    # Every report is derived from results.json as written (and scrubbed of secrets) by the run.
    data = load(out / RESULTS_FILE)
    data.update(identity_fields(student_id, checked))
    data.update(fields or {})
    run = run_from_dict(data)
    written = reports.write_reports(run, out, formats, junit_path=junit_path)
    if guard is not None:
        guard.reported = True
    scorecard.show(run, write=say, results_path=str(written["json"]))
    others = [f"{name} {path}" for name, path in written.items() if name != "json"]
    if others:
        say("reports: " + ", ".join(others))
    return run.exit_code
