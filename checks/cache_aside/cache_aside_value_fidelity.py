from __future__ import annotations

from decimal import Decimal

from labgrader.api import CacheAsideHarness, Hint, Passed, cacheaside_protocol, cacheaside_values, check, fail, passed

EXPECTED = "the item with its numbers intact"


@check(
    "cache_aside_value_fidelity",
    points=2,
    runs_student_module=True,
    objective="Values round-trip through the cache exactly: numbers come back as numbers equal to DynamoDB's Decimals (24.99 stays Decimal('24.99'), not '24.99' or a float).",
    hint=Hint(
        note="Keep numbers numbers: payload = json.dumps(item, default=float) and item = json.loads(cached, parse_float=Decimal) (json.dumps(item, default=str) turns 24.99 into the string '24.99'), or store DynamoDB JSON with boto3.dynamodb.types.TypeSerializer / TypeDeserializer"
    ),
    requires=("dynamodb", "redis"),
    needs_sections=("dynamodb", "redis"),
    writes=True,
    aws_actions=("dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
)
def cache_aside_value_fidelity(cache_aside: CacheAsideHarness) -> Passed:
    name = cache_aside.module().name
    category, sku, item = cache_aside.put_scratch_item("FIDELITY")
    cache_aside.forget(category, sku)
    outcome = cache_aside.run(
        [cacheaside_protocol.call("get_product", category, sku), cacheaside_protocol.call("get_product", category, sku)]
    )
    first, second = cache_aside.completed(outcome, EXPECTED)
    for when, result in (("on a miss", first), ("on a cache hit", second)):
        problems = cacheaside_values.fidelity_problems(result.value, item)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            fail(
                f"Cache-aside module {name}: {when}, {result.label}: {problems[0]}{more}; expected every number "
                "back as DynamoDB holds it (Decimal, or an int/float exactly equal to it).",
                call=result.label,
                observed=problems,
                expected=repr(item)[:300],
            )
    numbers = ", ".join(f"{k} {v}" for k, v in sorted(item.items()) if isinstance(v, Decimal))
    source = "from Redis" if not second.reads else "from DynamoDB (no cache hit to check)"
    return passed(
        f"Cache-aside module {name}: numbers round-trip exactly ({numbers}) on the miss and on the second call, "
        f"served {source}.",
        call=f"{first.label} twice",
        observed={k: type(v).__name__ for k, v in (second.value or {}).items()},
        expected="the item, numbers as Decimal",
    )
