"""Two ways every DynamoDB check can be kept from grading, one grading run each, one test per check:
the endpoint unreachable (→ `error`, never `fail`) and the table missing (→ `fail` naming the prerequisite)."""

from __future__ import annotations

import dataclasses

import pytest

from labgrader.engine import catalog, runner
from tests.conftest import closed_port, replace_section, unique

pytestmark = pytest.mark.sandbox

DYNAMODB_IDS = [e.id for e in catalog.CATALOG if e.section == "dynamodb"]


@pytest.fixture(scope="module")
def down_run(solved, local_target, tmp_path_factory):
    down = dataclasses.replace(local_target, endpoint_url=f"http://127.0.0.1:{closed_port()}")
    return runner.grade(solved, down, out_dir=tmp_path_factory.mktemp("down"), only=frozenset(DYNAMODB_IDS))


@pytest.fixture(scope="module")
def missing_run(solved, local_target, tmp_path_factory):
    spec = replace_section(solved, "dynamodb", table=unique("Missing"))
    return spec, runner.grade(
        spec, local_target, out_dir=tmp_path_factory.mktemp("missing"), only=frozenset(DYNAMODB_IDS)
    )


@pytest.mark.parametrize("check", DYNAMODB_IDS)
def test_errors_when_the_endpoint_is_down(down_run, check):
    result = down_run.get(check)
    assert result.status == "error", result.message
    assert "could not reach the AWS endpoint" in result.message
    assert "sandbox" in result.hint  # the grader's side to fix: `labgrader sandbox status`
    assert result.points == 0


@pytest.mark.parametrize("check", [i for i in DYNAMODB_IDS if i != "dynamodb_table_exists"])
def test_fails_naming_the_prerequisite_when_the_table_is_missing(missing_run, check):
    """Every check of one shared run prints the same create-table prerequisite hint: the table exists after the first
    would run it, so it is run once, as printed, by test_dynamodb_table_exists.py (every check passes after)."""
    spec, run = missing_run
    result = run.get(check)
    assert result.status == "fail", result.message
    assert result.message.startswith(f"DynamoDB table {spec.dynamodb.table} was not found in us-east-1")
    assert "(prerequisite: dynamodb_table_exists)" in result.message
    assert result.hint.startswith(f"aws dynamodb create-table --table-name {spec.dynamodb.table}")
    assert result.evidence["observed"] == "ResourceNotFoundException"


def test_the_missing_table_itself_is_a_fail_with_the_create_command(missing_run):
    spec, run = missing_run
    result = run.get("dynamodb_table_exists")
    assert result.status == "fail"
    assert (
        result.message == f"DynamoDB table {spec.dynamodb.table} was not found in us-east-1; expected it in us-east-1."
    )
