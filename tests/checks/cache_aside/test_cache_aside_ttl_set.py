from __future__ import annotations

import re

import pytest

CHECK = "cache_aside_ttl_set"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    # 300 s set a few ms earlier: PTTL read in the same millisecond gives exactly 300
    assert re.search(r"was cached with a TTL of (300|29\d(\.\d+)?) s", result.message), result.message
    assert "(at most 3600 s) and update_product removed it" in result.message
    assert 0 < result.evidence["observed"] <= 300_000


def test_fails_when_the_entry_never_expires(graded):
    result = graded("no_ttl").get(CHECK)
    assert result.status == "fail"
    assert "written by get_product has no TTL (PTTL -1, it never expires); expected a TTL in (0, 3600] s" in (
        result.message
    )
    assert result.hint.startswith("r.set(f'product:{category}:{sku}', payload, ex=300)")
    assert "between 1 and 3600 seconds" in result.hint


def test_fails_when_the_ttl_is_a_week(graded):
    result = graded("ttl_week").get(CHECK)
    assert result.status == "fail"
    assert "has a TTL of 604800 s; expected a TTL in (0, 3600] s" in result.message


def test_fails_when_a_write_through_entry_has_no_ttl(graded):
    result = graded("write_through_no_ttl").get(CHECK)
    assert result.status == "fail"
    assert "after update_product(" in result.message
    assert "has no TTL (PTTL -1, it never expires); expected a write-through entry to keep a TTL" in result.message


def test_errors_when_the_graders_endpoints_are_down(graded):
    for endpoint in ("dynamodb", "redis"):
        assert graded("reference", unreachable=endpoint).get(CHECK).status == "error"
