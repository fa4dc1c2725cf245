from __future__ import annotations

import re

import pytest

CHECK = "latency_cache_hit_faster_than_miss"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(graded):
    result = graded("reference").get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert result.message.startswith("Cache-aside module reference_cache_aside.py: get_product cache hit median ")
    assert " vs cache miss median " in result.message
    assert result.message.endswith("x faster (needs ≥ 2x).")
    assert result.evidence["observed"]["ratio"] >= 2
    assert result.evidence["picture"] == "latency-hit-vs-miss.svg"


def test_fails_when_the_hit_path_sleeps(graded):
    result = graded("slow_hit").get(CHECK)
    assert result.status == "fail"
    assert "get_product cache hit median " in result.message
    assert result.evidence["observed"]["cache hit"]["median_ms"] >= 50  # the 50 ms sleep
    assert "expected a hit at least 2x faster than a miss." in result.message
    # Below the lab's 2x: a loaded machine can slow the miss past the 50 ms hit, so not necessarily below 1.
    assert result.evidence["observed"]["ratio"] < 2


def test_fails_when_there_is_no_cache_hit_to_time(graded):
    result = graded("no_caching").get(CHECK)
    assert result.status == "fail"
    every_call = r"get_product read DynamoDB again on (\d+) of \1 repeat calls, each made right after a miss"
    assert re.search(every_call, result.message)
    assert "so there was no cache hit to time; expected hits served from Redis." in result.message


def test_fails_without_a_module(graded):
    result = graded(None).get(CHECK)
    assert result.status == "fail"
    assert result.message.startswith("No cache-aside module to grade")
    assert result.hint_commands == []  # the module is the student's to give: a note only
    assert result.hint_note


def test_is_not_part_of_a_lab_without_cache_aside(solved, local_target, grade):
    spec = solved.model_copy(update={"cache_aside": None})
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "skip"
    assert "[cache_aside]" in result.message


def test_errors_when_the_graders_endpoints_are_down(graded):
    for endpoint in ("dynamodb", "redis"):
        assert graded("reference", unreachable=endpoint).get(CHECK).status == "error"
