from __future__ import annotations

import dataclasses

import pytest

from labgrader.aws import AwsClients
from labgrader.solve.dynamodb import create_table_request
from labgrader.verdict import CheckFailed, CheckPending
from tests.conftest import closed_port, load_check, replace_section, unique

CHECK = "dynamodb_table_exists"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 3
    assert "LabProducts" in result.message


def test_fails_when_the_table_is_missing(solved, local_target, grade):
    spec = replace_section(solved, "dynamodb", table=unique("NoSuchTable"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "was not found in us-east-1" in result.message
    assert result.hint.startswith(f"aws dynamodb create-table --table-name {spec.dynamodb.table}")


def test_names_a_near_match_in_the_same_region(solved, local_target, clients: AwsClients, grade):
    wanted = unique("Products")
    misspelled = wanted.lower()
    spec = replace_section(solved, "dynamodb", table=wanted)
    request = create_table_request(replace_section(spec, "dynamodb", table=misspelled).dynamodb)
    clients.client("dynamodb").create_table(**request)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"found {misspelled} there instead" in result.message


def test_a_creating_table_is_pending_not_failed(solved, local_target):
    check = load_check(CHECK)
    with pytest.raises(CheckPending, match="is CREATING; expected ACTIVE"):
        check(table_description={"TableStatus": "CREATING"}, dynamodb=None, lab=solved, target=local_target)


def test_a_deleting_table_fails(solved, local_target):
    check = load_check(CHECK)
    with pytest.raises(CheckFailed, match="is DELETING; expected ACTIVE"):
        check(table_description={"TableStatus": "DELETING"}, dynamodb=None, lab=solved, target=local_target)


def test_errors_when_the_endpoint_is_down(solved, local_target, grade):
    down = dataclasses.replace(local_target, endpoint_url=f"http://127.0.0.1:{closed_port()}")
    result = grade(solved, down, only={CHECK}).get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
    assert "sandbox" in result.hint
