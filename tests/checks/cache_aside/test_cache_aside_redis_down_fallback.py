from __future__ import annotations

import pytest

CHECK = "cache_aside_redis_down_fallback"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert "(nothing listening)" in result.message
    assert "still returned the item from DynamoDB in" in result.message
    assert result.evidence["observed"]["reads"] == ["GetItem"]
    assert result.evidence["observed"]["seconds"] < 1


def test_fails_when_redis_errors_are_not_caught(graded):
    result = graded("crashes_redis_down").get(CHECK)
    assert result.status == "fail"
    assert "raised ConnectionError: Error 111 connecting to 127.0.0.1:" in result.message
    assert "expected the item from DynamoDB without an exception when REDIS_URL=redis://127.0.0.1:" in result.message
    assert "except redis.RedisError" in result.hint


def test_errors_when_the_graders_dynamodb_is_down(graded):
    result = graded("reference", unreachable="dynamodb").get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message


def test_still_grades_when_the_labs_redis_is_down(graded):
    # This check points the module at a dead Redis on purpose: the lab's own Redis being down does not stop the
    # grader from looking, so the verdict is the module's.
    assert graded("reference", unreachable="redis").get(CHECK).status == "pass"
    assert graded("crashes_redis_down", unreachable="redis").get(CHECK).status == "fail"
