from __future__ import annotations

import pytest

CHECK = "cache_aside_missing_item"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert "returned None twice for an item that does not exist, leaving no cache entry" in result.message


def test_fails_when_a_missing_item_is_cached_as_an_empty_dict(graded):
    result = graded("caches_missing_as_empty").get(CHECK)
    assert result.status == "fail"
    assert "the second get_product(" in result.message
    assert "for an item that does not exist returned {}; expected None" in result.message


def test_fails_when_the_negative_entry_never_expires(graded):
    result = graded("negative_no_ttl").get(CHECK)
    assert result.status == "fail"
    assert "the missing item was cached under Redis key product:__labgrader__" in result.message
    assert "with no TTL; expected a negative-cache entry with a TTL in (0, 3600] s, or no entry" in result.message
    assert "ex=60" in result.hint


def test_errors_when_the_graders_endpoints_are_down(graded):
    # The grader reads the (absent) item itself first: a DynamoDB it cannot reach is its error, not the module's.
    for endpoint in ("dynamodb", "redis"):
        assert graded("reference", unreachable=endpoint).get(CHECK).status == "error"
