from __future__ import annotations

from typing import Any

from labgrader.api import DynamoDBSpec, Passed, check, dynamodb_hints, fail, passed, pending


@check(
    "dynamodb_pitr_enabled",
    points=0,
    objective="Advisory: point-in-time recovery protects the table's data.",
    hint="aws dynamodb update-continuous-backups --table-name {lab.dynamodb.table} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeContinuousBackups",),
)
def dynamodb_pitr_enabled(
    pitr_expected: bool, ddb: DynamoDBSpec, table: dict[str, Any], continuous_backups: dict[str, Any] | None
) -> Passed:
    recovery = (continuous_backups or {}).get("PointInTimeRecoveryDescription") or {}
    status = recovery.get("PointInTimeRecoveryStatus", "DISABLED")
    call = "dynamodb.describe_continuous_backups"
    if status == "ENABLING":
        pending(
            f"DynamoDB table {ddb.table} has point-in-time recovery ENABLING; expected ENABLED.",
            call=call,
            observed=status,
            expected="ENABLED",
        )
    if status != "ENABLED":
        fail(
            f"DynamoDB table {ddb.table} has point-in-time recovery {status}; expected ENABLED (advisory).",
            call=call,
            observed=status,
            expected="ENABLED",
            hint=dynamodb_hints.pitr_cli(ddb),
        )
    days = recovery.get("RecoveryPeriodInDays")
    return passed(
        f"DynamoDB table {ddb.table} has point-in-time recovery ENABLED" + (f" ({days} days)." if days else "."),
        call=call,
        observed=status,
        expected="ENABLED",
    )
