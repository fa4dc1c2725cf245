from __future__ import annotations

import pytest

from labgrader.spec import KeyAttribute, SecondaryIndex
from tests.checks.dynamodb.helpers import DYNAMODB_IDS

CHECK = "dynamodb_lsi_configured"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 3
    assert "category-rating-index (category (S) HASH, rating (N) RANGE, projection ALL)" in result.message


def test_fails_without_the_lsi_and_its_hint_rebuilds_the_table_with_its_data(local_target, lab_table, grade, run_fix):
    spec = lab_table(lsi=[])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "LSI category-rating-index is missing" in result.message
    table = spec.dynamodb.table
    assert result.hint_commands[:3] == [
        f"aws dynamodb delete-table --table-name {table}",
        f"aws dynamodb wait table-not-exists --table-name {table}",
        result.hint_commands[2],
    ]
    assert result.hint_commands[2].startswith(f"aws dynamodb create-table --table-name {table}")
    assert "--local-secondary-indexes" in result.hint_commands[2]
    assert "batch-write-item --request-items" in result.hint
    assert result.hint_note.startswith("Local secondary indexes cannot change after a table is created")
    run_fix(result)
    again = grade(spec, local_target, only=DYNAMODB_IDS)
    assert {c.id: c.status for c in again.checks if c.id in DYNAMODB_IDS} == dict.fromkeys(DYNAMODB_IDS, "pass")


def test_fails_on_the_wrong_sort_key(local_target, lab_table, grade):
    """Its hint is recreate_table_hint of the lab's spec, which does not depend on what is wrong with the table: the
    same commands test_fails_without_the_lsi_and_its_hint_rebuilds_the_table_with_its_data runs as printed (a table
    rebuild with its data, ~3 s), so they are not run again here."""
    stock = KeyAttribute(name="stock", type="N")
    spec = lab_table(lsi=[SecondaryIndex(name="category-rating-index", sort_key=stock)])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "LSI category-rating-index: sort key is stock (N), expected rating (N)" in result.message


def test_fails_on_the_wrong_projection(local_target, lab_table, grade):
    """Its hint is recreate_table_hint of the lab's spec, which does not depend on what is wrong with the table: the
    same commands test_fails_without_the_lsi_and_its_hint_rebuilds_the_table_with_its_data runs as printed (a table
    rebuild with its data, ~3 s), so they are not run again here."""
    rating = KeyAttribute(name="rating", type="N")
    spec = lab_table(lsi=[SecondaryIndex(name="category-rating-index", sort_key=rating, projection="KEYS_ONLY")])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "projection is KEYS_ONLY, expected ALL" in result.message


def test_fails_when_the_lsi_was_made_as_a_gsi(solved, local_target, lab_table, grade):
    """Its hint is recreate_table_hint of the lab's spec, which does not depend on what is wrong with the table: the
    same commands test_fails_without_the_lsi_and_its_hint_rebuilds_the_table_with_its_data runs as printed (a table
    rebuild with its data, ~3 s), so they are not run again here."""
    category = KeyAttribute(name="category", type="S")
    rating = KeyAttribute(name="rating", type="N")
    gsi = [*solved.dynamodb.gsi, SecondaryIndex(name="category-rating-index", partition_key=category, sort_key=rating)]
    spec = lab_table(lsi=[], gsi=gsi)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "LSI category-rating-index is missing (it exists as a GSI)" in result.message
