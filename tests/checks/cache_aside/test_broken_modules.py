"""Each broken module fails exactly the checks of its defect; every other check keeps its verdict (pass).

`no_caching` also fails latency_cache_hit_faster_than_miss on purpose: that check times a cache hit against a
miss, and a module that never serves from the cache has no hit to time (its message says so).
"""

from __future__ import annotations

import pytest

from tests.checks.cache_aside.graded import BROKEN, NINE

pytestmark = pytest.mark.sandbox

EXPECTED_FAILS = {
    "no_ttl": {"cache_aside_ttl_set"},
    "ttl_week": {"cache_aside_ttl_set"},
    "write_through_no_ttl": {"cache_aside_ttl_set"},
    "no_invalidation": {"cache_aside_write_invalidates"},
    "no_caching": {"cache_aside_hit_skips_db", "latency_cache_hit_faster_than_miss"},
    "crashes_redis_down": {"cache_aside_redis_down_fallback"},
    "caches_missing_as_empty": {"cache_aside_missing_item"},
    "negative_no_ttl": {"cache_aside_missing_item"},
    "string_prices_on_hit": {"cache_aside_value_fidelity"},
    "float_prices_on_hit": {"cache_aside_value_fidelity"},
    "slow_hit": {"latency_cache_hit_faster_than_miss"},
    "scan_on_miss": {"cache_aside_miss_populates"},
}
# Modules whose defect fails several checks by nature (tested in the files of those checks).
MULTI = {"never_writes_cache", "raises_on_import", "hangs"}


def test_every_broken_module_is_accounted_for():
    assert {p.stem for p in BROKEN.glob("*.py")} == set(EXPECTED_FAILS) | MULTI


def test_the_reference_passes_all_nine(graded):
    run = graded("reference")
    assert {c.id: c.status for c in run.checks if c.id in NINE} == dict.fromkeys(NINE, "pass")


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILS))
def test_a_broken_module_fails_exactly_its_checks(graded, name):
    statuses = {c.id: c.status for c in graded(name).checks if c.id in NINE}
    failing = {check_id for check_id, status in statuses.items() if status == "fail"}
    assert failing == EXPECTED_FAILS[name], statuses
    assert all(statuses[check_id] == "pass" for check_id in set(NINE) - failing), statuses


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILS))
def test_a_code_fix_is_a_note_and_no_command(graded, name):
    """The fix of a cache-aside (or hit-vs-miss latency) miss is code in the student's module: no shell command can
    make it, so these checks print no command (nothing a `run_hint` could run) and a note that says what to change.
    The issue-13 contract (a printed hint, run, fixes the miss) does not apply to them by design. (The modules of
    MULTI and the missing module: asserted in the files of their checks, which grade them anyway.)"""
    failing = [c for c in graded(name).checks if c.id in NINE and c.status == "fail"]
    assert failing
    for result in failing:
        assert result.hint_commands == [], (result.id, result.hint_commands)
        assert result.hint_note.strip(), result.id
        assert result.hint == result.hint_note


def test_all_nine_ids_are_in_results_json(graded):
    import json

    run = graded("reference")
    assert run.duration_s > 0
    ids = [c["id"] for c in json.loads(run_json(run))["checks"]]
    assert set(NINE) <= set(ids)
    assert all(ids.count(check_id) == 1 for check_id in NINE)


def run_json(run) -> str:
    import json

    return json.dumps(run.to_dict(), default=str)
