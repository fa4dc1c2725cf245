from __future__ import annotations

from typing import Any

from labgrader.api import (
    DynamoDBSpec,
    Hint,
    Passed,
    SecondaryIndex,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    fail,
    passed,
    pending,
)


@check(
    "dynamodb_lsi_configured",
    points=3,
    objective="Every local secondary index of the lab exists with the table's partition key, the lab's sort key and projection.",
    hint=Hint(
        ("aws dynamodb describe-table --table-name {lab.dynamodb.table} --query Table.LocalSecondaryIndexes",),
        "Local secondary indexes exist only from create-table on: the scorecard prints the commands that re-create "
        "the table (and restore its data) when it sees one missing or wrong.",
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable",),
)
def dynamodb_lsi_configured(
    lsi_specs: list[SecondaryIndex], ddb: DynamoDBSpec, existing_table: dict[str, Any]
) -> Passed:
    # An LSI never changes after CreateTable: a wrong or missing one fails at once, even while the table is CREATING.
    table = existing_table
    findings = [dynamodb_evaluation.index_finding(table, ddb, index, "LSI") for index in lsi_specs]
    expected = {i.name: dynamodb_evaluation.expected_index(ddb, i) for i in lsi_specs}
    observed = {f.name: f.observed for f in findings}
    wrong = [f for f in findings if f.state in ("missing", "mismatch")]
    if wrong:
        phrases = [
            f"LSI {f.name} is missing" + (" (it exists as a GSI)" if f.other_kind else "")
            if f.state == "missing"
            else f"LSI {f.name}: {', '.join(f.problems)}"
            for f in wrong
        ]
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(phrases)}.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
            hint=dynamodb_hints.recreate_table_hint(ddb, "Local secondary indexes"),
        )
    if table.get("TableStatus") == "CREATING":
        pending(
            f"DynamoDB table {ddb.table} is CREATING (its LSIs are the lab's: {'; '.join(observed.values())}); "
            "expected ACTIVE.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
        )
    return passed(
        f"DynamoDB table {ddb.table} has LSI {'; '.join(f'{n} ({o})' for n, o in observed.items())}.",
        call="dynamodb.describe_table",
        observed=observed,
        expected=expected,
    )
