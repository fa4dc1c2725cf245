from __future__ import annotations

import pytest

CHECK = "cache_aside_value_fidelity"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert "numbers round-trip exactly (" in result.message
    assert "price 24.99, rating 4.5, stock 7)" in result.message
    assert "served from Redis" in result.message
    assert result.evidence["observed"]["price"] == "Decimal"


def test_fails_when_a_hit_returns_prices_as_strings(graded):
    result = graded("string_prices_on_hit").get(CHECK)
    assert result.status == "fail"
    assert "on a cache hit, get_product(" in result.message
    assert "price came back as str '24.99' instead of the number 24.99 (and 3 more)" in result.message
    assert "parse_float=Decimal" in result.hint


def test_fails_when_a_hit_returns_floats(graded):
    result = graded("float_prices_on_hit").get(CHECK)
    assert result.status == "fail"
    assert "price came back as the float 24.99 (exactly 24.989999999999998437…), not Decimal('24.99')" in (
        result.message
    )
    # rating 4.5, stock 7 and expires_at came back as floats too, but exactly equal ones: only price is named.
    assert result.evidence["observed"] == [
        "price came back as the float 24.99 (exactly 24.989999999999998437…), not Decimal('24.99')"
    ]


def test_errors_when_the_graders_endpoints_are_down(graded):
    for endpoint in ("dynamodb", "redis"):
        assert graded("reference", unreachable=endpoint).get(CHECK).status == "error"
