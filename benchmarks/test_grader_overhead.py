"""How much the grader's timing harness adds to a Redis GET: the harness (the same client, timed GET and sampling
loop as latency_redis_faster_than_dynamodb) against `redis-benchmark -c 1 -t get` on the same sandbox primary.
Goal: harness median at most 2.0 times redis-benchmark's p50."""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from labgrader import redis_connection as redis_conn
from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState
from labgrader.services.latency import Distribution, sample_interleaved

ROUNDS = 20_000
GOAL = 2.0
KEY = "key:__rand_int__"  # the key `redis-benchmark -t get` reads (no -r): a 3-byte value, its default -d


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxState]:
    home: Path = tmp_path_factory.mktemp("labgrader-bench-home")
    state = manager.up(home)
    yield state
    manager.down(home)


def redis_benchmark_p50(port: int) -> float:
    """p50 of `redis-benchmark -c 1 -n ROUNDS -t get`, in seconds."""
    binary = shutil.which("redis-benchmark")
    if binary is None:
        pytest.skip("redis-benchmark is not installed (apt install redis-tools)")
    out = subprocess.run(
        [binary, "-h", "127.0.0.1", "-p", str(port), "-c", "1", "-n", str(ROUNDS), "-t", "get", "--csv"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    (row,) = [r for r in csv.DictReader(io.StringIO(out)) if r.get("test") == "GET"]
    return float(row["p50_latency_ms"]) / 1000


def test_redis_get_through_the_harness_vs_redis_benchmark(benchmark, sandbox: SandboxState):
    client = redis_conn.connect(sandbox.redis_url)  # what the redis_client fixture gives the latency check
    client.set(KEY, "xxx")
    reference = redis_benchmark_p50(sandbox.processes["primary"].port)
    with redis_conn.timed_get(client, KEY) as timed:
        gets, _ = sample_interleaved(timed, lambda: None, rounds=ROUNDS, budget_s=120, warmup=200)
        # For comparison: the same GET through redis-py's full command path (pool, retries, hooks).
        plain, _ = sample_interleaved(lambda: client.get(KEY), lambda: None, rounds=ROUNDS, budget_s=120, warmup=200)
        # pytest-benchmark's own timing of the harness's GET, for its table and the saved JSON.
        benchmark.pedantic(timed, rounds=ROUNDS, iterations=1, warmup_rounds=200)
    harness = Distribution("harness GET", tuple(gets))
    ratio = harness.median / reference
    benchmark.extra_info.update(
        {
            "rounds": ROUNDS,
            "harness_p50_us": round(harness.median * 1e6, 2),
            "harness_p95_us": round(harness.p95 * 1e6, 2),
            "redis_benchmark_p50_us": round(reference * 1e6, 2),
            "redis_py_client_get_p50_us": round(Distribution("client.get", tuple(plain)).median * 1e6, 2),
            "redis_py": importlib.metadata.version("redis"),
            "ratio": round(ratio, 3),
            "goal": GOAL,
            "hiredis": importlib.util.find_spec("hiredis") is not None,
        }
    )
    client.delete(KEY)
    client.close()
    assert ratio <= GOAL, f"harness GET p50 {harness.median * 1e6:.1f} µs vs redis-benchmark {reference * 1e6:.1f} µs"
