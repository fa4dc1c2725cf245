"""results.json → RunResult → results.json: the source every report is derived from survives the round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from labgrader.engine import catalog
from labgrader.reports.model import MalformedResultsError, misses, run_from_dict, sections, split_hint, student_text
from labgrader.engine.results import RunResult
from tests.reports.conftest import by_status


def test_the_fixture_has_every_status_a_hidden_check_and_every_catalog_id(fixture_run: RunResult) -> None:
    assert {c.status for c in fixture_run.checks} == {"pass", "fail", "error", "skip", "pending"}
    assert {c.visibility for c in fixture_run.checks} >= {"hidden", "after_due_date", "visible"}
    assert [c.id for c in fixture_run.checks] == catalog.ids_for_phase("grade")


def test_round_trip_keeps_every_field(results_data: dict[str, Any], fixture_run: RunResult) -> None:
    again = json.loads(json.dumps(fixture_run.to_dict()))
    assert again == results_data


def test_written_file_reloads_identically(tmp_path, fixture_run: RunResult) -> None:  # type: ignore[no-untyped-def]
    path = fixture_run.write(tmp_path)
    assert run_from_dict(json.loads(path.read_text())).to_dict() == fixture_run.to_dict()


def test_score_and_exit_code_follow_the_checks(fixture_run: RunResult, results_data: dict[str, Any]) -> None:
    assert fixture_run.score == results_data["score"] == 85.0
    assert fixture_run.max_score == results_data["max_score"] == 98.0
    assert fixture_run.exit_code == 1


def test_misses_list_required_failures_first_then_errors_pending_then_advisory(fixture_run: RunResult) -> None:
    order = [(c.id, c.status) for c in misses(fixture_run)]
    assert order[0][1] == "fail"
    assert order[-1] == ("dynamodb_pitr_enabled", "fail")  # advisory last
    assert [s for _, s in order[:-1]] == ["fail", "fail", "fail", "error", "pending"]


def test_sections_follow_the_catalog_order(fixture_run: RunResult) -> None:
    assert [s.key for s in sections(fixture_run)] == ["dynamodb", "elasticache", "redis", "cache_aside", "latency"]


def test_student_text_is_message_and_fix_never_evidence(fixture_run: RunResult) -> None:
    (ttl,) = [c for c in by_status(fixture_run, "fail") if c.id == "dynamodb_ttl_enabled"]
    text = student_text(ttl)
    assert ttl.message in text
    assert f"Fix: {ttl.hint}" in text
    assert ttl.evidence["call"] not in text
    hidden = fixture_run.get("cache_aside_value_fidelity")
    assert student_text(hidden, mask_hidden=True) != student_text(hidden)
    assert hidden.message not in student_text(hidden, mask_hidden=True)


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda d: d.pop("checks"), "no 'checks' field"),
        (lambda d: d.update(checks={}), "'checks' is not a list"),
        (lambda d: d["checks"][0].update(status="passed"), "status 'passed' is not one of"),
        (lambda d: d["checks"][1].pop("id"), "checks[1] has no 'id'"),
        (lambda d: d["checks"][2].update(points="3"), "dynamodb_gsi_configured.points is not a number"),
    ],
)
def test_malformed_results_name_the_problem(results_data: dict[str, Any], mutate: Any, complaint: str) -> None:
    mutate(results_data)
    with pytest.raises(MalformedResultsError, match=complaint.replace("(", r"\(").replace("[", r"\[")):
        run_from_dict(results_data)


def test_a_json_list_is_not_results() -> None:
    with pytest.raises(MalformedResultsError, match="expected a JSON object, found list"):
        run_from_dict([])


@pytest.mark.parametrize(
    ("hint", "parts"),
    [
        ("aws dynamodb update-time-to-live --table-name T", ("", "aws dynamodb update-time-to-live --table-name T")),
        (
            "Start the sandbox again: labgrader sandbox up --detach",
            ("Start the sandbox again:", "labgrader sandbox up --detach"),
        ),
        (
            "Grade again in a few minutes, once AWS has finished.",
            ("Grade again in a few minutes, once AWS has finished.", ""),
        ),
        ("Check the key: Use a Decimal.", ("Check the key: Use a Decimal.", "")),
    ],
)
def test_a_hint_splits_into_advice_and_the_exact_command(hint: str, parts: tuple[str, str]) -> None:
    assert split_hint(hint) == parts
