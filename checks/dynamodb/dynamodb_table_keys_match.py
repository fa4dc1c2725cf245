from __future__ import annotations

from typing import Any

from labgrader.api import DynamoDBSpec, Hint, Passed, Target, check, dynamodb_evaluation, dynamodb_hints, fail, passed


@check(
    "dynamodb_table_keys_match",
    points=3,
    objective="The table's partition and sort keys have the lab's names and types.",
    hint=Hint(
        ("aws dynamodb describe-table --table-name {lab.dynamodb.table} --query Table.KeySchema",),
        "Keys cannot change after creation: compare them with the lab's; the scorecard prints the commands that "
        "re-create the table when it sees the mismatch.",
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable",),
)
def dynamodb_table_keys_match(table_description: dict[str, Any] | None, ddb: DynamoDBSpec, target: Target) -> Passed:
    expected = f"partition {dynamodb_evaluation.describe_key(ddb.partition_key)}, sort {dynamodb_evaluation.describe_key(ddb.sort_key)}"
    if table_description is None:
        fail(
            f"DynamoDB table {ddb.table} was not found in {target.region}, so its keys cannot match (prerequisite: "
            "dynamodb_table_exists).",
            call="dynamodb.describe_table",
            observed="ResourceNotFoundException",
            expected=expected,
            hint=dynamodb_hints.create_table_hint(ddb),
        )
    status = table_description.get("TableStatus")
    if status == "DELETING" or not table_description.get("KeySchema"):
        fail(
            f"DynamoDB table {ddb.table} is {status}"
            + ("" if table_description.get("KeySchema") else " and its description carries no key schema")
            + ", so its keys cannot be judged (prerequisite: dynamodb_table_exists).",
            call="dynamodb.describe_table",
            observed=status,
            expected=expected,
            hint=dynamodb_hints.create_table_hint(ddb),
        )
    partition, sort = dynamodb_evaluation.actual_keys(table_description)
    observed = f"partition {dynamodb_evaluation.describe_key(partition)}, sort {dynamodb_evaluation.describe_key(sort)}"
    problems = dynamodb_evaluation.key_schema_mismatches(table_description, ddb)
    if problems:
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(problems)}.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
            hint=dynamodb_hints.recreate_table_hint(ddb),
        )
    return passed(
        f"DynamoDB table {ddb.table} has {expected}.",
        call="dynamodb.describe_table",
        observed=observed,
        expected=expected,
    )
