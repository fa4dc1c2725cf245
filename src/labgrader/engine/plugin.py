"""The pytest plugin (entry point `pytest11: labgrader`).

Inert in ordinary pytest sessions: it registers its option group. Grading starts when
`--lab SPEC` is given (`pytest --lab fixtures/labs/week8.toml --lab-target local checks/`) or when
`labgrader grade` hands it a prepared `GradingSession`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine.session import GradingSession
from labgrader.spec import SpecError, load_spec
from labgrader.targets import open_target
from labgrader.targets.base import TARGET_NAMES, TargetError

_TARGET_CONTEXT = pytest.StashKey[object]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("labgrader", "labgrader: grade the DynamoDB + ElastiCache (Redis) lab")
    group.addoption("--lab", metavar="SPEC", default=None, help="grade this lab spec (TOML); turns grading on")
    group.addoption("--lab-target", metavar="NAME", default="local", help="local | aws | containers (default local)")
    group.addoption("--lab-region", metavar="REGION", default=None, help="AWS region (aws target)")
    group.addoption("--lab-profile", metavar="PROFILE", default=None, help="AWS profile (aws target)")
    group.addoption("--lab-redis-url", metavar="URL", default=None, help="Redis URL to grade instead of the default")
    group.addoption("--lab-solution", metavar="PATH", default=None, help="the student's cache-aside module")
    group.addoption("--lab-out", metavar="DIR", default="reports/latest", help="where results.json goes")
    group.addoption("--lab-phase", metavar="PHASE", default="grade", help="grade | cleanup")
    group.addoption(
        "--lab-disruptive",
        action="store_true",
        default=False,
        help="also run checks that disturb the lab on AWS (redis_failover_recovers calls TestFailover)",
    )
    group.addoption(
        "--lab-read-only",
        action="store_true",
        default=False,
        help="skip the checks that write scratch items/keys (for credentials that may only read)",
    )


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist decides to distribute (see below)
def pytest_configure(config: pytest.Config) -> None:
    if any(isinstance(p, GradingSession) for p in config.pluginmanager.get_plugins()):
        return  # `labgrader grade` registered a prepared session
    spec_option = config.getoption("lab", None)
    if spec_option is None:
        return
    if getattr(config.option, "dist", "no") != "no":
        # One grading run is one session writing one results.json: never split it over pytest-xdist workers
        # (a project's `-n` in addopts would otherwise do so).
        config.option.dist, config.option.numprocesses, config.option.tx = "no", None, []
    target_name = config.getoption("lab_target")
    if target_name not in TARGET_NAMES:
        raise pytest.UsageError(f"--lab-target {target_name!r} is unknown: use one of {', '.join(TARGET_NAMES)}.")
    phase = config.getoption("lab_phase")
    if phase not in ("grade", "cleanup"):
        raise pytest.UsageError(f"--lab-phase {phase!r} is unknown: use grade or cleanup.")
    try:
        spec = load_spec(spec_option)
    except SpecError as exc:
        raise pytest.UsageError(str(exc)) from None
    context = open_target(
        target_name,
        spec,
        region=config.getoption("lab_region"),
        profile=config.getoption("lab_profile"),
        redis_url=config.getoption("lab_redis_url"),
    )
    try:
        target = context.__enter__()
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_TARGET_CONTEXT] = context
    solution = config.getoption("lab_solution")
    session = GradingSession(
        spec=spec,
        target=target,
        out_dir=Path(config.getoption("lab_out")),
        phase=phase,
        solution=Path(solution).resolve() if solution else None,
        checks_root=paths.checks_dir(),
    )
    config.pluginmanager.register(session, "labgrader-session")


def pytest_unconfigure(config: pytest.Config) -> None:
    context = config.stash.get(_TARGET_CONTEXT, None)
    if context is not None:
        context.__exit__(None, None, None)  # type: ignore[attr-defined]
