from __future__ import annotations

import dataclasses

import pytest

from labgrader.aws import AwsClients
from labgrader.solve.dynamodb import create_table_request
from labgrader.spec import KeyAttribute
from tests.conftest import closed_port, replace_section, unique

CHECK = "dynamodb_table_keys_match"
pytestmark = pytest.mark.sandbox


def _table_with(clients: AwsClients, spec, **key_changes):
    """Create spec's table, but with the keys changed (the student's mistake)."""
    wrong = replace_section(spec, "dynamodb", gsi=[], lsi=[], **key_changes)
    clients.client("dynamodb").create_table(**create_table_request(wrong.dynamodb))


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["observed"] == "partition category (S), sort sku (S)"


def test_fails_on_a_wrong_partition_key_name(solved, local_target, clients, grade):
    spec = replace_section(solved, "dynamodb", table=unique("Keys"))
    _table_with(clients, spec, partition_key=KeyAttribute(name="Category", type="S"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "partition key is Category (S), expected category (S)" in result.message
    assert "delete-table" in result.hint


def test_fails_on_a_wrong_sort_key_type(solved, local_target, clients, grade):
    spec = replace_section(solved, "dynamodb", table=unique("Keys"))
    _table_with(clients, spec, sort_key=KeyAttribute(name="sku", type="N"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "sort key sku has type N, expected S" in result.message


def test_fails_on_a_missing_sort_key(solved, local_target, clients, grade):
    spec = replace_section(solved, "dynamodb", table=unique("Keys"))
    _table_with(clients, spec, sort_key=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "sort key is none, expected sku (S)" in result.message


def test_fails_naming_the_prerequisite_when_the_table_is_missing(solved, local_target, grade):
    spec = replace_section(solved, "dynamodb", table=unique("Missing"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "does not exist" in result.message
    assert "dynamodb_table_exists" in result.message


def test_errors_when_the_endpoint_is_down(solved, local_target, grade):
    down = dataclasses.replace(local_target, endpoint_url=f"http://127.0.0.1:{closed_port()}")
    assert grade(solved, down, only={CHECK}).get(CHECK).status == "error"
