from __future__ import annotations

from decimal import Decimal
from typing import Any

from labgrader.api import CacheAsideHarness, Hint, Passed, cacheaside_protocol, cacheaside_values, check, fail, passed

EXPECTED = "the next get_product to return the updated item"
NEW_PRICE = Decimal("19.49")


def _changes(item: dict[str, Any]) -> dict[str, Any]:
    """One attribute to change: the price when the item has one, else the first number, else a new string."""
    if isinstance(item.get("price"), Decimal):
        return {"price": NEW_PRICE}
    for name, value in item.items():
        if isinstance(value, Decimal) and name not in ("category", "sku"):
            return {name: value + 1}
    return {"labgrader_note": "updated by labgrader"}


@check(
    "cache_aside_write_invalidates",
    points=3,
    runs_student_module=True,
    objective="After update_product writes DynamoDB, the next get_product returns the new value (the cache entry is deleted or overwritten).",
    hint=Hint(
        note="In update_product, after table.update_item(...): r.delete(f'{lab.cache_aside.key_template}')  (or write the new item through with a TTL)"
    ),
    requires=("dynamodb", "redis"),
    needs_sections=("dynamodb", "redis"),
    writes=True,
    aws_actions=(
        "dynamodb:DescribeTable",
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    ),
)
def cache_aside_write_invalidates(cache_aside: CacheAsideHarness) -> Passed:
    name = cache_aside.module().name
    category, sku, item = cache_aside.put_scratch_item("WRITE")
    key = cache_aside.forget(category, sku)
    changes = _changes(item)
    outcome = cache_aside.run(
        [
            cacheaside_protocol.call("get_product", category, sku),
            cacheaside_protocol.call("update_product", category, sku, changes),
            cacheaside_protocol.inspect(key),
            cacheaside_protocol.call("get_product", category, sku),
        ]
    )
    _first, update, after_update, second = cache_aside.completed(outcome, EXPECTED)
    assert after_update.key is not None
    stored = cache_aside.read_item(category, sku)
    wanted = {**item, **changes}
    if stored is None or not cacheaside_values.same_item(stored, wanted):
        seen = {k: stored.get(k) for k in changes} if stored else None
        fail(
            f"Cache-aside module {name}: {update.label} did not change the item in DynamoDB table "
            f"{cache_aside.table} (it holds {cacheaside_values.describe(seen, 80)}); expected {cacheaside_values.describe(changes, 80)}.",
            call=f"{update.label}; dynamodb.get_item",
            observed=cacheaside_values.describe(seen),
            expected=cacheaside_values.describe(changes),
            hint=Hint(
                note="update_product must write DynamoDB first: table.update_item(Key=..., UpdateExpression='SET #a = :v', ...)"
            ),
        )
    difference = cacheaside_values.item_difference(second.value, stored)
    if difference is not None:
        stale = " (the cached value from before the update)" if cacheaside_values.same_item(second.value, item) else ""
        fail(
            f"Cache-aside module {name}: after {update.label}, {second.label} {difference}{stale}; expected the "
            "updated item.",
            call=second.label,
            observed=repr(second.value)[:300],
            expected=repr(stored)[:300],
        )
    how = "wrote the new item through to" if after_update.key.exists else "deleted"
    return passed(
        f"Cache-aside module {name}: {update.label} {how} Redis key {key}, and the next get_product returned "
        f"{cacheaside_values.describe(changes, 80)}.",
        call=f"{update.label}; {second.label}",
        observed=cacheaside_values.describe(
            {k: second.value.get(k) for k in changes} if isinstance(second.value, dict) else second.value
        ),
        expected=cacheaside_values.describe(changes),
    )
