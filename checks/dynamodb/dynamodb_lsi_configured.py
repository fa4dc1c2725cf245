from __future__ import annotations

from typing import Any

from labgrader.check import check
from labgrader.dataset import batch_files
from labgrader.evaluate.dynamodb import expected_index, index_finding
from labgrader.hints import batch_write_cli, recreate_table_cli
from labgrader.spec import DynamoDBSpec, SecondaryIndex
from labgrader.verdict import Passed, fail, passed, pending


def rebuild_hint(ddb: DynamoDBSpec) -> str:
    """An LSI exists only from CreateTable on: delete, create right, import the dataset again, redo the exercises."""
    hint = "LSIs can only be created with the table: " + recreate_table_cli(ddb)
    if ddb.dataset is not None:
        hint += " && " + batch_write_cli(ddb, batch_files(ddb.dataset.path))
    if ddb.exercises is not None:
        hint += ", then redo the lab's exercises"
    return hint


@check(
    "dynamodb_lsi_configured",
    points=3,
    objective="Every local secondary index of the lab exists with the table's partition key, the lab's sort key and projection.",
    hint="LSIs can only be created with the table: aws dynamodb delete-table --table-name {lab.dynamodb.table}, then create-table with --local-secondary-indexes.",
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable",),
)
def dynamodb_lsi_configured(
    lsi_specs: list[SecondaryIndex], ddb: DynamoDBSpec, existing_table: dict[str, Any]
) -> Passed:
    # An LSI never changes after CreateTable: a wrong or missing one fails at once, even while the table is CREATING.
    table = existing_table
    findings = [index_finding(table, ddb, index, "LSI") for index in lsi_specs]
    expected = {i.name: expected_index(ddb, i) for i in lsi_specs}
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
            hint=rebuild_hint(ddb),
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
