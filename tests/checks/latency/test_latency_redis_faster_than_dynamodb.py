from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CHECK = "latency_redis_faster_than_dynamodb"
pytestmark = pytest.mark.sandbox


@pytest.fixture
def slow_redis_url(local_target) -> Iterator[str]:
    """The sandbox primary behind a proxy that adds 10 ms to every answer."""
    upstream = local_target.redis_url.rsplit(":", 1)[1].split("/")[0]
    proxy = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("slow_proxy.py")), upstream, "10"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proxy.stdout is not None
    port = int(proxy.stdout.readline())
    yield f"redis://127.0.0.1:{port}/0"
    proxy.kill()
    proxy.wait()
    proxy.stdout.close()


def test_passes_on_the_reference_solution(graded):
    run = graded("reference")
    result = run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 3
    assert result.message.startswith("Redis GET median ")
    assert " vs DynamoDB GetItem median " in result.message
    assert "(p95 " in result.message
    assert "on table LabProducts: Redis was " in result.message
    assert result.message.endswith("x faster (needs ≥ 3x).")
    observed = result.evidence["observed"]
    assert observed["ratio"] >= 3
    # At most latency.rounds (40 in these tests) pairs; fewer only if the time budget ran out first.
    assert 5 <= observed["Redis GET"]["rounds"] == observed["DynamoDB GetItem"]["rounds"] <= 40
    assert result.evidence["picture"] == "latency-redis-vs-dynamodb.svg"


def test_leaves_pytest_benchmark_json_and_a_picture_in_the_out_dir(solved, local_target, grade, tmp_path):
    out = tmp_path / "out"
    from labgrader.engine import runner

    runner.grade(solved, local_target, out_dir=out, only=frozenset({CHECK}))
    document = json.loads((out / "latency-redis-vs-dynamodb.json").read_text())
    names = [b["name"] for b in document["benchmarks"]]
    assert names == ["Redis GET", "DynamoDB GetItem"]
    assert all(b["stats"]["rounds"] == len(b["stats"]["data"]) > 0 for b in document["benchmarks"])
    picture = (out / "latency-redis-vs-dynamodb.svg").read_text()
    assert picture.startswith("<svg ")
    assert "Redis GET vs DynamoDB GetItem" in picture


def test_fails_when_redis_is_reached_the_slow_way(solved, local_target, grade, slow_redis_url):
    """No command to run: the fix is where the grader runs (on the lab's EC2 instance, next to ElastiCache), not a
    change a shell command makes to the lab; the hint is a note by design."""
    target = dataclasses.replace(local_target, redis_url=slow_redis_url)
    result = grade(solved, target, only={CHECK}).get(CHECK)
    assert result.status == "fail", result.message
    assert "Redis GET median 1" in result.message  # ≥ 10 ms through the proxy
    assert "; expected at least 3x." in result.message
    assert result.evidence["observed"]["ratio"] < 3
    assert "EC2 instance in the VPC of lab-redis" in result.hint_note
    assert result.hint_commands == []


def test_errors_when_the_graders_endpoints_are_down(graded):
    for endpoint, phrase in (("dynamodb", "could not reach the AWS endpoint"), ("redis", "could not reach Redis")):
        result = graded("reference", unreachable=endpoint).get(CHECK)
        assert result.status == "error", (endpoint, result.message)
        assert phrase in result.message
