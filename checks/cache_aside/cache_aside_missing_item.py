from __future__ import annotations

from labgrader.api import (
    CacheAsideHarness,
    Hint,
    Passed,
    cacheaside_protocol,
    cacheaside_values,
    check,
    could_not_look,
    fail,
    passed,
)

EXPECTED = "None for an item that does not exist"


@check(
    "cache_aside_missing_item",
    points=2,
    runs_student_module=True,
    objective="get_product returns None for an item that does not exist, again on a second call; a negative-cache entry, if any, has a TTL.",
    hint=Hint(
        note="item = table.get_item(Key=...).get('Item'); if item is None: return None  (cache nothing, or a marker with ex=60 that get_product turns back into None)"
    ),
    requires=("dynamodb", "redis"),
    needs_sections=("dynamodb", "redis"),
    writes=True,
    aws_actions=("dynamodb:DescribeTable", "dynamodb:GetItem"),
)
def cache_aside_missing_item(cache_aside: CacheAsideHarness) -> Passed:
    name = cache_aside.module().name
    max_ttl = cache_aside.spec.max_ttl
    category, sku = cache_aside.scratch_key("MISSING")
    # The grader's own read first: the item is really absent, and an unreachable DynamoDB is the grader's `error`
    # here rather than the module's exception.
    if cache_aside.read_item(category, sku) is not None:
        could_not_look(f"The scratch item {category}/{sku} exists in {cache_aside.table}; grade again (new run ID).")
    key = cache_aside.forget(category, sku)
    outcome = cache_aside.run(
        [
            cacheaside_protocol.call("get_product", category, sku),
            cacheaside_protocol.call("get_product", category, sku),
            cacheaside_protocol.inspect(key),
        ]
    )
    first, second, state = cache_aside.completed(outcome, EXPECTED)
    assert state.key is not None
    for number, result in (("first", first), ("second", second)):
        if result.value is not None:
            fail(
                f"Cache-aside module {name}: the {number} {result.label} for an item that does not exist "
                f"returned {cacheaside_values.describe(result.value, 80)}; expected None.",
                call=result.label,
                observed=cacheaside_values.describe(result.value),
                expected=None,
            )
    expected = f"a negative-cache entry with a TTL in (0, {max_ttl}] s, or no entry"
    if state.key.exists and (state.key.pttl == -1 or state.key.pttl > max_ttl * 1000):
        ttl = "no TTL" if state.key.pttl == -1 else f"a TTL of {state.key.pttl / 1000:g} s"
        fail(
            f"Cache-aside module {name}: the missing item was cached under Redis key {key} with {ttl}; "
            f"expected {expected}.",
            call=f"PTTL {key}",
            observed=state.key.pttl,
            expected=expected,
            hint=Hint(
                note="Give a negative-cache marker a short TTL: r.set(key, '__none__', ex=60) — or cache nothing for a missing item"
            ),
        )
    negative = (
        f"a negative-cache entry with a TTL of {state.key.pttl / 1000:g} s" if state.key.exists else "no cache entry"
    )
    return passed(
        f"Cache-aside module {name}: get_product returned None twice for an item that does not exist, leaving "
        f"{negative}.",
        call=f"{first.label} twice; PTTL {key}",
        observed=[None, None],
        expected=[None, None],
    )
