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


def test_labgrader_is_installed_from_the_course_source_not_pypi() -> None:
    """labgrader is not on PyPI: every job installs `labgrader @ $LABGRADER_SOURCE`, as the README's recipes do."""
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["env"]["LABGRADER_SOURCE"] == "git+https://github.com/<owner>/<repo>@<tag>"
    for name, job in workflow["jobs"].items():
        installs = [s["run"] for s in job["steps"] if s.get("run", "").startswith("pip install")]
        assert installs == ['pip install "labgrader @ ${LABGRADER_SOURCE}"'], name
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "pip install labgrader" not in text
    assert '$LABGRADER"' not in text
