"""Patching the grader from inside the student's process: nothing that decides a verdict runs there any more."""

from __future__ import annotations

from tests.attacks.conftest import SCENARIO_CHECKS, assert_contained


def test_a_module_without_a_cache_that_patches_counting_redis_and_clocks_fails_every_cache_check(attack):
    run = attack("patches_grader")
    assert_contained(run)
    cheated = {
        "cache_aside_miss_populates",
        "cache_aside_hit_skips_db",
        "cache_aside_ttl_set",
        "latency_cache_hit_faster_than_miss",
    }
    assert {c for c, status in run.statuses().items() if status == "fail"} == cheated, run.statuses()
    # What the grader saw, from outside: DynamoDB read on every call, no Redis key.
    assert "wrote nothing to Redis key" in run.check("cache_aside_miss_populates")["message"]
    assert "read DynamoDB again (GetItem)" in run.check("cache_aside_hit_skips_db")["message"]
    assert "no cache hit to time" in run.check("latency_cache_hit_faster_than_miss")["message"]
    # Without a cache, reading DynamoDB every time is right for these.
    for check_id in set(SCENARIO_CHECKS) - cheated:
        assert run.check(check_id)["status"] == "pass", run.check(check_id)["message"]


def test_a_module_that_patches_its_clocks_cannot_hide_a_slow_hit(attack):
    run = attack("patches_clock")
    assert_contained(run)
    latency = run.check("latency_cache_hit_faster_than_miss")
    assert latency["status"] == "fail", latency["message"]
    assert latency["evidence"]["observed"]["cache hit"]["median_ms"] >= 50  # the hidden 60 ms sleep, seen
    assert "expected a hit at least 2x faster than a miss" in latency["message"]
    others = {c: s for c, s in run.statuses().items() if c != "latency_cache_hit_faster_than_miss"}
    assert set(others.values()) == {"pass"}, others
