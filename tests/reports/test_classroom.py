"""GitHub Classroom runner result: exact key sets, base64 in $GITHUB_OUTPUT, status pass/fail/error."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from labgrader.reports import classroom
from labgrader.engine.results import RunResult


def output_result(github_output: Path) -> dict:  # type: ignore[type-arg]
    lines = github_output.read_text().splitlines()
    assert len(lines) == 1
    name, value = lines[0].split("=", 1)
    assert name == "result"
    decoded: dict = classroom.decode(value)  # type: ignore[type-arg]
    return decoded


def with_statuses(run: RunResult, **statuses: str) -> RunResult:
    checks = [dataclasses.replace(c, status=statuses.get(c.id, "pass")) for c in run.checks]
    return dataclasses.replace(run, checks=checks)


def test_result_goes_to_github_output_as_base64(tmp_path: Path, fixture_run: RunResult) -> None:
    github_output = tmp_path / "github_output"
    github_output.write_text("")
    path = classroom.write(fixture_run, tmp_path / "out", {"GITHUB_OUTPUT": str(github_output)})
    result = output_result(github_output)
    assert result == json.loads(path.read_text())
    assert set(result) == {"version", "status", "max_score", "tests"}
    assert result["version"] == 1
    assert result["status"] == "fail"
    assert result["max_score"] == fixture_run.max_score == 98.0
    for test in result["tests"]:
        assert set(test) == {"name", "status", "score", "message", "line_no", "duration"}
        assert test["status"] in {"pass", "fail", "error"}
        assert test["line_no"] == 0
        assert isinstance(test["duration"], int)
    # the grading reporter sums tests[].score against max_score
    assert sum(t["score"] for t in result["tests"]) == fixture_run.score
    assert len(result["tests"]) == len([c for c in fixture_run.checks if c.status != "skip"])


def test_without_github_output_only_the_file_is_written(tmp_path: Path, fixture_run: RunResult) -> None:
    path = classroom.write(fixture_run, tmp_path, {})
    assert json.loads(path.read_text())["status"] == "fail"


def test_github_output_is_appended_not_replaced(tmp_path: Path, fixture_run: RunResult) -> None:
    github_output = tmp_path / "github_output"
    github_output.write_text("other=1\n")
    classroom.write(fixture_run, tmp_path, {"GITHUB_OUTPUT": str(github_output)})
    assert github_output.read_text().startswith("other=1\nresult=")


def test_tests_carry_message_and_fix_and_mask_hidden_checks(fixture_run: RunResult) -> None:
    tests = {t["name"]: t for t in classroom.build(fixture_run)["tests"]}
    ttl = fixture_run.get("dynamodb_ttl_enabled")
    assert tests[ttl.id] == {
        "name": ttl.id,
        "status": "fail",
        "score": 0.0,
        "message": f"{ttl.message}\nFix: {ttl.hint}",
        "line_no": 0,
        "duration": 12,
    }
    assert tests["redis_failover_recovers"]["status"] == "error"
    assert tests["dynamodb_gsi_configured"]["status"] == "error"  # pending: could not judge yet
    hidden = fixture_run.get("cache_aside_value_fidelity")
    assert hidden.message not in tests[hidden.id]["message"]
    assert "Hidden check" in tests[hidden.id]["message"]
    assert "elasticache_parameter_group_eviction_policy" not in tests  # skipped: no points, not a test


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({}, "pass"),
        ({"redis_reachable": "error"}, "error"),
        ({"dynamodb_gsi_configured": "pending"}, "error"),
        ({"redis_reachable": "error", "dynamodb_ttl_enabled": "fail"}, "fail"),
        ({"dynamodb_pitr_enabled": "fail"}, "pass"),  # advisory
    ],
)
def test_run_status(fixture_run: RunResult, statuses: dict[str, str], expected: str) -> None:
    assert classroom.build(with_statuses(fixture_run, **statuses))["status"] == expected


def test_an_error_only_run_is_error_never_fail(fixture_run: RunResult) -> None:
    run = with_statuses(fixture_run, **{c.id: "error" for c in fixture_run.checks})
    result = classroom.build(run)
    assert result["status"] == "error"
    assert {t["status"] for t in result["tests"]} == {"error"}


def test_a_crash_is_an_error_result(tmp_path: Path) -> None:
    github_output = tmp_path / "github_output"
    classroom.write_crashed(tmp_path, "boom", {"GITHUB_OUTPUT": str(github_output)})
    result = output_result(github_output)
    assert result["status"] == "error"
    assert set(result["tests"][0]) == {"name", "status", "score", "message", "line_no", "duration"}
    assert "boom" in result["tests"][0]["message"]
