from __future__ import annotations

from collections.abc import Callable

import pytest

from labgrader.results import RunResult
from labgrader.spec import LabSpec
from labgrader.targets import Target
from tests.checks.cache_aside.graded import grade_nine

Graded = Callable[..., RunResult]


@pytest.fixture(scope="session")
def graded(request: pytest.FixtureRequest, solved: LabSpec, local_target: Target, tmp_path_factory) -> Graded:
    """graded("no_ttl") / graded(None) / graded("reference", unreachable="redis"): the run of the nine checks."""
    out_root = tmp_path_factory.mktemp("cache-aside-runs")

    def run(solution: str | None, *, unreachable: str | None = None) -> RunResult:
        return grade_nine(request.config, solved, local_target, out_root, solution, unreachable=unreachable)

    return run
