"""The example GitHub Actions workflow: its matrix covers every shard of the roster once and the last job merges
the shards with `labgrader gradebook`."""

from __future__ import annotations

from typing import Any

import yaml

from labgrader import paths

WORKFLOW = paths.project_root() / "examples" / "github-actions-roster.yml"


def test_the_matrix_grades_every_shard_and_the_last_job_merges_them() -> None:
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    shards = int(workflow["env"]["SHARDS"])
    grade, merge = workflow["jobs"]["grade"], workflow["jobs"]["gradebook"]
    assert grade["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert grade["strategy"]["fail-fast"] is False
    runs = " ".join(step.get("run", "") for step in grade["steps"])
    assert "--roster roster.csv --shard ${{ matrix.shard }}/$SHARDS" in runs
    assert "--out results/shard-${{ matrix.shard }}" in runs
    assert merge["needs"] == "grade"
    assert merge["if"] == "always()"
    assert "labgrader gradebook results/shard-* --out gradebook.csv" in [s.get("run") for s in merge["steps"]]
