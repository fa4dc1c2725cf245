from __future__ import annotations

from decimal import Decimal

from labgrader.api import CacheAsideHarness, Hint, Passed, cacheaside_protocol, check, fail, passed

EXPECTED = "it to cache the item with a TTL"


def _ttl_problem(state: cacheaside_protocol.KeyState, max_ttl: int) -> str | None:
    if state.pttl == -1:
        return "has no TTL (PTTL -1, it never expires)"
    if state.pttl > max_ttl * 1000:
        return f"has a TTL of {state.pttl / 1000:g} s"
    return None


@check(
    "cache_aside_ttl_set",
    points=2,
    runs_student_module=True,
    objective="Every entry get_product (or a write-through update_product) puts in Redis expires: a TTL in (0, max_ttl] seconds.",
    hint=Hint(
        note="r.set(f'{lab.cache_aside.key_template}', payload, ex=300)  # any TTL between 1 and {lab.cache_aside.max_ttl} seconds"
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
def cache_aside_ttl_set(cache_aside: CacheAsideHarness) -> Passed:
    name = cache_aside.module().name
    max_ttl = cache_aside.spec.max_ttl
    category, sku, _item = cache_aside.put_scratch_item("TTL")
    key = cache_aside.forget(category, sku)
    outcome = cache_aside.run(
        [
            cacheaside_protocol.call("get_product", category, sku),
            cacheaside_protocol.inspect(key),
            cacheaside_protocol.call("update_product", category, sku, {"stock": Decimal("8")}),
            cacheaside_protocol.inspect(key),
        ]
    )
    first, after_miss, update, after_update = cache_aside.completed(outcome, EXPECTED)
    assert after_miss.key is not None
    assert after_update.key is not None
    expected = f"a TTL in (0, {max_ttl}] s"
    if not after_miss.key.exists:
        fail(
            f"Cache-aside module {name}: after {first.label} on a cold cache there was no Redis key {key} to "
            f"carry a TTL; expected the item cached with {expected}.",
            call=f"{first.label}; PTTL {key}",
            observed="no key (PTTL -2)",
            expected=expected,
        )
    problem = _ttl_problem(after_miss.key, max_ttl)
    if problem:
        fail(
            f"Cache-aside module {name}: Redis key {key} written by get_product {problem}; expected {expected}.",
            call=f"PTTL {key}",
            observed=after_miss.key.pttl,
            expected=expected,
        )
    if after_update.key.exists:
        problem = _ttl_problem(after_update.key, max_ttl)
        if problem:
            fail(
                f"Cache-aside module {name}: after {update.label} Redis key {key} {problem}; expected a "
                f"write-through entry to keep {expected}.",
                call=f"{update.label}; PTTL {key}",
                observed=after_update.key.pttl,
                expected=expected,
                hint=Hint(
                    note="Write through with a TTL too: r.set(key, payload, ex=300) — or just r.delete(key) after the update"
                ),
            )
    seconds = after_miss.key.pttl / 1000
    after = (
        f"the write-through entry after update_product kept a TTL of {after_update.key.pttl / 1000:g} s"
        if after_update.key.exists
        else "update_product removed it"
    )
    return passed(
        f"Cache-aside module {name}: Redis key {key} was cached with a TTL of {seconds:g} s (at most {max_ttl} s) "
        f"and {after}.",
        call=f"{first.label}; PTTL {key}",
        observed=after_miss.key.pttl,
        expected=expected,
    )
