from __future__ import annotations

import concurrent.futures
import shlex
from typing import Any

from botocore.config import Config

from labgrader.api import (
    AwsClients,
    DynamoDBSpec,
    Hint,
    Passed,
    Target,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    fail,
    passed,
    pending,
)

# Where a student most likely created the table by mistake (console default, nearest regions of the course).
COMMON_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-south-1",
)
# One quick attempt per region: a region that does not answer within seconds is simply not reported.
# (botocore's `max_attempts` counts retries; `total_max_attempts` counts the first call too.)
PROBE_CONFIG = Config(connect_timeout=2, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 1})
PROBE_BUDGET_S = 5.0


def tables_elsewhere(aws: AwsClients, target: Target, wanted: str) -> list[str]:
    """`Name (region)` of tables named like `wanted` in the other common regions, looked up in parallel."""
    regions = [r for r in COMMON_REGIONS if r != target.region]
    endpoint = target.endpoint_for("dynamodb")
    clients = {
        region: aws.session.client("dynamodb", region_name=region, endpoint_url=endpoint, config=PROBE_CONFIG)
        for region in regions
    }
    found: list[str] = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(clients))
    try:
        futures = {pool.submit(lambda c: c.list_tables(Limit=100)["TableNames"], c): r for r, c in clients.items()}
        done, _late = concurrent.futures.wait(futures, timeout=PROBE_BUDGET_S)
        for future in done:
            if future.exception() is None:
                names = future.result()
                matches = dict.fromkeys(
                    ([wanted] if wanted in names else []) + dynamodb_evaluation.near_matches(wanted, names)
                )
                found.extend(f"{name} ({futures[future]})" for name in matches)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return sorted(found, key=lambda entry: (COMMON_REGIONS.index(entry.rsplit("(", 1)[1].rstrip(")")), entry))


@check(
    "dynamodb_table_exists",
    points=3,
    objective="The lab's DynamoDB table exists and is ACTIVE.",
    hint=Hint(
        ("aws dynamodb wait table-exists --table-name {lab.dynamodb.table}",),
        "Wait until table {lab.dynamodb.table} is ACTIVE, then grade again.",
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTable", "dynamodb:ListTables"),
)
def dynamodb_table_exists(
    table_description: dict[str, Any] | None, dynamodb: Any, ddb: DynamoDBSpec, target: Target, aws: AwsClients
) -> Passed:
    name = ddb.table
    if table_description is None:
        names = [n for page in dynamodb.get_paginator("list_tables").paginate() for n in page["TableNames"]]
        close = dynamodb_evaluation.near_matches(name, names)
        elsewhere = tables_elsewhere(aws, target, name)
        found = [*(f"{n} ({target.region})" for n in close), *elsewhere]
        where = ""
        if close:
            where += f"; found {', '.join(close)} there instead"
        if elsewhere:
            where += f"; found {', '.join(elsewhere)} in another region"
        hint = dynamodb_hints.create_table_hint(ddb)
        if elsewhere:
            other = elsewhere[0].rsplit("(", 1)[1].rstrip(")")
            hint = Hint(
                hint.commands,
                f"If you meant region {other}, grade it instead (labgrader grade --region {other}); these commands "
                f"create the table in {target.region}: keys, indexes and stream, then TTL, point-in-time recovery, "
                "the dataset and the exercises.",
            )
        fail(
            f"DynamoDB table {name} was not found in {target.region}{where}; expected it in {target.region}.",
            call="dynamodb.describe_table",
            observed=found or "ResourceNotFoundException",
            expected=f"{name} ({target.region})",
            hint=hint,
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
        gone = Hint(
            (
                f"aws dynamodb wait table-not-exists --table-name {shlex.quote(name)}",
                *dynamodb_hints.create_table_hint(ddb).commands,
            ),
            f"Table {name} is being deleted: these commands wait until it is gone and create it again as the lab "
            "sets it up.",
        )
        fail(
            f"DynamoDB table {name} is {status}; expected ACTIVE.",
            call="dynamodb.describe_table",
            observed=status,
            expected="ACTIVE",
            hint=gone if status == "DELETING" else None,
        )
    return passed(
        f"DynamoDB table {name} exists in {target.region} and is ACTIVE.",
        call="dynamodb.describe_table",
        observed=status,
        expected="ACTIVE",
    )
