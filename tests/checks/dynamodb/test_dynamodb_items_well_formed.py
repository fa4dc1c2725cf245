from __future__ import annotations

import pytest

from tests.checks.dynamodb.helpers import dataset_items, fill

CHECK = "dynamodb_items_well_formed"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "all 99 items carry name (S), brand (S), price (N), rating (N), stock (N); 16 carry expires_at" in (
        result.message
    )


def test_fails_when_an_attribute_has_the_wrong_type(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table(dataset=None, exercises=None)
    items = dataset_items(spec)
    for item in items[75:]:  # the tools file stored stock as a String
        item["stock"] = {"S": item["stock"]["N"]}
    fill(ddb_client, spec, items)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "25 of 99 items do not carry the lab's attributes and types (tools/TL-0001: stock is a String, " in (
        result.message
    )
    assert result.hint.endswith('"file://$batch/tools.json"')
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_an_attribute_is_missing(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table()
    ddb_client.update_item(
        TableName=spec.dynamodb.table,
        Key={"category": {"S": "music"}, "sku": {"S": "MU-0004"}},
        UpdateExpression="REMOVE brand",
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "1 of 99 items" in result.message
    assert "music/MU-0004: brand missing" in result.message
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_ttl_attribute_is_stored_as_a_string(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table(dataset=None, exercises=None)
    items = dataset_items(spec)
    for item in items:
        if "expires_at" in item:
            item["expires_at"] = {"S": item["expires_at"]["N"]}
    fill(ddb_client, spec, items)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "0 items carry expires_at as a Number (16 hold it as a String); expected at least 10" in result.message
    # Re-importing the shipped files (regenerated for this table's name) restores the Numbers, then the exercises.
    assert result.hint_commands[0].count("batch-write-item") == 4
    assert "update-item" in result.hint_commands[1]  # then the exercises again
    assert result.hint_note.endswith("then redo the exercises, since the files hold the items they change.")
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"
