from __future__ import annotations

from labgrader.api import (
    CacheAsideHarness,
    Hint,
    Passed,
    cacheaside_harness,
    cacheaside_protocol,
    cacheaside_values,
    check,
    fail,
    passed,
)

# "Within a few seconds": a module that waits longer than this for a dead Redis makes every page wait as long.
MAX_SECONDS = 5.0
EXPECTED = "the item from DynamoDB without an exception"


@check(
    "cache_aside_redis_down_fallback",
    points=2,
    runs_student_module=True,
    objective="With Redis unreachable, get_product still returns the item from DynamoDB within a few seconds, without raising.",
    hint=Hint(
        note="Wrap every Redis call: try: cached = r.get(key) except redis.RedisError: cached = None  (same around r.set), and give the client socket_connect_timeout=1, socket_timeout=1"
    ),
    requires=("dynamodb",),
    needs_sections=("dynamodb", "redis"),
    writes=True,
    aws_actions=("dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
)
def cache_aside_redis_down_fallback(cache_aside: CacheAsideHarness) -> Passed:
    name = cache_aside.module().name
    category, sku, item = cache_aside.put_scratch_item("DOWN")
    dead = cacheaside_harness.closed_redis_url()
    outcome = cache_aside.run([cacheaside_protocol.call("get_product", category, sku)], module_redis_url=dead)
    (result,) = cache_aside.completed(outcome, f"{EXPECTED} when REDIS_URL={dead} is unreachable")
    where = f"Cache-aside module {name}: with REDIS_URL={dead} (nothing listening), {result.label}"
    difference = cacheaside_values.item_difference(result.value, item)
    if difference is not None:
        fail(
            f"{where} {difference}; expected {EXPECTED}.",
            call=result.label,
            observed=repr(result.value)[:300],
            expected=repr(item)[:300],
        )
    if result.seconds > MAX_SECONDS:
        fail(
            f"{where} took {result.seconds:.1f} s; expected {EXPECTED} within {MAX_SECONDS:g} s.",
            call=result.label,
            observed=f"{result.seconds:.1f} s",
            expected=f"≤ {MAX_SECONDS:g} s",
            hint=Hint(
                note="redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) and no retry loop around a dead Redis"
            ),
        )
    return passed(
        f"{where} still returned the item from DynamoDB in {result.seconds * 1000:.0f} ms without raising.",
        call=result.label,
        observed={"reads": list(result.reads), "seconds": round(result.seconds, 3)},
        expected=f"the item, ≤ {MAX_SECONDS:g} s",
    )
