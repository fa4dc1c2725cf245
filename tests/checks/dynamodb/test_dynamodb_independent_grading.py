"""One mistake, one penalty (README, "One mistake, one penalty"): a whole DynamoDB grading run on a table with one
mistake fails the objectives that mistake breaks and judges every other one on the table as it is; and the
grader's scratch items never survive, whatever the table's key schema."""

from __future__ import annotations

import pytest

from labgrader.engine import catalog
from labgrader.engine.scratch import SCRATCH_PREFIX
from labgrader.spec import KeyAttribute
from tests.checks.dynamodb.helpers import all_items, dataset_items, fill

pytestmark = pytest.mark.sandbox

DYNAMODB_IDS = {e.id for e in catalog.CATALOG if e.section == "dynamodb"}
CATEGORY = KeyAttribute(name="category", type="S")
SKU = KeyAttribute(name="sku", type="S")


def statuses(run):
    return {check: run.get(check).status for check in DYNAMODB_IDS}


def not_passed(run):
    return {check: status for check, status in statuses(run).items() if status != "pass"}


def scratch_left(client, table):
    """Items whose any attribute carries the grader's reserved prefix (whatever attribute the table is keyed on)."""
    return [
        item
        for item in all_items(client, table)
        if any(str(value.get("S", "")).startswith(SCRATCH_PREFIX) for value in item.values())
    ]


def test_swapped_keys_fail_the_key_objectives_only(local_target, lab_table, ddb_client, grade):
    """sku as partition key, category as sort key: the keys and the LSI (keyed on the table's partition key) are
    wrong; the dataset, items, exercises, queries, GSI, stream and scratch writes are judged as they are."""
    spec = lab_table(partition_key=SKU, sort_key=CATEGORY)
    run = grade(spec, local_target, only=DYNAMODB_IDS)
    assert not_passed(run) == {"dynamodb_table_keys_match": "fail", "dynamodb_lsi_configured": "fail"}, {
        c: run.get(c).message for c in not_passed(run)
    }
    assert "prerequisite" not in run.get("dynamodb_lsi_configured").message
    assert scratch_left(ddb_client, spec.dynamodb.table) == []


def test_no_sort_key_fails_what_it_breaks(local_target, lab_table, ddb_client, grade):
    """category only: the dataset collapses to one item per category. Keys, LSI (impossible without a sort key),
    dataset and exercises fail (TTL and PITR too: this setup leaves them off); shapes, queries, GSI, stream and
    scratch writes are judged on the 4 items there."""
    spec = lab_table(data=False, sort_key=None, lsi=[])
    fill(ddb_client, spec, dataset_items(spec), exercises=False)
    run = grade(spec, local_target, only=DYNAMODB_IDS)
    failed = not_passed(run)
    assert failed == {
        "dynamodb_table_keys_match": "fail",
        "dynamodb_lsi_configured": "fail",
        "dynamodb_dataset_imported": "fail",
        "dynamodb_exercise_state": "fail",
        "dynamodb_ttl_enabled": "fail",
        "dynamodb_pitr_enabled": "fail",
    }, {c: run.get(c).message for c in failed}
    assert not any("prerequisite" in run.get(c).message for c in failed)
    assert "holds 4 items" in run.get("dynamodb_dataset_imported").message
    assert scratch_left(ddb_client, spec.dynamodb.table) == []


def test_half_imported_dataset_fails_the_import_once(local_target, lab_table, ddb_client, grade):
    """books and games only: dynamodb_dataset_imported fails; the item shapes (8 of the 8 TTL carriers there hold
    expires_at as a Number), queries and scan are judged on the 49 items there."""
    spec = lab_table(dataset=None, exercises=None)
    fill(ddb_client, spec, dataset_items(spec)[:50])
    run = grade(spec, local_target, only=DYNAMODB_IDS)
    failed = not_passed(run)
    assert set(failed) == {"dynamodb_dataset_imported"}, {c: run.get(c).message for c in failed}
    assert "carry expires_at as a Number" in run.get("dynamodb_items_well_formed").message
    assert scratch_left(ddb_client, spec.dynamodb.table) == []


@pytest.mark.parametrize(
    "key_schema",
    [
        pytest.param((CATEGORY, None), id="partition-key-only"),
        pytest.param((SKU, CATEGORY), id="swapped"),
        pytest.param((CATEGORY, KeyAttribute(name="sku", type="N")), id="numeric-sort-key-named-like-the-lab-s"),
        pytest.param((KeyAttribute(name="category", type="N"), SKU), id="numeric-partition-key"),
        pytest.param((KeyAttribute(name="id", type="B"), KeyAttribute(name="n", type="N")), id="binary-and-number"),
    ],
)
def test_no_scratch_item_survives_on_any_key_schema(local_target, lab_table, ddb_client, grade, key_schema):
    partition_key, sort_key = key_schema
    spec = lab_table(data=False, gsi=[], lsi=[], partition_key=partition_key, sort_key=sort_key)
    writers = {"dynamodb_crud_roundtrip", "dynamodb_condition_expression_enforced", "dynamodb_stream_records"}
    run = grade(spec, local_target, only=writers)
    assert scratch_left(ddb_client, spec.dynamodb.table) == []
    assert ddb_client.scan(TableName=spec.dynamodb.table)["Count"] == 0
    for check in writers:
        result = run.get(check)
        if partition_key.type == "S":
            assert result.status == "pass", result.message  # judged on the table as it is, scratch keyed like it
            assert "Cleaning up" not in result.message
        else:  # the reserved prefix is a String: nothing is written, and the check says which prerequisite
            assert result.status == "fail"
            assert "(prerequisite: dynamodb_table_keys_match)" in result.message
