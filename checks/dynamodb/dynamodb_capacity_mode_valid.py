from __future__ import annotations

from typing import Any

from labgrader.api import DynamoDBSpec, Hint, Passed, check, dynamodb_evaluation, dynamodb_hints, fail, passed, pending


def capacity_hint(ddb: DynamoDBSpec, table: dict[str, Any]) -> Hint:
    """On-demand when the lab allows it; else provisioned units that keep the table plus its GSIs within bounds."""
    capacity = ddb.capacity
    if "PAY_PER_REQUEST" in capacity.modes:
        return Hint((dynamodb_hints.on_demand_cli(ddb), dynamodb_hints.wait_table_cli(ddb)))
    gsi_names = [i["IndexName"] for i in table.get("GlobalSecondaryIndexes") or []]
    owners = 1 + len(gsi_names)
    read = max(capacity.min_units, min(5, capacity.max_read_units // owners))
    write = max(capacity.min_units, min(5, capacity.max_write_units // owners))
    return Hint((dynamodb_hints.provisioned_cli(ddb, read, write, gsi_names), dynamodb_hints.wait_table_cli(ddb)))


@check(
    "dynamodb_capacity_mode_valid",
    points=2,
    objective="The table is on-demand, or provisioned within the lab's bounds (table plus GSIs, as the free tier counts them).",
    hint="aws dynamodb update-table --table-name {lab.dynamodb.table} --billing-mode PAY_PER_REQUEST",
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable",),
)
def dynamodb_capacity_mode_valid(ddb: DynamoDBSpec, table: dict[str, Any]) -> Passed:
    capacity = ddb.capacity
    finding = dynamodb_evaluation.capacity_finding(table, capacity)
    allowed = " or ".join(capacity.modes)
    expected = f"{allowed}; provisioned: {capacity.min_units} ≤ units, total ≤ {capacity.max_read_units} RCU / {capacity.max_write_units} WCU"
    if finding.problems:
        if table.get("TableStatus") == "UPDATING":
            pending(
                f"DynamoDB table {ddb.table} is UPDATING ({finding.observed} for now); grade it once the change ends.",
                call="dynamodb.describe_table",
                observed=finding.observed,
                expected=expected,
            )
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(finding.problems)}.",
            call="dynamodb.describe_table",
            observed=finding.observed,
            expected=expected,
            hint=capacity_hint(ddb, table),
        )
    return passed(
        f"DynamoDB table {ddb.table} is {finding.observed}, within the lab's capacity rules.",
        call="dynamodb.describe_table",
        observed=finding.observed,
        expected=expected,
    )
