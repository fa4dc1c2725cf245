from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.solve.dynamodb import create_table_request
from labgrader.targets.clients import AwsClients
from tests.checks.dynamodb.helpers import DYNAMODB_IDS, load_check_module
from tests.conftest import load_check, replace_section, unique

CHECK = "dynamodb_table_exists"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 3
    assert "LabProducts" in result.message


def test_fails_when_the_table_is_missing_and_its_hint_sets_it_all_up(solved, local_target, clients, grade, run_hint):
    spec = replace_section(solved, "dynamodb", table=unique("NoSuchTable"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "was not found in us-east-1" in result.message
    assert result.hint.startswith(f"aws dynamodb create-table --table-name {spec.dynamodb.table}")
    assert result.hint_commands[1] == f"aws dynamodb wait table-exists --table-name {spec.dynamodb.table}"
    try:
        run_hint(result)
        # One round: the table and everything the lab sets up on it (TTL, PITR, dataset, exercises).
        again = grade(spec, local_target, only=DYNAMODB_IDS)
        assert {c.id: c.status for c in again.checks if c.id in DYNAMODB_IDS} == dict.fromkeys(DYNAMODB_IDS, "pass")
    finally:
        clients.client("dynamodb").delete_table(TableName=spec.dynamodb.table)


def test_names_a_near_match_in_the_same_region(solved, local_target, clients: AwsClients, grade):
    wanted = unique("Products")
    misspelled = wanted.lower()
    spec = replace_section(solved, "dynamodb", table=wanted)
    request = create_table_request(replace_section(spec, "dynamodb", table=misspelled).dynamodb)
    clients.client("dynamodb").create_table(**request)
    try:
        result = grade(spec, local_target, only={CHECK}).get(CHECK)
    finally:
        clients.client("dynamodb").delete_table(TableName=misspelled)
    assert result.status == "fail"
    assert f"found {misspelled} there instead" in result.message


def test_names_the_same_table_in_another_region(solved, local_target, clients: AwsClients, grade):
    spec = replace_section(solved, "dynamodb", table=unique("Elsewhere"))
    other = clients.client("dynamodb", region="eu-west-1")
    other.create_table(**create_table_request(spec.dynamodb))
    try:
        result = grade(spec, local_target, only={CHECK}).get(CHECK)
    finally:
        other.delete_table(TableName=spec.dynamodb.table)
    assert result.status == "fail"
    assert f"found {spec.dynamodb.table} (eu-west-1) in another region" in result.message
    assert f"expected it in {local_target.region}" in result.message
    assert result.hint_note.startswith(
        "If you meant region eu-west-1, grade it instead (labgrader grade --region eu-west-1)"
    )
    assert result.hint.startswith(f"aws dynamodb create-table --table-name {spec.dynamodb.table}")


def test_the_other_region_probe_is_bounded_when_endpoints_hang(solved, local_target):
    """An endpoint that accepts connections but never answers: the probe gives up within its budget."""
    probe = load_check_module(CHECK)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        target = dataclasses.replace(local_target, endpoint_url=f"http://127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        found = probe.tables_elsewhere(AwsClients(target), target, solved.dynamodb.table)
        elapsed = time.monotonic() - started
    assert found == []
    assert elapsed < probe.PROBE_BUDGET_S + 1


def test_a_creating_table_is_pending_not_failed(solved, local_target):
    check = load_check(CHECK)
    with pytest.raises(CheckPending, match="is CREATING; expected ACTIVE"):
        check(
            table_description={"TableStatus": "CREATING"},
            dynamodb=None,
            ddb=solved.dynamodb,
            target=local_target,
            aws=None,
        )


def test_a_deleting_table_fails(solved, local_target):
    check = load_check(CHECK)
    with pytest.raises(CheckFailed, match="is DELETING; expected ACTIVE"):
        check(
            table_description={"TableStatus": "DELETING"},
            dynamodb=None,
            ddb=solved.dynamodb,
            target=local_target,
            aws=None,
        )
