from __future__ import annotations

import pytest

from labgrader.dataset import expected_table
from labgrader.engine.verdict import CheckPending
from labgrader.services.dynamodb.evaluation import TableAsItIs
from labgrader.spec import KeyAttribute, SecondaryIndex
from tests.checks.dynamodb import aws_answers
from tests.checks.dynamodb.helpers import dataset_items, fill
from tests.conftest import load_check

CHECK = "dynamodb_query_gsi"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "GSI brand-price-index: brand = Bosch AND price >= 79.97 returned 3 items" in result.message


def test_fails_naming_the_prerequisite_without_the_gsi(local_target, lab_table, grade, run_fix):
    spec = lab_table(gsi=[])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "GSI brand-price-index is missing, so it cannot be queried (prerequisite: dynamodb_gsi_configured)" in (
        result.message
    )
    assert "--global-secondary-index-updates" in result.hint
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_naming_the_prerequisite_with_the_wrong_gsi_keys(local_target, lab_table, grade, run_fix):
    brand = KeyAttribute(name="brand", type="S")
    stock = KeyAttribute(name="stock", type="N")
    spec = lab_table(gsi=[SecondaryIndex(name="brand-price-index", partition_key=brand, sort_key=stock)])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "GSI brand-price-index is not the lab's (sort key is stock (N), expected price (N))" in result.message
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_judges_half_the_dataset_on_the_items_there(local_target, lab_table, ddb_client, grade):
    """books and games only (no Bosch, a tools brand): the index is queried on a brand the table holds."""
    spec = lab_table(dataset=None, exercises=None)
    fill(ddb_client, spec, dataset_items(spec)[:50])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert "Bosch" not in result.message


def test_judges_the_index_on_the_items_the_table_holds(local_target, lab_table, ddb_client, grade):
    """TL-0021 deleted: dynamodb_dataset_imported misses it; the index returns what the table holds."""
    spec = lab_table()
    ddb_client.delete_item(TableName=spec.dynamodb.table, Key={"category": {"S": "tools"}, "sku": {"S": "TL-0021"}})
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message


def test_a_gsi_still_backfilling_is_pending(solved):
    with pytest.raises(CheckPending, match=r"GSI brand-price-index is .*CREATING \(backfilling\)"):
        load_check(CHECK)(
            dataset_spec=solved.dynamodb.dataset,
            gsi_specs=solved.dynamodb.gsi,
            ddb=solved.dynamodb,
            table=aws_answers.gsi_being_created(backfilling=True),
            dynamodb=None,
            items_as_they_are=TableAsItIs(tuple(solved.dynamodb.key_names), expected_table(solved.dynamodb)),
        )


def test_queries_an_index_whose_only_mistake_is_its_projection(local_target, lab_table, grade):
    """KEYS_ONLY for ALL is dynamodb_gsi_configured's to fail, once: the index is keyed right, so it is queried."""
    index = SecondaryIndex(
        name="brand-price-index",
        partition_key=KeyAttribute(name="brand", type="S"),
        sort_key=KeyAttribute(name="price", type="N"),
        projection="KEYS_ONLY",
    )
    spec = lab_table(gsi=[index])
    run = grade(spec, local_target, only={CHECK, "dynamodb_gsi_configured"})
    assert run.get(CHECK).status == "pass", run.get(CHECK).message
    assert run.get("dynamodb_gsi_configured").status == "fail"
    assert "projection is KEYS_ONLY, expected ALL" in run.get("dynamodb_gsi_configured").message
