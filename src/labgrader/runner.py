"""Runs pytest over `checks/` for a prepared grading session: the engine behind `labgrader grade` and `demo`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.catalog import Phase
from labgrader.grading import GradingSession, ResultCallback
from labgrader.results import RunResult
from labgrader.secrets import Redactor
from labgrader.spec import LabSpec
from labgrader.targets import Target


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
            Redactor.from_environment(target.redis_url).scrub_tree(out_dir)
        raise
    if session.write_error is not None:
        raise session.write_error
    if code == pytest.ExitCode.USAGE_ERROR:
        raise GradingUsageError("pytest refused the grading run's arguments")
    if session.run is None:
        # pytest stopped before sessionfinish (internal error): still leave a complete results.json behind.
        session.run = session.build_run(interrupted=True)
        session.run.write(out_dir)
    Redactor.from_environment(target.redis_url).scrub_tree(out_dir)
    return session.run
