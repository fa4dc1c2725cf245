"""Grading runs shared by the cache-aside and latency check tests: each module is graded once per test session
(all nine checks in one run), and each test file asserts on the checks it is about.

Modules: "reference" (fixtures/solutions/reference_cache_aside.py) or a file of fixtures/solutions/broken/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine import runner
from labgrader.engine.results import RunResult
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from tests.conftest import closed_port, replace_section

CACHE_ASIDE = (
    "cache_aside_miss_populates",
    "cache_aside_hit_skips_db",
    "cache_aside_ttl_set",
    "cache_aside_write_invalidates",
    "cache_aside_missing_item",
    "cache_aside_redis_down_fallback",
    "cache_aside_value_fidelity",
)
LATENCY = ("latency_redis_faster_than_dynamodb", "latency_cache_hit_faster_than_miss")
NINE = CACHE_ASIDE + LATENCY
BROKEN = paths.fixtures_dir() / "solutions" / "broken"

# Enough pairs for stable medians at the sandbox's 20-50x gaps, few enough to keep each run well under a second.
TEST_ROUNDS = 40

_RUNS = pytest.StashKey[dict[tuple[str, str], RunResult]]()

Graded = Callable[..., RunResult]


def module_path(name: str) -> Path:
    return paths.reference_solution() if name == "reference" else BROKEN / f"{name}.py"


def grade_nine(
    config: pytest.Config,
    spec: LabSpec,
    target: Target,
    out_root: Path,
    solution: str | None,
    *,
    unreachable: str | None = None,
) -> RunResult:
    """The nine checks graded on `solution` (None: no module given); cached for the session.

    unreachable: "dynamodb" or "redis" makes that endpoint a closed port for the grader."""
    runs = config.stash.setdefault(_RUNS, {})
    key = (solution or "<none>", unreachable or "")
    if key not in runs:
        if unreachable == "dynamodb":
            target = dataclasses.replace(target, endpoint_url=f"http://127.0.0.1:{closed_port()}")
        elif unreachable == "redis":
            target = dataclasses.replace(target, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
        runs[key] = runner.grade(
            replace_section(spec, "latency", rounds=TEST_ROUNDS),
            target,
            out_dir=out_root / f"{key[0]}-{key[1] or 'up'}",
            solution=module_path(solution) if solution else None,
            only=frozenset(NINE),
        )
    return runs[key]


@pytest.fixture(scope="session")
def graded(request: pytest.FixtureRequest, solved: LabSpec, local_target: Target, tmp_path_factory) -> Graded:
    """graded("no_ttl") / graded(None) / graded("reference", unreachable="redis"): the run of the nine checks."""
    out_root = tmp_path_factory.mktemp("cache-aside-runs")

    def run(solution: str | None, *, unreachable: str | None = None) -> RunResult:
        return grade_nine(request.config, solved, local_target, out_root, solution, unreachable=unreachable)

    return run
