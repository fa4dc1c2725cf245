from __future__ import annotations

from typing import Any

import botocore.exceptions

from labgrader.api import DynamoDBSpec, Hint, Passed, ScratchItems, check, fail, passed

PROBE = "labgrader_probe"  # an attribute only scratch items carry


def rejected(write: Any) -> bool:
    """True when the write raised ConditionalCheckFailedException; other errors propagate (→ error)."""
    try:
        write()
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return True
        raise
    return False


@check(
    "dynamodb_condition_expression_enforced",
    points=2,
    objective="Conditional writes behave: a write whose ConditionExpression is false is rejected, a true one applies.",
    hint=Hint(
        note="The table applied a write whose ConditionExpression was false (or refused one that was true)."
        " If it persists, the endpoint does not behave like DynamoDB: grade on AWS or on the sandbox."
    ),
    requires=("dynamodb",),
    writes=True,
    aws_actions=("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
)
def dynamodb_condition_expression_enforced(
    ddb: DynamoDBSpec, writable_table: dict[str, Any], scratch_items: ScratchItems, dynamodb: Any
) -> Passed:
    item = {**scratch_items.item(1), PROBE: {"N": "1"}}
    key = scratch_items.key(item)
    shown = scratch_items.shown(key)
    names = {"#pk": scratch_items.key_names[0], "#p": PROBE}

    def put_if_absent() -> Any:
        return scratch_items.put(
            item, ConditionExpression="attribute_not_exists(#pk)", ExpressionAttributeNames={"#pk": names["#pk"]}
        )

    def update_if(current: str, new: str) -> Any:
        return scratch_items.call(
            "update_item",
            key,
            UpdateExpression="SET #p = :new",
            ConditionExpression="#p = :current",
            ExpressionAttributeNames={"#p": PROBE},
            ExpressionAttributeValues={":new": {"N": new}, ":current": {"N": current}},
        )

    steps: list[tuple[str, bool, bool]] = []  # (step, rejected?, expected rejected?)
    steps.append(("PutItem attribute_not_exists on a new key", rejected(put_if_absent), False))
    steps.append(("the same PutItem again", rejected(put_if_absent), True))
    steps.append(("UpdateItem with a false condition (#p = 99)", rejected(lambda: update_if("99", "3")), True))
    steps.append(("UpdateItem with a true condition (#p = 1)", rejected(lambda: update_if("1", "2")), False))
    wrong = [(step, got) for step, got, want in steps if got != want]
    final = dynamodb.get_item(TableName=ddb.table, Key=key, ConsistentRead=True).get("Item", {}).get(PROBE)
    if wrong or final != {"N": "2"}:
        phrases = [f"{step} was {'rejected' if got else 'accepted'}" for step, got in wrong]
        if final != {"N": "2"}:
            phrases.append(f"the item ended with {PROBE} {final}, expected {{'N': '2'}}")
        fail(
            f"DynamoDB table {ddb.table}, scratch item {shown}: {'; '.join(phrases)}.",
            call="dynamodb.put_item/update_item with ConditionExpression",
            observed={step: ("rejected" if got else "accepted") for step, got, _want in steps},
            expected={step: ("rejected" if want else "accepted") for step, _got, want in steps},
        )
    return passed(
        f"DynamoDB table {ddb.table}: on scratch item {shown}, 2 writes with a false ConditionExpression were rejected "
        "(ConditionalCheckFailedException) and 2 with a true one applied.",
        call="dynamodb.put_item/update_item with ConditionExpression",
        observed={step: ("rejected" if got else "accepted") for step, got, _want in steps},
        expected={step: ("rejected" if want else "accepted") for step, _got, want in steps},
    )
