from __future__ import annotations

import botocore.exceptions
import pytest

from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CheckFailed
from labgrader.services.dynamodb.scratch import ScratchItems, ScratchRegistry
from labgrader.spec import KeyAttribute
from tests.checks.dynamodb import aws_answers
from tests.checks.dynamodb.helpers import Wrapped, dynamodb_fixture, scratch_items
from tests.conftest import load_check, replace_section

CHECK = "dynamodb_crud_roundtrip"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution_and_leaves_no_scratch_item(solved, local_target, ddb_client, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "PutItem, GetItem, UpdateItem and DeleteItem round-tripped scratch item __labgrader__" in result.message
    assert "consumed capacity reported on every call" in result.message
    assert result.evidence["consumed_capacity_units"] > 0
    assert scratch_items(ddb_client, solved.dynamodb.table) == []


def test_fails_when_the_table_rejects_a_lab_shaped_item(lab_table, ddb_client):
    """AWS refuses an item whose GSI key has another type than the index's (moto does not check it on PutItem).
    No hint is run: the fault is in edited API answers, there is no sandbox state a command could fix."""
    spec = lab_table(data=False)

    def refuse(_client, **_kwargs):
        raise botocore.exceptions.ClientError(
            {
                "Error": {
                    "Code": "ValidationException",
                    "Message": "One or more parameter values were invalid: Type mismatch for Index Key price "
                    "Expected: S Actual: N IndexName: brand-price-index",
                },
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "PutItem",
        )

    client = Wrapped(ddb_client, put_item=refuse)
    items = ScratchItems(client, spec.dynamodb, Scratch(), CHECK, ScratchRegistry(client, spec.dynamodb.table))
    with pytest.raises(CheckFailed, match=r"rejected a lab-shaped PutItem .* Type mismatch for Index Key price"):
        load_check(CHECK)(ddb=spec.dynamodb, writable_table={}, scratch_items=items, dynamodb=client)
    items.cleanup()
    assert scratch_items(ddb_client, spec.dynamodb.table) == []


def test_round_trips_on_a_sort_key_named_like_the_lab_s_of_another_type(local_target, lab_table, ddb_client, grade):
    """sku a Number: dynamodb_table_keys_match fails it; the scratch item follows the table's real key schema."""
    spec = lab_table(data=False, gsi=[], lsi=[], sort_key=KeyAttribute(name="sku", type="N"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert ddb_client.scan(TableName=spec.dynamodb.table)["Count"] == 0


def test_skips_a_table_whose_partition_key_is_not_a_string(local_target, lab_table, grade):
    number = KeyAttribute(name="category", type="N")
    spec = lab_table(data=False, gsi=[], lsi=[], partition_key=number)
    spec = replace_section(spec, "dynamodb", partition_key=number, gsi=[], lsi=[])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "skip"
    assert "partition key category is not a String" in result.message


def test_fails_naming_the_prerequisite_when_the_table_is_being_deleted(solved, local_target):
    """The shared `table` prerequisite: a DELETING table is a fail for every check that needs it. No hint is run:
    a stubbed DELETING answer (the sandbox deletes at once); a missing table's hint is run by
    test_dynamodb_table_exists.py."""
    table = dynamodb_fixture("table")
    deleting = {**aws_answers.describe_table(), "TableStatus": "DELETING"}
    with pytest.raises(CheckFailed, match="is DELETING, so this objective cannot be graded"):
        table(deleting, solved.dynamodb, local_target)
