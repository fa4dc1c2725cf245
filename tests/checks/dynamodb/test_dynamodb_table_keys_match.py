from __future__ import annotations

import pytest

from labgrader.spec import KeyAttribute
from tests.checks.dynamodb.helpers import DYNAMODB_IDS

CHECK = "dynamodb_table_keys_match"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["observed"] == "partition category (S), sort sku (S)"


def test_fails_on_a_wrong_partition_key_name_and_its_hint_rebuilds_everything(local_target, lab_table, grade, run_fix):
    spec = lab_table(data=False, gsi=[], lsi=[], partition_key=KeyAttribute(name="Category", type="S"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "partition key is Category (S), expected category (S)" in result.message
    table = spec.dynamodb.table
    assert result.hint_commands[:2] == [
        f"aws dynamodb delete-table --table-name {table}",
        f"aws dynamodb wait table-not-exists --table-name {table}",
    ]
    # Destructive: the note says what goes and that the commands restore it.
    assert f"delete table {table} with every item in it" in result.hint_note
    assert "TTL, point-in-time recovery, the dataset and the exercises" in result.hint_note
    run_fix(result)
    again = grade(spec, local_target, only=DYNAMODB_IDS)
    assert {c.id: c.status for c in again.checks if c.id in DYNAMODB_IDS} == dict.fromkeys(DYNAMODB_IDS, "pass")


def test_fails_on_a_wrong_partition_key_type(local_target, lab_table, grade):
    """Its hint is recreate_table_hint of the lab's spec, whatever key is wrong: the commands
    test_fails_on_a_wrong_partition_key_name_and_its_hint_rebuilds_everything runs as printed (a full rebuild), not
    run again here."""
    spec = lab_table(data=False, gsi=[], lsi=[], partition_key=KeyAttribute(name="category", type="N"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "partition key category has type N, expected S" in result.message


def test_fails_on_a_wrong_sort_key_type(local_target, lab_table, grade):
    """Its hint is recreate_table_hint of the lab's spec, whatever key is wrong: the commands
    test_fails_on_a_wrong_partition_key_name_and_its_hint_rebuilds_everything runs as printed (a full rebuild), not
    run again here."""
    spec = lab_table(data=False, gsi=[], lsi=[], sort_key=KeyAttribute(name="sku", type="N"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "sort key sku has type N, expected S" in result.message


def test_fails_on_a_missing_sort_key(local_target, lab_table, grade):
    """Its hint is recreate_table_hint of the lab's spec, whatever key is wrong: the commands
    test_fails_on_a_wrong_partition_key_name_and_its_hint_rebuilds_everything runs as printed (a full rebuild), not
    run again here."""
    spec = lab_table(data=False, gsi=[], lsi=[], sort_key=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "sort key is none, expected sku (S)" in result.message
