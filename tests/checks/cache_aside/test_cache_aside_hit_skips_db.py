from __future__ import annotations

import pytest

CHECK = "cache_aside_hit_skips_db"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 3
    assert "was a cache hit: zero DynamoDB reads, the same item" in result.message
    assert result.evidence["observed"]["reads"] == []


def test_fails_when_get_product_never_looks_in_the_cache(graded):
    result = graded("no_caching").get(CHECK)
    assert result.status == "fail"
    assert "read DynamoDB again (GetItem) although Redis key product:__labgrader__" in result.message
    assert "was there (string); expected zero DynamoDB reads on a cache hit" in result.message


def test_fails_when_nothing_was_cached_and_says_so(graded):
    result = graded("never_writes_cache").get(CHECK)
    assert result.status == "fail"
    assert "although the first call left no Redis key" in result.message
    assert result.hint_commands == []
    assert result.hint_note


def test_a_hit_with_other_number_types_is_still_the_same_item(graded):
    # Number types on a hit are cache_aside_value_fidelity's business, not this check's.
    assert graded("string_prices_on_hit").get(CHECK).status == "pass"


def test_errors_when_the_graders_endpoints_are_down(graded):
    for endpoint in ("dynamodb", "redis"):
        assert graded("reference", unreachable=endpoint).get(CHECK).status == "error"
