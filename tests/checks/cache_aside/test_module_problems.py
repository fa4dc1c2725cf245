"""What a student's module can do wrong besides its cache logic: not be given, fail to import, lack a function,
hang — each is that check's `fail` with the reason, and the run completes. Plus: the grader leaves nothing behind."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from labgrader.engine import policy
from labgrader.engine.scratch import SCRATCH_PREFIX
from tests.checks.cache_aside.graded import BROKEN, NINE
from tests.conftest import replace_section

pytestmark = pytest.mark.sandbox
SCENARIO_CHECKS = tuple(meta.id for meta in policy.check_metadata() if meta.runs_student_module)


def test_without_a_module_every_scenario_check_fails_with_how_to_pass(graded):
    run = graded(None)
    for check_id in SCENARIO_CHECKS:
        result = run.get(check_id)
        assert result.status == "fail", check_id
        assert result.message.startswith("No cache-aside module to grade: the lab's deliverable is a Python module")
        assert result.hint.startswith("labgrader grade --solution path/to/cache_aside.py")
    # Timing Redis against DynamoDB needs no module.
    assert run.get("latency_redis_faster_than_dynamodb").status == "pass"


def test_a_module_that_raises_on_import_fails_each_check_and_the_run_completes(graded):
    run = graded("raises_on_import")
    for check_id in SCENARIO_CHECKS:
        result = run.get(check_id)
        assert result.status == "fail", check_id
        assert result.message == (
            "Cache-aside module raises_on_import.py: importing it raised KeyError: 'PRODUCTS_TABLE'; expected it to "
            "import with only the lab's environment (AWS_REGION, AWS_ENDPOINT_URL: the grader's endpoint, REDIS_URL, "
            "LAB_TABLE)."
        )
    assert run.get("latency_redis_faster_than_dynamodb").status == "pass"
    assert {c.id for c in run.checks} >= set(NINE)


def test_a_module_without_update_product_is_told_which_function_is_missing(solved, local_target, grade, tmp_path):
    module = tmp_path / "half_done.py"
    module.write_text("def get_product(category, sku):\n    return None\n", encoding="utf-8")
    result = grade(solved, local_target, only={"cache_aside_missing_item"}, solution=module).get(
        "cache_aside_missing_item"
    )
    assert result.status == "fail"
    assert result.message == (
        "Cache-aside module half_done.py has no function update_product; expected get_product(category, sku) and "
        "update_product(category, sku, changes)."
    )


def test_a_hanging_module_fails_at_the_scenario_timeout(solved, local_target, grade):
    spec = replace_section(solved, "cache_aside", scenario_timeout_s=1.0)
    started = time.monotonic()
    result = grade(spec, local_target, only={"cache_aside_miss_populates"}, solution=BROKEN / "hangs.py").get(
        "cache_aside_miss_populates"
    )
    assert time.monotonic() - started < 8  # 1 s timeout + one grading run
    assert result.status == "fail"
    assert "hangs.py: get_product('__labgrader__" in result.message
    assert "did not return within 1 s; expected it to read the item from DynamoDB once and cache it." in result.message
    assert "waiting for the product lock" in result.evidence["output"]
    assert "timeout" in result.hint


def test_grading_leaves_the_table_and_redis_as_it_found_them(solved, local_target, clients, grade):
    table = clients.client("dynamodb")
    cache = redis.Redis.from_url(local_target.redis_url)

    def snapshot() -> tuple[list[dict], list[bytes]]:
        items = [i for page in table.get_paginator("scan").paginate(TableName="LabProducts") for i in page["Items"]]
        return sorted(items, key=repr), sorted(cache.scan_iter("*"))

    before = snapshot()
    # Every scenario writes scratch data; no_invalidation's update_product writes DynamoDB too.
    for module in (Path(BROKEN / "no_invalidation.py"), BROKEN / "negative_no_ttl.py"):
        run = grade(solved, local_target, only=set(NINE), solution=module)
        assert run.get("cache_aside_miss_populates").status == "pass"
    after = snapshot()
    cache.close()
    assert after == before
    assert not [k for k in after[1] if SCRATCH_PREFIX.encode() in k]
