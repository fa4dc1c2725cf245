"""The `cleanup` block `labgrader cleanup` adds to results.json: leftovers, costs, the delete plan, what it did."""

from __future__ import annotations

from typing import Any

from labgrader.cleanup.execute import Outcome
from labgrader.cleanup.model import Inventory, Step
from labgrader.cleanup.pricing import PriceTable
from labgrader.engine.errors import describe_could_not_look


def cleanup_block(
    inventory: Inventory | BaseException,
    steps: list[Step],
    prices: PriceTable,
    *,
    deleted: list[Outcome] | None = None,
    mode: str = "read-only",
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "mode": mode,
        "prices": {
            "region": prices.region,
            "as_of": prices.as_of,
            "sources": list(prices.sources),
            "note": "estimates from list prices, not a bill",
        },
        "delete_plan": [step.as_dict() for step in steps],
    }
    if deleted is not None:
        block["deleted"] = [outcome.as_dict() for outcome in deleted]
    if isinstance(inventory, BaseException):
        block["error"] = describe_could_not_look(inventory)
        return block
    total_hourly, total_monthly, unknown = inventory.total()
    block.update(
        {
            "scope": {"tag": f"{inventory.tag[0]}={inventory.tag[1]}", "names": inventory.looked_for},
            "regions": list(inventory.regions),
            "leftovers": [item.as_dict() for item in inventory.leftovers],
            "total": {
                "hourly_usd": round(total_hourly, 6),
                "monthly_usd": round(total_monthly, 4),
                "unknown_price": [item.title for item in unknown],
            },
            "errors": [
                {"region": e.region, "part": e.part, "message": describe_could_not_look(e.error)}
                for e in inventory.errors
            ],
            "not_checked": list(inventory.not_checked),
            "scan_duration_s": round(inventory.duration_s, 3),
        }
    )
    return block
