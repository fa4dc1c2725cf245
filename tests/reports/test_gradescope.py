"""Gradescope `results/results.json`: exact key sets, statuses, visibility, student text only, crash file."""

from __future__ import annotations

import json
from pathlib import Path

from labgrader.reports import gradescope
from labgrader.engine.results import RunResult

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def load(tmp_path: Path, run: RunResult) -> dict:  # type: ignore[type-arg]
    path = gradescope.write(run, tmp_path)
    assert path == tmp_path / "results" / "results.json"
    data: dict = json.loads(path.read_text())  # type: ignore[type-arg]
    return data


def test_exact_field_sets_and_types(tmp_path: Path, fixture_run: RunResult) -> None:
    data = load(tmp_path, fixture_run)
    assert set(data) == {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
    assert data["score"] == fixture_run.score == 85.0
    assert data["execution_time"] == 13  # 12.345 s, whole seconds rounded up
    assert data["visibility"] == "visible"
    assert data["stdout_visibility"] == "hidden"  # the terminal scorecard shows hidden checks too
    for test in data["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}
        assert isinstance(test["number"], str)
        assert isinstance(test["score"], float)
        assert isinstance(test["max_score"], float)
        assert test["status"] in {"passed", "failed"}
        assert test["visibility"] in VISIBILITIES
        assert all(isinstance(tag, str) for tag in test["tags"])


def test_one_test_per_graded_check_and_skips_listed_in_the_output(tmp_path: Path, fixture_run: RunResult) -> None:
    data = load(tmp_path, fixture_run)
    graded = [c for c in fixture_run.checks if c.status != "skip"]
    assert len(data["tests"]) == len(graded) == 43
    assert [t["name"].split(":")[0] for t in data["tests"]] == [c.id for c in graded]
    assert "elasticache_parameter_group_eviction_policy: not possible on the local target" in data["output"]
    assert sum(t["score"] for t in data["tests"]) == data["score"]
    numbers = [t["number"] for t in data["tests"]]
    assert len(set(numbers)) == len(numbers)
    assert numbers[0] == "1.1"
    assert next(t["number"] for t in data["tests"] if t["name"].startswith("redis_reachable")) == "3.1"


def test_statuses_points_and_student_output(tmp_path: Path, fixture_run: RunResult) -> None:
    tests = {t["name"].split(":")[0]: t for t in load(tmp_path, fixture_run)["tests"]}
    ttl = fixture_run.get("dynamodb_ttl_enabled")
    assert tests[ttl.id]["status"] == "failed"
    assert (tests[ttl.id]["score"], tests[ttl.id]["max_score"]) == (0.0, 3.0)
    assert tests[ttl.id]["output"] == f"{ttl.message}\nFix: {ttl.hint}"
    assert "describe_time_to_live" not in tests[ttl.id]["output"]  # evidence is staff detail
    error = fixture_run.get("redis_failover_recovers")
    assert tests[error.id]["status"] == "failed"
    assert tests[error.id]["output"].startswith("The grader could not look: ")
    assert "error" in tests[error.id]["tags"]
    assert tests["dynamodb_gsi_configured"]["status"] == "failed"  # pending earns nothing yet
    assert "pending" in tests["dynamodb_gsi_configured"]["tags"]
    assert tests["dynamodb_table_exists"]["status"] == "passed"
    assert tests["dynamodb_table_exists"]["score"] == 3.0
    assert "advisory" in tests["dynamodb_pitr_enabled"]["tags"]


def test_visibility_comes_from_the_spec_override(tmp_path: Path, fixture_run: RunResult) -> None:
    tests = {t["name"].split(":")[0]: t for t in load(tmp_path, fixture_run)["tests"]}
    assert tests["latency_cache_hit_faster_than_miss"]["visibility"] == "hidden"
    assert tests["cache_aside_value_fidelity"]["visibility"] == "after_due_date"
    assert tests["dynamodb_ttl_enabled"]["visibility"] == "visible"


def test_a_crash_still_writes_an_explanation(tmp_path: Path) -> None:
    path = gradescope.write_crashed(tmp_path, "the sandbox is not running", 2.2)
    data = json.loads(path.read_text())
    assert set(data) == {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
    assert data["score"] == 0.0
    assert data["tests"] == []
    assert data["execution_time"] == 3
    assert "Grading did not finish, so this score is not a grade: the sandbox is not running" in data["output"]


def test_a_results_folder_planted_as_a_link_out_of_out_is_refused_not_written_through(
    tmp_path: Path, fixture_run: RunResult
) -> None:
    from labgrader.engine.outdir import OutputError

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "results.json").write_text("the instructor's\n", encoding="utf-8")
    out = tmp_path / "autograder"
    out.mkdir()
    (out / "results").symlink_to(elsewhere)
    try:
        gradescope.write(fixture_run, out)
    except OutputError as exc:
        assert exc.exit_code == 3
        assert str(exc) == (
            f"cannot write {out}/results/results.json: {out}/results is a symbolic link (labgrader writes only "
            f"inside {out})."
        )
    else:
        raise AssertionError("written through a link")
    assert (elsewhere / "results.json").read_text(encoding="utf-8") == "the instructor's\n"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["results.json"]
