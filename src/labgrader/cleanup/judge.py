"""The verdicts of the cleanup checks, from one inventory (pure: no API call here).

A leftover that still exists is a `fail` whose hint is the exact delete commands; one already `deleting` is
`pending` (AWS finishes within minutes); a part the grader could not list is `error` (the original exception is
re-raised so the run classifies it like any other), unless a leftover already proves the lab is not clean.
"""

from __future__ import annotations

from typing import Any, NoReturn

from labgrader.cleanup.model import BILLABLE_CHECK, Inventory, Leftover
from labgrader.engine.errors import describe_could_not_look
from labgrader.engine.verdict import Hint, Passed, could_not_look, fail, passed, pending

SERVICE = {
    "cleanup_dynamodb_tables_deleted": "DynamoDB",
    "cleanup_elasticache_deleted": "ElastiCache",
    "cleanup_elasticache_snapshots_deleted": "ElastiCache",
    "cleanup_elasticache_groups_deleted": "ElastiCache",
    "cleanup_security_groups_deleted": "EC2",
}
NOUNS = {
    "cleanup_dynamodb_tables_deleted": "table or backup",
    "cleanup_elasticache_deleted": "replication group or cache cluster",
    "cleanup_elasticache_snapshots_deleted": "manual snapshot",
    "cleanup_elasticache_groups_deleted": "subnet group or parameter group",
    "cleanup_security_groups_deleted": "security group",
}
CALLS = {
    "cleanup_dynamodb_tables_deleted": "dynamodb.list_tables, dynamodb.list_backups",
    "cleanup_elasticache_deleted": "elasticache.describe_replication_groups, elasticache.describe_cache_clusters",
    "cleanup_elasticache_snapshots_deleted": "elasticache.describe_snapshots",
    "cleanup_elasticache_groups_deleted": (
        "elasticache.describe_cache_subnet_groups, elasticache.describe_cache_parameter_groups"
    ),
    "cleanup_security_groups_deleted": "ec2.describe_security_groups",
    BILLABLE_CHECK: "the cleanup inventory priced with fixtures/prices",
}


def money(value: float | None) -> str:
    """`$23.36/month`, `<$0.01/month`, `unknown price`."""
    if value is None:
        return "unknown price"
    if value == 0:
        return "$0/month"
    if value < 0.01:
        return "<$0.01/month"
    return f"${value:,.2f}/month"


def money_hourly(value: float) -> str:
    """`$0.032/hour`, `<$0.001/hour`."""
    if value == 0:
        return "$0/hour"
    return "<$0.001/hour" if value < 0.001 else f"${value:,.3f}/hour"


def _where(inventory: Inventory) -> str:
    regions = inventory.regions
    return regions[0] if len(regions) == 1 else f"{len(regions)} regions"


def _state(item: Leftover) -> str:
    """`us-east-1 (available, ~$23.36/month)`."""
    cost = ""
    if item.cost is not None and item.cost.bills:
        cost = ", unknown price" if item.cost.unknown else f", ~{money(item.cost.monthly)}"
    return f"{item.region} ({item.state}{cost})"


def describe(item: Leftover) -> str:
    """`replication group lab-redis in us-east-1 (available, ~$23.36/month)`."""
    return f"{item.short} in {_state(item)}"


def hint_for(items: list[Leftover]) -> Hint:
    commands: list[str] = []
    for item in items:
        commands += [c for c in item.commands if c not in commands]
    return Hint(tuple(commands))


def _extra(inventory: Inventory, items: list[Leftover]) -> dict[str, Any]:
    hourly, monthly, unknown = inventory.total(items)
    commands: list[str] = []
    for item in items:
        commands += [c for c in item.commands if c not in commands]
    extra: dict[str, Any] = {
        "leftovers": [item.as_dict() for item in items],
        "delete_commands": commands,
        "hourly_usd": round(hourly, 6),
        "monthly_usd": round(monthly, 4),
        "unknown_price": [item.title for item in unknown],
        "regions": list(inventory.regions),
        "scope": f"names in the lab spec + tag {inventory.tag[0]}={inventory.tag[1]}",
    }
    if inventory.not_checked:
        extra["not_checked"] = list(inventory.not_checked)
    return extra


PART_LABELS = {
    "dynamodb": "DynamoDB tables and backups",
    "elasticache": "ElastiCache replication groups and clusters",
    "snapshots": "ElastiCache snapshots",
    "groups": "ElastiCache subnet and parameter groups",
    "security_groups": "EC2 security groups",
}


def _raise_error(inventory: Inventory, check_id: str) -> None:
    """A part that could not be listed: `error` with the usual grader-side message, never a clean pass."""
    errors = inventory.errors_for(check_id)
    if errors:
        first = errors[0]
        could_not_look(
            f"Listing {PART_LABELS[first.part]} in {first.region}: {describe_could_not_look(first.error)}",
            call=CALLS[check_id],
        )


def _notes(inventory: Inventory, check_id: str) -> str:
    """What this target could not show, stated in the pass message (never faked as checked)."""
    if check_id == BILLABLE_CHECK:
        relevant = list(inventory.not_checked)
    elif check_id == "cleanup_elasticache_groups_deleted":
        relevant = [note for note in inventory.not_checked if "parameter group" in note.lower()]
    else:
        relevant = []
    return (" " + " ".join(relevant)) if relevant else ""


def _fail(check_id: str, message: str, inventory: Inventory, items: list[Leftover]) -> NoReturn:
    fail(
        message,
        call=CALLS[check_id],
        observed=[describe(item) for item in items],
        expected="nothing of the lab left",
        hint=hint_for(items),
        extra=_extra(inventory, items),
    )


def kind_check(inventory: Inventory, check_id: str) -> Passed:
    """Verdict of one of the five per-kind cleanup checks."""
    service, noun = SERVICE[check_id], NOUNS[check_id]
    items = inventory.for_check(check_id)
    present = [item for item in items if not item.pending]
    if present:
        if len(present) == 1:
            item = present[0]
            message = (
                f"{service} {item.short} of lab {inventory.lab} is still there in {_state(item)}; expected it deleted."
            )
        else:
            listed = "; ".join(describe(item) for item in present)
            message = (
                f"{service}: {len(present)} leftovers of lab {inventory.lab} are still there ({listed}); expected none."
            )
        _fail(check_id, message, inventory, present)
    _raise_error(inventory, check_id)
    if items:
        listed = "; ".join(describe(item) for item in items)
        pending(
            f"{service}: {listed} of lab {inventory.lab} {'is' if len(items) == 1 else 'are'} being deleted; "
            "AWS finishes within minutes.",
            call=CALLS[check_id],
            observed=[describe(item) for item in items],
            expected="gone",
            extra=_extra(inventory, items),
        )
    looked = "; ".join(inventory.looked_for.get(check_id, []))
    return passed(
        f"No {service} {noun} of lab {inventory.lab} is left in {_where(inventory)} (looked for {looked})."
        + _notes(inventory, check_id),
        call=CALLS[check_id],
        observed="none",
        expected="nothing of the lab left",
        extra=_extra(inventory, []),
    )


def billable_check(inventory: Inventory) -> Passed:
    """Verdict of cleanup_no_billable_leftovers: nothing of the lab still costs money."""
    check_id = BILLABLE_CHECK
    billing = [item for item in inventory.leftovers if item.bills]
    active = [item for item in billing if not item.pending]
    if active:
        hourly, monthly, unknown = inventory.total(active)
        listed = "; ".join(
            f"{item.short} in {item.region} {money(item.cost.monthly if item.cost else None)}" for item in active
        )
        total = f"about {money(monthly)} ({money_hourly(hourly)})"
        if unknown:
            total += f" plus {len(unknown)} of unknown price"
        _fail(
            check_id,
            f"Leftovers of lab {inventory.lab} still bill {total}: {listed}; expected nothing billable.",
            inventory,
            active,
        )
    _raise_error(inventory, check_id)
    if billing:
        _hourly, monthly, _unknown = inventory.total(billing)
        pending(
            f"Leftovers of lab {inventory.lab} are being deleted and bill about {money(monthly)} until AWS "
            f"finishes: {'; '.join(describe(item) for item in billing)}.",
            call=CALLS[check_id],
            observed=[describe(item) for item in billing],
            expected="nothing billable",
            extra=_extra(inventory, billing),
        )
    free = [item for item in inventory.leftovers if not item.bills]
    left = f"; the {len(free)} leftover(s) still there cost nothing" if free else ""
    return passed(
        f"Nothing of lab {inventory.lab} bills any more in {_where(inventory)}{left}." + _notes(inventory, check_id),
        call=CALLS[check_id],
        observed=money(0.0),
        expected="$0/month",
        extra=_extra(inventory, free),
    )
