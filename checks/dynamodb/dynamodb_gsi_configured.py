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


def throughput_for_new_index(table: dict[str, Any], ddb: DynamoDBSpec) -> tuple[int, int] | None:
    """Units for a GSI created on a provisioned table (AWS requires them): what the lab's maximum leaves, at most 5."""
    if dynamodb_evaluation.billing_mode(table) != "PROVISIONED":
        return None
    capacity = ddb.capacity
    units = dynamodb_evaluation.capacity_finding(table, capacity).units
    left_read = capacity.max_read_units - sum(u[1] for u in units)
    left_write = capacity.max_write_units - sum(u[2] for u in units)
    return max(capacity.min_units, min(5, left_read)), max(capacity.min_units, min(5, left_write))


@check(
    "dynamodb_gsi_configured",
    points=3,
    objective="Every global secondary index of the lab exists with the lab's keys and projection, and is ACTIVE.",
    hint=Hint(note="Create each global secondary index of the lab with update-table --global-secondary-index-updates."),
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable",),
)
def dynamodb_gsi_configured(
    gsi_specs: list[SecondaryIndex], ddb: DynamoDBSpec, existing_table: dict[str, Any]
) -> Passed:
    # A GSI's keys and projection never change, and a GSI missing from a CREATING table will not appear by itself:
    # both fail at once, even while the table is CREATING.
    table = existing_table
    findings = [dynamodb_evaluation.index_finding(table, ddb, index, "GSI") for index in gsi_specs]
    expected = {f.name: dynamodb_evaluation.expected_index(ddb, i) for f, i in zip(findings, gsi_specs, strict=True)}
    observed = {f.name: f.observed for f in findings}
    wrong = [(f, i) for f, i in zip(findings, gsi_specs, strict=True) if f.state in ("missing", "mismatch")]
    if wrong:
        phrases = []
        for finding, _index in wrong:
            if finding.state == "missing":
                phrases.append(
                    f"GSI {finding.name} is missing" + (" (it exists as an LSI)" if finding.other_kind else "")
                )
            else:
                phrases.append(f"GSI {finding.name}: {', '.join(finding.problems)}")
        first, index = wrong[0]
        throughput = throughput_for_new_index(table, ddb)
        hint = (
            Hint(tuple(dynamodb_hints.gsi_create_commands(ddb, index, throughput)))
            if first.state == "missing"
            else dynamodb_hints.gsi_replace_hint(ddb, index, throughput)
        )
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(phrases)}.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
            hint=hint,
        )
    creating = [f for f in findings if f.state == "pending"]
    if table.get("TableStatus") == "CREATING":
        pending(
            f"DynamoDB table {ddb.table} is CREATING; its GSIs are the lab's and become ACTIVE with it.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
        )
    if creating:
        pending(
            f"DynamoDB table {ddb.table}: GSI {', '.join(f'{f.name} is {f.observed}' for f in creating)}; "
            "expected ACTIVE once its backfill ends.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
        )
    return passed(
        f"DynamoDB table {ddb.table} has GSI {'; '.join(f'{n} ({o})' for n, o in observed.items())}.",
        call="dynamodb.describe_table",
        observed=observed,
        expected=expected,
    )
