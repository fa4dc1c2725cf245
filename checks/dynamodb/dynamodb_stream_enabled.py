from __future__ import annotations

from typing import Any

from labgrader.api import DynamoDBSpec, Passed, StreamSpec, check, dynamodb_hints, fail, passed, pending


@check(
    "dynamodb_stream_enabled",
    points=3,
    objective="DynamoDB Streams is enabled on the table with the lab's view type.",
    hint="aws dynamodb update-table --table-name {lab.dynamodb.table} --stream-specification StreamEnabled=true,StreamViewType={lab.dynamodb.stream.view_type}",
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable", "dynamodb:DescribeStream"),
)
def dynamodb_stream_enabled(
    stream_spec: StreamSpec, ddb: DynamoDBSpec, table: dict[str, Any], stream_description: dict[str, Any] | None
) -> Passed:
    wanted = stream_spec.view_type
    specification = table.get("StreamSpecification") or {}
    enabled = bool(specification.get("StreamEnabled"))
    view_type = specification.get("StreamViewType")
    observed = f"enabled, {view_type}" if enabled else "disabled"
    expected = f"enabled, {wanted}"
    if not enabled:
        fail(
            f"DynamoDB table {ddb.table} has no stream enabled; expected a stream with view type {wanted}.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
            hint=dynamodb_hints.stream_enable_cli(ddb, wanted),
        )
    if view_type != wanted:
        fail(
            f"DynamoDB table {ddb.table} streams {view_type}; expected view type {wanted}.",
            call="dynamodb.describe_table",
            observed=observed,
            expected=expected,
            hint=dynamodb_hints.stream_replace_hint(ddb, wanted),
        )
    status = (stream_description or {}).get("StreamStatus")
    if status == "ENABLING":
        pending(
            f"DynamoDB table {ddb.table}'s stream is ENABLING; expected ENABLED in a moment.",
            call="dynamodbstreams.describe_stream",
            observed=status,
            expected="ENABLED",
        )
    if status in ("DISABLING", "DISABLED"):
        fail(
            f"DynamoDB table {ddb.table}'s latest stream is {status}; expected ENABLED with view type {wanted}.",
            call="dynamodbstreams.describe_stream",
            observed=status,
            expected="ENABLED",
            hint=dynamodb_hints.stream_enable_cli(ddb, wanted),
        )
    arn = table.get("LatestStreamArn", "")
    return passed(
        f"DynamoDB table {ddb.table} streams {wanted} ({status or 'enabled'}, {arn.rsplit('/', 1)[-1]}).",
        call="dynamodb.describe_table" + ("; dynamodbstreams.describe_stream" if status else ""),
        observed=observed,
        expected=expected,
        extra={"stream_arn": arn} if arn else None,
    )
