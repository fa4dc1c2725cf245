from __future__ import annotations

import time
from typing import Any

from labgrader.api import (
    DynamoDBSpec,
    Hint,
    Passed,
    TtlSpec,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    fail,
    lab_dataset,
    passed,
    pending,
)

# Items a hint fixes one command each (the lab's dataset has 100): more would bury the scorecard.
MAX_FIXED_ITEMS = 100


def _as_number(item: dict[str, Any], attribute: str) -> dict[str, Any] | None:
    """The TTL value an item meant, as a Number AttributeValue of epoch seconds (a String of digits → that Number,
    epoch milliseconds → seconds)."""
    value = item[attribute]
    raw = value.get("S", value.get("N"))
    if isinstance(raw, str) and raw.strip().isdigit():
        seconds = int(raw.strip())
        return {"N": str(seconds // 1000 if seconds >= 10**11 else seconds)}
    return None


@check(
    "dynamodb_ttl_enabled",
    points=3,
    objective="TTL is enabled on the lab's attribute, and items carry it as a Number of epoch seconds.",
    hint="aws dynamodb update-time-to-live --table-name {lab.dynamodb.table} "
    "--time-to-live-specification Enabled=true,AttributeName={lab.dynamodb.ttl.attribute}",
    requires=("dynamodb",),
    aws_actions=("dynamodb:DescribeTimeToLive", "dynamodb:Scan"),
)
def dynamodb_ttl_enabled(
    ttl_spec: TtlSpec,
    ddb: DynamoDBSpec,
    table: dict[str, Any],
    ttl_description: dict[str, Any] | None,
    table_items: list[dict[str, Any]] | None,
) -> Passed:
    wanted = ttl_spec.attribute
    description = ttl_description or {}
    status = description.get("TimeToLiveStatus", "DISABLED")
    attribute = description.get("AttributeName")
    observed = f"{status} on {attribute}" if attribute else status
    expected = f"ENABLED on {wanted}"
    call = "dynamodb.describe_time_to_live"
    if status in ("ENABLED", "ENABLING") and attribute != wanted:
        fail(
            f"DynamoDB table {ddb.table} has TTL {status} on attribute {attribute}; expected it on {wanted}.",
            call=call,
            observed=observed,
            expected=expected,
            hint=Hint(
                (dynamodb_hints.ttl_cli(ddb, str(attribute), enabled=False), dynamodb_hints.ttl_cli(ddb, wanted)),
                "TTL moves to another attribute in two changes, and AWS allows one TTL change per hour: if AWS "
                "refuses the second command, run it again an hour later.",
            ),
        )
    if status == "ENABLING":
        pending(
            f"DynamoDB table {ddb.table} has TTL ENABLING on {wanted}; expected ENABLED within the hour.",
            call=call,
            observed=observed,
            expected=expected,
        )
    if status == "DISABLING":
        fail(
            f"DynamoDB table {ddb.table} has TTL DISABLING on {attribute}; expected ENABLED on {wanted}.",
            call=call,
            observed=observed,
            expected=expected,
            hint=Hint(
                (dynamodb_hints.ttl_cli(ddb, wanted),),
                "AWS accepts this once the TTL change in progress ends (up to an hour).",
            ),
        )
    if status != "ENABLED":
        fail(
            f"DynamoDB table {ddb.table} has TTL {status}; expected ENABLED on {wanted}.",
            call=call,
            observed=observed,
            expected=expected,
            hint=dynamodb_hints.ttl_cli(ddb, wanted),
        )
    items = table_items or []
    carrying = [item for item in items if wanted in item]
    problems = dynamodb_evaluation.ttl_value_problems(carrying, wanted, ddb.key_names)
    if problems:
        first_key = sorted(problems, key=lambda k: tuple(str(p) for p in k))[0]
        by_key = {dynamodb_evaluation.item_key(i, ddb.key_names): i for i in carrying}
        # A String of digits becomes that Number; anything else gets an expiry 30 days from now.
        later = {"N": str(int(time.time()) + 30 * 86400)}
        hint = Hint(
            tuple(
                dynamodb_hints.update_item_cli(
                    ddb, lab_dataset.key_attribute_values(key, ddb), {wanted: _as_number(by_key[key], wanted) or later}
                )
                for key in sorted(problems, key=lambda k: tuple(str(p) for p in k))[:MAX_FIXED_ITEMS]
            ),
            f"These commands store {wanted} as a Number of epoch seconds on {dynamodb_evaluation.sample(problems, MAX_FIXED_ITEMS)}.",
        )
        fail(
            f"DynamoDB table {ddb.table} has TTL ENABLED on {wanted}, but {len(problems)} of {len(carrying)} items "
            f"carrying it hold no Number of epoch seconds ({dynamodb_evaluation.format_key(first_key)}: {problems[first_key]}), so TTL "
            "never expires them.",
            call="dynamodb.describe_time_to_live; dynamodb.scan",
            observed={
                dynamodb_evaluation.format_key(k): v
                for k, v in sorted(problems.items(), key=lambda kv: dynamodb_evaluation.format_key(kv[0]))[:10]
            },
            expected=f"{expected}, {wanted} a Number of epoch seconds",
            hint=hint,
        )
    return passed(
        f"DynamoDB table {ddb.table} has TTL ENABLED on {wanted}, and the {len(carrying)} items carrying it hold "
        "epoch seconds as a Number.",
        call="dynamodb.describe_time_to_live; dynamodb.scan",
        observed=f"{observed}, {len(carrying)} items with {wanted} (N, epoch seconds)",
        expected=expected,
    )
