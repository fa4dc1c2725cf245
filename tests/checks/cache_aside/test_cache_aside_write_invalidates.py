from __future__ import annotations

import pytest

CHECK = "cache_aside_write_invalidates"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 3
    assert "{'price': Decimal('19.49')}) deleted Redis key product:__labgrader__" in result.message
    assert "the next get_product returned {'price': Decimal('19.49')}" in result.message


def test_fails_when_update_leaves_the_stale_entry(graded):
    result = graded("no_invalidation").get(CHECK)
    assert result.status == "fail"
    assert "returned price=Decimal('24.99'), while DynamoDB holds Decimal('19.49')" in result.message
    assert "(the cached value from before the update); expected the updated item" in result.message
    assert result.hint.startswith("In update_product, after table.update_item(...): r.delete(f'product:{category}")


def test_write_through_is_fine_too(graded):
    # write_through_no_ttl writes the new item into the cache: the next read is right (its TTL is ttl_set's job).
    result = graded("write_through_no_ttl").get(CHECK)
    assert result.status == "pass", result.message
    assert "wrote the new item through to Redis key" in result.message


def test_errors_when_the_graders_endpoints_are_down(graded):
    for endpoint in ("dynamodb", "redis"):
        assert graded("reference", unreachable=endpoint).get(CHECK).status == "error"
