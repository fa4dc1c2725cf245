from __future__ import annotations

import pytest

from labgrader.spec import KeyAttribute
from tests.checks.dynamodb.helpers import dataset_items, fill

CHECK = "dynamodb_query_by_key"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "8 key-condition queries over 4 category values returned exactly the table's items" in result.message
    assert result.evidence["observed"]["category = books"] == 25
    assert result.evidence["observed"]["category = games"] == 24
    # The middle third of books' SKUs (BK-0001..BK-0025).
    assert result.evidence["observed"]["category = books AND sku BETWEEN BK-0009 AND BK-0017"] == 9


def test_judges_half_the_dataset_on_the_items_there(local_target, lab_table, ddb_client, grade):
    """The missing half is dynamodb_dataset_imported's to fail, once."""
    spec = lab_table(dataset=None, exercises=None)
    fill(ddb_client, spec, dataset_items(spec)[:50])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert set(result.evidence["observed"]) >= {"category = books", "category = games"}
    assert "category = music" not in result.evidence["observed"]


def test_judges_an_item_with_another_partition_value_in_its_own_partition(local_target, lab_table, ddb_client, grade):
    """tools/TL-0010 imported as category "Tools": dynamodb_dataset_imported misses it; queries find it where it is."""
    spec = lab_table(dataset=None, exercises=None)
    items = dataset_items(spec)
    for item in items:
        if item["sku"]["S"] == "TL-0010":
            item["category"] = {"S": "Tools"}
    fill(ddb_client, spec, items)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["observed"]["category = tools"] == 24
    assert result.evidence["observed"]["category = Tools"] == 1


def test_passes_when_the_exercises_are_undone(local_target, lab_table, grade):
    """GM-0013 still in games: that is dynamodb_exercise_state's to fail, not this check's."""
    spec = lab_table(exercises=None)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_naming_the_prerequisite_on_an_empty_table(local_target, lab_table, grade):
    """Hint not run: this table has two faults (empty, and sort key SKU instead of sku), and its import hint cannot
    fill a table keyed otherwise; the key fault is dynamodb_table_keys_match's, whose rebuild (with the dataset) is run
    as printed in test_dynamodb_table_keys_match.py, and the import alone in test_dynamodb_dataset_imported.py."""
    spec = lab_table(data=False, gsi=[], lsi=[], sort_key=KeyAttribute(name="SKU", type="S"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "nothing to query (prerequisite: dynamodb_dataset_imported)" in result.message
