"""The containers target's costs (issue 16), on this machine's Docker engine and the locally built test images:

- a cached image build (a lookup by content hash; goal ≤ 2 s; the first build took 7 to 17 s here);
- a compose-like pair started until both answer (goal ≤ 5 s);
- `labgrader grade --target containers` end to end on a student's stack (goal ≤ 15 s wall, one process).

Skipped where no Docker engine answers.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from labgrader import paths
from tests.containers import images
from tests.containers.conftest import (  # noqa: F401 - fixtures used by name
    Stack,
    built_images,
    start_stack,
    student_stack,
)

CACHED_BUILD_GOAL_S = 2.0
PAIR_START_GOAL_S = 5.0
GRADE_GOAL_S = 15.0


def test_cached_image_build(benchmark: BenchmarkFixture, built_images: images.Images) -> None:  # noqa: F811
    assert benchmark.pedantic(images.build_all, rounds=3, iterations=1) == built_images
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median <= CACHED_BUILD_GOAL_S


def test_pair_start_until_both_answer(benchmark: BenchmarkFixture, built_images: images.Images) -> None:  # noqa: F811
    def start_and_remove() -> str:
        with ExitStack() as stack:
            return start_stack(built_images, stack).endpoint_url

    assert benchmark.pedantic(start_and_remove, rounds=3, iterations=1).startswith("http://127.0.0.1:")
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median <= PAIR_START_GOAL_S


def test_containers_grade_end_to_end(benchmark: BenchmarkFixture, student_stack: Stack, tmp_path: Path) -> None:  # noqa: F811
    def grade() -> int:
        return subprocess.run(
            [
                *(sys.executable, "-m", "labgrader", "grade", "--target", "containers", "--format", "json"),
                *("--endpoint-url", student_stack.endpoint_url, "--redis-url", student_stack.redis_url),
                *("--solution", str(paths.reference_solution()), "--out", str(tmp_path / "out")),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        ).returncode

    assert benchmark.pedantic(grade, rounds=3, iterations=1) == 0
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median <= GRADE_GOAL_S
