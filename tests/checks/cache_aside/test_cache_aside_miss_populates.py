from __future__ import annotations

import pytest

CHECK = "cache_aside_miss_populates"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 3
    assert "read DynamoDB once (GetItem) and cached the item under Redis key product:__labgrader__" in result.message
    assert result.evidence["observed"]["reads"] == ["GetItem"]


def test_fails_when_a_miss_scans_the_table(graded):
    result = graded("scan_on_miss").get(CHECK)
    assert result.status == "fail"
    assert "made 1 DynamoDB read(s) (Scan); expected exactly one GetItem (or Query) by key" in result.message
    assert result.hint.startswith("Read the one item by its key: table.get_item(Key={'category': category, 'sku'")


def test_fails_when_a_miss_never_writes_the_cache(graded):
    result = graded("never_writes_cache").get(CHECK)
    assert result.status == "fail"
    assert "returned the item but wrote nothing to Redis key product:__labgrader__" in result.message
    assert "r.set(f'product:{category}:{sku}', payload, ex=300)" in result.hint
    assert result.hint_commands == []  # a code fix: a note only (test_broken_modules.py)


def test_fails_without_a_module_and_says_how_to_give_one(graded):
    result = graded(None).get(CHECK)
    assert result.status == "fail"
    assert result.message.startswith("No cache-aside module to grade")
    assert "--solution" in result.hint
    assert result.hint_commands == []  # the module is the student's to give: a note only


def test_errors_when_the_graders_endpoints_are_down(graded):
    for endpoint, phrase in (("dynamodb", "could not reach the AWS endpoint"), ("redis", "could not reach Redis")):
        result = graded("reference", unreachable=endpoint).get(CHECK)
        assert result.status == "error", (endpoint, result.message)
        assert phrase in result.message
