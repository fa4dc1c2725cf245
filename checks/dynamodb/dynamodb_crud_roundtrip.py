from __future__ import annotations

from typing import Any

from labgrader.api import DynamoDBSpec, Hint, Passed, ScratchItems, check, could_not_look, fail, passed

PROBE = "labgrader_probe"  # an attribute only scratch items carry


def consumed(response: dict[str, Any], operation: str) -> float:
    """ConsumedCapacity.CapacityUnits of a call made with ReturnConsumedCapacity=TOTAL.

    Its presence is what holds everywhere (moto answers placeholder numbers); an endpoint that leaves it out
    is not the student's doing.
    """
    capacity = response.get("ConsumedCapacity")
    if not capacity or "CapacityUnits" not in capacity:
        could_not_look(f"DynamoDB answered {operation} without the ConsumedCapacity it was asked for.")
    return float(capacity["CapacityUnits"])


@check(
    "dynamodb_crud_roundtrip",
    points=2,
    objective="PutItem, GetItem, UpdateItem and DeleteItem work on a lab-shaped item (a grader scratch item).",
    hint=Hint(
        note="A write or read of the grader's scratch item did not round-trip: grade again (was the table changing?)."
        " If it persists, the endpoint does not behave like DynamoDB: grade on AWS or on the sandbox."
    ),
    requires=("dynamodb",),
    writes=True,
    aws_actions=("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
)
def dynamodb_crud_roundtrip(
    ddb: DynamoDBSpec, writable_table: dict[str, Any], scratch_items: ScratchItems, dynamodb: Any
) -> Passed:
    item = {**scratch_items.item(1), PROBE: {"N": "1"}}
    key = scratch_items.key(item)
    shown = scratch_items.shown(key)
    units = 0.0

    def get() -> dict[str, Any] | None:
        nonlocal units
        answer = dynamodb.get_item(TableName=ddb.table, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        units += consumed(answer, "GetItem")
        found: dict[str, Any] | None = answer.get("Item")
        return found

    def broken(step: str, observed: Any, expected: Any) -> None:
        fail(
            f"DynamoDB table {ddb.table}: {step} on scratch item {shown} returned {observed}; expected {expected}.",
            call=f"dynamodb.{step}",
            observed=observed,
            expected=expected,
        )

    units += consumed(scratch_items.put(item, ReturnConsumedCapacity="TOTAL"), "PutItem")
    if (read := get()) != item:
        broken("GetItem after PutItem", read, item)
    updated = scratch_items.call(
        "update_item",
        key,
        UpdateExpression="SET #p = #p + :one",
        ExpressionAttributeNames={"#p": PROBE},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
        ReturnConsumedCapacity="TOTAL",
    )
    units += consumed(updated, "UpdateItem")
    if updated.get("Attributes", {}).get(PROBE) != {"N": "2"}:
        broken("UpdateItem (SET n = n + 1)", updated.get("Attributes", {}).get(PROBE), {"N": "2"})
    if (read := get()) is None or read.get(PROBE) != {"N": "2"}:
        broken("GetItem after UpdateItem", read, {**item, PROBE: {"N": "2"}})
    deleted = scratch_items.call("delete_item", key, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL")
    units += consumed(deleted, "DeleteItem")
    if deleted.get("Attributes", {}).get(PROBE) != {"N": "2"}:
        broken("DeleteItem (ReturnValues=ALL_OLD)", deleted.get("Attributes"), {**item, PROBE: {"N": "2"}})
    if (read := get()) is not None:
        broken("GetItem after DeleteItem", read, "no item")
    return passed(
        f"DynamoDB table {ddb.table}: PutItem, GetItem, UpdateItem and DeleteItem round-tripped scratch item {shown}, "
        f"consumed capacity reported on every call ({units:g} units in all).",
        call="dynamodb.put_item/get_item/update_item/delete_item",
        observed="round trip ok, ConsumedCapacity present",
        expected="round trip ok, ConsumedCapacity present",
        extra={"consumed_capacity_units": units},
    )
