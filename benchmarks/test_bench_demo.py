"""`labgrader demo` as a whole process (sandbox up → solve → grade → reports → sandbox down).

Goal (issue 2): median ≤ 10 s wall on a 2-core machine. Each round is one full `labgrader demo` subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

DEMO_GOAL_S = 10.0


def test_demo_wall_time(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    def demo() -> int:
        done = subprocess.run(
            [sys.executable, "-m", "labgrader", "demo", "--out", str(tmp_path / "out")],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return done.returncode

    exit_code = benchmark.pedantic(demo, rounds=5, iterations=1, warmup_rounds=1)
    assert exit_code == 0
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median <= DEMO_GOAL_S
