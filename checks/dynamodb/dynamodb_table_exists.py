from __future__ import annotations

from typing import Any

from labgrader.check import check
from labgrader.evaluate.dynamodb import near_matches
from labgrader.hints import create_table_cli
from labgrader.spec import LabSpec
from labgrader.targets import Target
from labgrader.verdict import Passed, fail, passed, pending


@check(
    "dynamodb_table_exists",
    points=3,
    objective="The lab's DynamoDB table exists and is ACTIVE.",
    hint="aws dynamodb create-table --table-name {lab.dynamodb.table} ... (keys, indexes and stream of the lab)",
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable", "dynamodb:ListTables"),
)
def dynamodb_table_exists(
    table_description: dict[str, Any] | None, dynamodb: Any, lab: LabSpec, target: Target
) -> Passed:
    assert lab.dynamodb is not None
    name = lab.dynamodb.table
    if table_description is None:
        names = [n for page in dynamodb.get_paginator("list_tables").paginate() for n in page["TableNames"]]
        close = near_matches(name, names)
        found = f"; found {', '.join(close)} there instead" if close else ""
        fail(
            f"DynamoDB table {name} was not found in {target.region}{found}; expected it to exist.",
            call="dynamodb.describe_table",
            observed=close or "ResourceNotFoundException",
            expected=name,
            hint=create_table_cli(lab.dynamodb),
        )
    status = table_description.get("TableStatus")
    if status in ("CREATING", "UPDATING"):
        pending(
            f"DynamoDB table {name} is {status}; expected ACTIVE.",
            call="dynamodb.describe_table",
            observed=status,
            expected="ACTIVE",
        )
    if status != "ACTIVE":
        fail(
            f"DynamoDB table {name} is {status}; expected ACTIVE.",
            call="dynamodb.describe_table",
            observed=status,
            expected="ACTIVE",
        )
    return passed(
        f"DynamoDB table {name} exists in {target.region} and is ACTIVE.",
        call="dynamodb.describe_table",
        observed=status,
        expected="ACTIVE",
    )
