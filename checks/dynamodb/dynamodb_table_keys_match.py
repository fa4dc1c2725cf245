from __future__ import annotations

from typing import Any

from labgrader.check import check
from labgrader.evaluate.dynamodb import actual_keys, describe_key, key_schema_mismatches
from labgrader.hints import create_table_cli
from labgrader.spec import LabSpec
from labgrader.verdict import Passed, fail, passed


@check(
    "dynamodb_table_keys_match",
    points=3,
    objective="The table's partition and sort keys have the lab's names and types.",
    hint="Keys cannot change after creation: aws dynamodb delete-table --table-name {lab.dynamodb.table}, then create it again with the lab's keys.",
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable",),
)
def dynamodb_table_keys_match(table_description: dict[str, Any] | None, lab: LabSpec) -> Passed:
    spec = lab.dynamodb
    assert spec is not None
    expected = f"partition {describe_key(spec.partition_key)}, sort {describe_key(spec.sort_key)}"
    if table_description is None:
        fail(
            f"DynamoDB table {spec.table} does not exist, so its keys cannot match (prerequisite: "
            "dynamodb_table_exists).",
            call="dynamodb.describe_table",
            observed="ResourceNotFoundException",
            expected=expected,
            hint=create_table_cli(spec),
        )
    partition, sort = actual_keys(table_description)
    observed = f"partition {describe_key(partition)}, sort {describe_key(sort)}"
    problems = key_schema_mismatches(table_description, spec)
    if problems:
        fail(
            f"DynamoDB table {spec.table}: {'; '.join(problems)}.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
            hint=f"aws dynamodb delete-table --table-name {spec.table} && {create_table_cli(spec)}",
        )
    return passed(
        f"DynamoDB table {spec.table} has {expected}.",
        call="dynamodb.describe_table",
        observed=observed,
        expected=expected,
    )
