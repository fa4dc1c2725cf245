from __future__ import annotations

from pathlib import Path

from labgrader.api import (
    CacheAsideHarness,
    Hint,
    LabSpec,
    LatencySpec,
    Passed,
    cacheaside_protocol,
    check,
    fail,
    latency,
    passed,
)

PICTURE = "latency-hit-vs-miss.svg"
BENCHMARK_JSON = "latency-hit-vs-miss.json"
BUDGET_S = 0.5  # at most latency.rounds miss/hit pairs, and no longer than this (≥ 5 pairs)


@check(
    "latency_cache_hit_faster_than_miss",
    points=2,
    runs_student_module=True,
    objective="The student's get_product answers a cache hit clearly faster than a miss (median miss / median hit ≥ latency.min_hit_ratio).",
    hint=Hint(
        note="On a hit return straight from Redis: cached = r.get(key); if cached is not None: return decode(cached) — no DynamoDB call, no sleep, no new client per call on that path"
    ),
    requires=("dynamodb", "redis"),
    needs_sections=("dynamodb", "redis", "cache_aside"),
    writes=True,
    aws_actions=("dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
)
def latency_cache_hit_faster_than_miss(lab: LabSpec, cache_aside: CacheAsideHarness, run_out_dir: Path) -> Passed:
    spec = lab.latency or LatencySpec()
    name = cache_aside.module().name
    category, sku, _item = cache_aside.put_scratch_item("HITMISS")
    key = cache_aside.forget(category, sku)
    outcome = cache_aside.run(
        [cacheaside_protocol.timed_rounds(category, sku, key, rounds=spec.rounds, budget_s=BUDGET_S, warmup=2)],
        timeout_s=cache_aside.spec.scenario_timeout_s + BUDGET_S,
    )
    (step,) = cache_aside.completed(outcome, "get_product to answer every timed miss and hit")
    data = step.data
    comparison = latency.Comparison(
        f"{name}: get_product cache miss vs cache hit",
        slow=latency.Distribution("cache miss", tuple(data["miss"])),
        fast=latency.Distribution("cache hit", tuple(data["hit"])),
        min_ratio=spec.min_hit_ratio,
        notes={"hit_rounds_with_dynamodb_reads": data["hit_rounds_with_reads"], "redis_key": key},
    )
    latency.write_benchmark_json(run_out_dir / BENCHMARK_JSON, comparison, "latency_cache_hit_faster_than_miss")
    latency.write_svg(run_out_dir / PICTURE, comparison)
    evidence = {"picture": PICTURE, "benchmark_json": BENCHMARK_JSON, "rounds": comparison.fast.rounds}
    call = f"get_product({category!r}, {sku!r}): {comparison.fast.rounds} rounds of DEL {key}, miss, hit"
    sentence = (
        f"Cache-aside module {name}: get_product {comparison.fast.summary()} vs "
        f"{comparison.slow.summary()}, a hit {comparison.ratio:.1f}x faster"
    )
    with_reads = int(data["hit_rounds_with_reads"])
    if with_reads:
        fail(
            f"Cache-aside module {name}: get_product read DynamoDB again on {with_reads} of "
            f"{comparison.fast.rounds} repeat calls, each made right after a miss ({comparison.fast.summary()} vs "
            f"{comparison.slow.summary()}), so there was no cache hit to time; expected hits served from Redis.",
            call=call,
            observed=comparison.as_evidence(),
            expected="hits with zero DynamoDB reads",
            extra=evidence,
        )
    if not comparison.passed:
        fail(
            f"{sentence}; expected a hit at least {spec.min_hit_ratio:g}x faster than a miss.",
            call=call,
            observed=comparison.as_evidence(),
            expected=f"ratio ≥ {spec.min_hit_ratio:g}",
            extra=evidence,
        )
    return passed(
        f"{sentence} (needs ≥ {spec.min_hit_ratio:g}x).",
        call=call,
        observed=comparison.as_evidence(),
        expected=f"ratio ≥ {spec.min_hit_ratio:g}",
        extra=evidence,
    )
