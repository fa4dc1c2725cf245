from __future__ import annotations

from typing import Any

from labgrader.api import (
    DatasetSpec,
    DynamoDBSpec,
    Hint,
    Passed,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    dynamodb_scratch,
    fail,
    lab_dataset,
    passed,
)


def count_items(dynamodb: Any, ddb: DynamoDBSpec, table: dict[str, Any]) -> tuple[int, int]:
    """(items, pages) by a paginated, strongly consistent Scan(Select=COUNT), grader scratch items left out (by
    the table's real partition key).

    Never DescribeTable's ItemCount: AWS refreshes it about every six hours.
    """
    condition, names, values = dynamodb_scratch.scratch_filter(table)
    filtering = (
        {"FilterExpression": condition, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
        if condition
        else {}
    )
    total = pages = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=ddb.table, Select="COUNT", ConsistentRead=True, **filtering
    ):
        total += page["Count"]
        pages += 1
    return total, pages


@check(
    "dynamodb_dataset_imported",
    points=3,
    objective="Every item of the lab's dataset is in the table (counted with a paginated Scan Select=COUNT).",
    hint=Hint(
        (
            'for f in {lab.dynamodb.dataset.path}/*.json; do aws dynamodb batch-write-item --request-items "file://$f"; done',
        ),
        "Import every file of the lab's dataset.",
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:Scan",),
)
def dynamodb_dataset_imported(
    *,
    dataset_spec: DatasetSpec,
    ddb: DynamoDBSpec,
    table: dict[str, Any],
    dynamodb: Any,
    table_items: list[dict[str, Any]] | None,
    expected_items: dict[lab_dataset.Key, dict[str, Any]],
) -> Passed:
    count, pages = count_items(dynamodb, ddb, table)
    ignored = lab_dataset.exercise_keys(ddb)  # present or not, dynamodb_exercise_state grades these
    present = {dynamodb_evaluation.item_key(item, ddb.key_names) for item in table_items or []}
    wanted = set(expected_items) - ignored
    missing = wanted - present
    extra = present - set(expected_items) - ignored
    expected = f"{len(expected_items)} dataset items (after the exercises)"
    observed = f"{count} items (Scan Select=COUNT, {pages} page(s), grader scratch items excluded)"
    if missing or count < len(wanted):
        fail(
            f"DynamoDB table {ddb.table} holds {count} items; expected the {len(expected_items)} of the lab's "
            f"dataset, and {len(missing)} are missing ({dynamodb_evaluation.sample(missing)}).",
            call="dynamodb.scan(Select=COUNT)",
            observed=observed,
            expected=expected,
            hint=dynamodb_hints.reimport_hint(ddb, missing or wanted),
            extra={"missing": len(missing)},
        )
    note = f", plus {len(extra)} items not in the dataset ({dynamodb_evaluation.sample(extra)})" if extra else ""
    return passed(
        f"DynamoDB table {ddb.table} holds the lab's dataset: {count} items counted with Scan Select=COUNT, "
        f"expected {len(expected_items)} after the exercises{note}.",
        call="dynamodb.scan(Select=COUNT)",
        observed=observed,
        expected=expected,
    )
