from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import redis

from labgrader.api import (
    CacheAsideHarness,
    Hint,
    LabSpec,
    LatencySpec,
    Passed,
    check,
    fail,
    latency,
    passed,
    redis_connection,
)

PICTURE = "latency-redis-vs-dynamodb.svg"
BENCHMARK_JSON = "latency-redis-vs-dynamodb.json"
BUDGET_S = 0.5  # per comparison: at most latency.rounds pairs, and no longer than this (≥ 5 pairs)


@check(
    "latency_redis_faster_than_dynamodb",
    points=3,
    objective="Warm, connection-reusing Redis GETs on the lab's primary are at least latency.min_ratio times faster (median) than DynamoDB GetItem on the lab's table.",
    hint=Hint(
        note="Measure from the lab's EC2 instance in the VPC of {lab.elasticache.replication_group} (through an SSH tunnel or from another region every Redis round trip pays the network): labgrader grade --target aws on that instance"
    ),
    requires=("dynamodb", "redis"),
    needs_sections=("dynamodb", "redis"),
    writes=True,
    aws_actions=("dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
)
def latency_redis_faster_than_dynamodb(
    lab: LabSpec, cache_aside: CacheAsideHarness, redis_client: redis.Redis, dynamodb: Any, run_out_dir: Path
) -> Passed:
    spec = lab.latency or LatencySpec()
    _category, _sku, item = cache_aside.put_scratch_item("LATENCY")
    # The same payload on both sides: the item as JSON in Redis, the item itself in DynamoDB.
    key = cache_aside.put_scratch_value("latency", json.dumps(item, default=str))
    table = cache_aside.table
    item_key = cache_aside.table_key(item)  # the table's real key schema, whatever the lab's
    with redis_connection.timed_get(redis_client, key) as redis_get:
        gets, get_items = latency.sample_interleaved(
            redis_get,
            lambda: dynamodb.get_item(TableName=table, Key=item_key),
            rounds=spec.rounds,
            budget_s=BUDGET_S,
        )
    comparison = latency.Comparison(
        "Redis GET vs DynamoDB GetItem",
        slow=latency.Distribution("DynamoDB GetItem", tuple(get_items)),
        fast=latency.Distribution("Redis GET", tuple(gets)),
        min_ratio=spec.min_ratio,
        notes={"table": table, "redis_key": key},
    )
    latency.write_benchmark_json(run_out_dir / BENCHMARK_JSON, comparison, "latency_redis_faster_than_dynamodb")
    latency.write_svg(run_out_dir / PICTURE, comparison)
    evidence = {"picture": PICTURE, "benchmark_json": BENCHMARK_JSON, "rounds": comparison.fast.rounds}
    sentence = (
        f"{comparison.fast.summary()} vs {comparison.slow.summary()} on table {table}: "
        f"Redis was {comparison.ratio:.1f}x faster"
    )
    if not comparison.passed:
        fail(
            f"{sentence}; expected at least {spec.min_ratio:g}x.",
            call=f"Redis GET {key} vs dynamodb.get_item, {comparison.fast.rounds} interleaved rounds",
            observed=comparison.as_evidence(),
            expected=f"ratio ≥ {spec.min_ratio:g}",
            extra=evidence,
        )
    return passed(
        f"{sentence} (needs ≥ {spec.min_ratio:g}x).",
        call=f"Redis GET {key} vs dynamodb.get_item, {comparison.fast.rounds} interleaved rounds",
        observed=comparison.as_evidence(),
        expected=f"ratio ≥ {spec.min_ratio:g}",
        extra=evidence,
    )
