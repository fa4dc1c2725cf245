from __future__ import annotations

import pytest

from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CheckFailed
from labgrader.services.dynamodb.scratch import ScratchItems, ScratchRegistry
from labgrader.spec import KeyAttribute
from tests.checks.dynamodb.helpers import Wrapped, scratch_items
from tests.conftest import load_check

CHECK = "dynamodb_condition_expression_enforced"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution_and_leaves_no_scratch_item(solved, local_target, ddb_client, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "2 writes with a false ConditionExpression were rejected (ConditionalCheckFailedException)" in result.message
    assert scratch_items(ddb_client, solved.dynamodb.table) == []


def test_fails_when_conditions_are_not_enforced(lab_table, ddb_client):
    """A store that ignores ConditionExpression (the check must notice; the sandbox and AWS both enforce). No hint is
    run: the fault is in edited API answers, there is no sandbox state a command could fix."""
    spec = lab_table(data=False)

    def put_ignoring(client, **kwargs):
        kwargs.pop("ConditionExpression", None)
        kwargs.pop("ExpressionAttributeNames", None)
        return client.put_item(**kwargs)

    def update_ignoring(client, **kwargs):
        kwargs.pop("ConditionExpression", None)
        kwargs["ExpressionAttributeValues"].pop(":current", None)
        return client.update_item(**kwargs)

    client = Wrapped(ddb_client, put_item=put_ignoring, update_item=update_ignoring)
    items = ScratchItems(client, spec.dynamodb, Scratch(), CHECK, ScratchRegistry(client, spec.dynamodb.table))
    with pytest.raises(CheckFailed) as failed:
        load_check(CHECK)(ddb=spec.dynamodb, writable_table={}, scratch_items=items, dynamodb=client)
    items.cleanup()
    assert "the same PutItem again was accepted" in failed.value.message
    assert "UpdateItem with a false condition (#p = 99) was accepted" in failed.value.message
    assert scratch_items(ddb_client, spec.dynamodb.table) == []


def test_is_judged_on_a_partition_key_named_otherwise(local_target, lab_table, ddb_client, grade):
    """ "Category" for "category" is dynamodb_table_keys_match's to fail; conditional writes still work there."""
    spec = lab_table(data=False, gsi=[], lsi=[], partition_key=KeyAttribute(name="Category", type="S"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert ddb_client.scan(TableName=spec.dynamodb.table)["Count"] == 0
