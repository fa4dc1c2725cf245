from __future__ import annotations

from labgrader.api import CacheAsideHarness, Hint, Passed, cacheaside_protocol, cacheaside_values, check, fail, passed

EXPECTED = "the second call to be served from Redis"


@check(
    "cache_aside_hit_skips_db",
    points=3,
    runs_student_module=True,
    objective="On a cache hit, get_product answers from Redis: zero DynamoDB reads, the same item as the miss returned.",
    hint=Hint(
        note="Start get_product with cached = r.get(f'{lab.cache_aside.key_template}'); if cached is not None: return decode(cached)  — and only read DynamoDB after a miss"
    ),
    requires=("dynamodb", "redis"),
    needs_sections=("dynamodb", "redis"),
    writes=True,
    aws_actions=("dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
)
def cache_aside_hit_skips_db(cache_aside: CacheAsideHarness) -> Passed:
    name = cache_aside.module().name
    category, sku, item = cache_aside.put_scratch_item("HIT")
    key = cache_aside.forget(category, sku)
    outcome = cache_aside.run(
        [
            cacheaside_protocol.call("get_product", category, sku),
            cacheaside_protocol.inspect(key),
            cacheaside_protocol.call("get_product", category, sku),
        ]
    )
    first, state, second = cache_aside.completed(outcome, EXPECTED)
    assert state.key is not None
    where = f"Cache-aside module {name}: the second {second.label}"
    if second.reads:
        cached = (
            f"Redis key {key} was there ({state.key.type})"
            if state.key.exists
            else f"the first call left no Redis key {key}"
        )
        fail(
            f"{where} read DynamoDB again ({', '.join(second.reads)}) although {cached}; expected zero DynamoDB "
            "reads on a cache hit.",
            call=second.label,
            observed=list(second.reads),
            expected=[],
        )
    difference = cacheaside_values.item_difference(second.value, item)
    if difference is not None:
        fail(
            f"{where} made no DynamoDB read but {difference}; expected the same item as the first call.",
            call=second.label,
            observed=repr(second.value)[:300],
            expected=repr(item)[:300],
        )
    return passed(
        f"{where} was a cache hit: zero DynamoDB reads, the same item, {second.seconds * 1000:.2f} ms against "
        f"{first.seconds * 1000:.2f} ms for the miss.",
        call=f"{first.label} twice",
        observed={"reads": [], "hit_ms": round(second.seconds * 1000, 3), "miss_ms": round(first.seconds * 1000, 3)},
        expected={"reads": []},
    )
