"""A full DynamoDB grading run (the 17 DynamoDB checks, reports included) on a solved sandbox.

Goal: median under 2 s on two cores, measured here rather than asserted in a timed unit test (a loaded CI machine
would turn it into a flaky failure). Saved: benchmarks/results/dynamodb-run.json.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from labgrader.engine import catalog, runner
from labgrader.spec import LabSpec
from labgrader.targets.base import Target

DYNAMODB_IDS = frozenset(e.id for e in catalog.CATALOG if e.section == "dynamodb")


def test_full_dynamodb_grading_run(benchmark, week8_spec: LabSpec, solved_sandbox: Target, tmp_path: Path):
    folders = (tmp_path / str(n) for n in itertools.count())

    def grade_once() -> list[str]:
        run = runner.grade(week8_spec, solved_sandbox, out_dir=next(folders), only=DYNAMODB_IDS)
        return [c.status for c in run.checks if c.section == "dynamodb"]

    statuses = benchmark.pedantic(grade_once, rounds=7, iterations=1, warmup_rounds=1)
    assert statuses == ["pass"] * len(DYNAMODB_IDS)
