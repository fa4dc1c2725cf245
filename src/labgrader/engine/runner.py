"""Runs pytest over `checks/` for a prepared grading session: the engine behind `labgrader grade` and `demo`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine.catalog import Phase
from labgrader.engine.redaction import Redactor
from labgrader.engine.results import RESULTS_FILE, RunResult
from labgrader.engine.session import GradingSession
from labgrader.engine.state import ResultCallback
from labgrader.reports import junit
from labgrader.spec import LabSpec
from labgrader.targets.base import Target


class GradingUsageError(Exception):
    """pytest refused the run (bad marker, bad pytest argument); pytest already printed the one-line reason."""


def pytest_args(extra: Sequence[str] = (), checks: Path | None = None) -> list[str]:
    checks = checks or paths.checks_dir()
    return [
        str(checks),
        "-c",
        str(paths.grader_ini()),
        "--rootdir",
        str(checks.parent),
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",  # never write .pytest_cache into the student's folder
        "-p",
        "no:terminal",  # the scorecard is the output; pytest's own report would repeat it
        *extra,
    ]


def grade(
    spec: LabSpec,
    target: Target,
    *,
    out_dir: Path,
    phase: Phase = "grade",
    solution: Path | None = None,
    extra_args: Sequence[str] = (),
    on_result: ResultCallback | None = None,
    only: frozenset[str] | None = None,
    checks_dir: Path | None = None,
    plugins: Sequence[object] = (),
) -> RunResult:
    """Grade `spec` on `target`; `checks_dir` replaces checks/ (the engine's own tests use a crafted folder)."""
    checks_dir = checks_dir or paths.checks_dir()
    session = GradingSession(
        spec=spec,
        target=target,
        out_dir=out_dir,
        phase=phase,
        solution=solution,
        on_result=on_result,
        checks_root=checks_dir,
        only=only,
    )
    try:
        code = pytest.main(pytest_args(extra_args, checks_dir), plugins=[session, *plugins])
    except BaseException:
        if session.run is None:
            # A fixture's teardown raised inside pytest's sessionfinish (after a Ctrl-C, the interrupted check's
            # teardown runs there): the results the run has are still written, then the error goes on.
            session.run = session.build_run(interrupted=True)
            session.run.write(out_dir)
            _redact(session, target, out_dir, extra_args)
        raise
    if session.write_error is not None:
        raise session.write_error
    if code == pytest.ExitCode.USAGE_ERROR:
        raise GradingUsageError("pytest refused the grading run's arguments")
    if session.run is None:
        # pytest stopped before sessionfinish (internal error): still leave a complete results.json behind.
        session.run = session.build_run(interrupted=True)
        session.run.write(out_dir)
    return _redact(session, target, out_dir, extra_args)


def written_files(out_dir: Path, extra_args: Sequence[str]) -> list[Path]:
    """The files a grading run writes that can carry text: results.json and pytest's JUnit file (the latency
    checks' benchmark JSON and pictures hold numbers only)."""
    written = [out_dir / RESULTS_FILE]
    junit_file = junit.junit_path_in(list(extra_args))
    if junit_file is not None:
        written.append(junit_file)
    return written


def _redact(session: GradingSession, target: Target, out_dir: Path, extra_args: Sequence[str]) -> RunResult:
    """The last line of defence against a secret in a report: the run's own files, by path (never a walk of --out,
    which may be the autograder's or the student's folder), and the result the caller may print or write again."""
    assert session.run is not None
    redactor = Redactor.from_environment(target.redis_url)
    redactor.scrub_files(out_dir, written_files(out_dir, extra_args))
    session.run = redactor.run(session.run)
    return session.run
