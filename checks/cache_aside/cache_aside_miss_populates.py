from __future__ import annotations

from labgrader.api import (
    CacheAsideHarness,
    Hint,
    Passed,
    cacheaside_protocol,
    cacheaside_proxy,
    cacheaside_values,
    check,
    fail,
    passed,
)

EXPECTED = "it to read the item from DynamoDB once and cache it"


@check(
    "cache_aside_miss_populates",
    points=3,
    runs_student_module=True,
    objective="On a cache miss, get_product reads the item from DynamoDB once (by key) and writes it to Redis under the lab's cache key.",
    hint=Hint(
        note="In get_product, on a miss: item = table.get_item(Key={{'category': category, 'sku': sku}}).get('Item'), then r.set(f'{lab.cache_aside.key_template}', payload, ex=300) before returning it"
    ),
    requires=("dynamodb", "redis"),
    needs_sections=("dynamodb", "redis"),
    writes=True,
    aws_actions=("dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
)
def cache_aside_miss_populates(cache_aside: CacheAsideHarness) -> Passed:
    name = cache_aside.module().name
    category, sku, item = cache_aside.put_scratch_item("MISS")
    key = cache_aside.forget(category, sku)
    outcome = cache_aside.run(
        [cacheaside_protocol.call("get_product", category, sku), cacheaside_protocol.inspect(key)]
    )
    first, state = cache_aside.completed(outcome, EXPECTED)
    where = f"Cache-aside module {name}: {first.label} on a cold cache"
    difference = cacheaside_values.item_difference(first.value, item)
    if difference is not None:
        fail(
            f"{where} {difference}; expected the item DynamoDB holds (as boto3's resource layer returns it).",
            call=first.label,
            observed=repr(first.value)[:300],
            expected=repr(item)[:300],
        )
    reads = list(first.reads)
    if len(reads) != 1 or reads[0] not in cacheaside_proxy.KEY_READS:
        seen = ", ".join(reads) or "no reads"
        fail(
            f"{where} made {len(reads)} DynamoDB read(s) ({seen}); expected exactly one GetItem (or Query) by key.",
            call=first.label,
            observed=reads,
            expected=["GetItem"],
            hint=Hint(
                note="Read the one item by its key: table.get_item(Key={'category': category, 'sku': sku}) (never a Scan, never twice)"
            ),
        )
    assert state.key is not None
    if not state.key.exists:
        fail(
            f"{where} returned the item but wrote nothing to Redis key {key}; expected the item cached under that key.",
            call=f"{first.label}; EXISTS {key}",
            observed="no key",
            expected=key,
        )
    return passed(
        f"{where} read DynamoDB once ({reads[0]}) and cached the item under Redis key {key}.",
        call=f"{first.label}; TYPE/PTTL {key}",
        observed={"reads": reads, "key": key, "type": state.key.type},
        expected={"reads": ["GetItem"], "key": key},
    )
