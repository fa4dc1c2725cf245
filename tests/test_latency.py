"""Latency statistics, the pytest-benchmark JSON and the SVG picture (no endpoint)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labgrader.services import latency
from labgrader.services.latency import Comparison, Distribution, percentile, sample_interleaved

FAST = Distribution("Redis GET", tuple(0.0001 + i * 1e-6 for i in range(50)))
SLOW = Distribution("DynamoDB GetItem", tuple(0.004 + i * 1e-5 for i in range(50)))


def test_percentiles_interpolate():
    data = [1.0, 2.0, 3.0, 4.0]
    assert percentile(data, 0.0) == 1.0
    assert percentile(data, 1.0) == 4.0
    assert percentile(data, 0.5) == 2.5
    assert percentile([7.0], 0.95) == 7.0
    with pytest.raises(ValueError, match="no data"):
        percentile([], 0.5)


def test_distribution_statistics_come_from_pytest_benchmark():
    assert FAST.median == statistics.median(FAST.samples)
    assert FAST.rounds == 50
    assert FAST.q1 < FAST.median < FAST.q3 < FAST.p95
    assert FAST.summary() == "Redis GET median 124 µs (p95 147 µs)"


def test_the_comparison_is_the_ratio_of_medians():
    comparison = Comparison("Redis vs DynamoDB", slow=SLOW, fast=FAST, min_ratio=3.0)
    assert comparison.ratio == pytest.approx(SLOW.median / FAST.median)
    assert comparison.passed
    assert not Comparison("x", slow=FAST, fast=SLOW, min_ratio=1.0).passed
    evidence = comparison.as_evidence()
    assert evidence["min_ratio"] == 3.0
    assert evidence["Redis GET"]["rounds"] == 50


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(42e-6, "42 µs"), (0.00234, "2.34 ms"), (0.0503, "50.3 ms"), (1.5, "1.50 s")],
)
def test_durations_read_naturally(seconds, text):
    assert latency.format_duration(seconds) == text


def test_sampling_alternates_and_stops_at_the_rounds():
    order: list[str] = []
    a, b = sample_interleaved(
        lambda: order.append("a"), lambda: order.append("b"), rounds=6, warmup=2, before_first=lambda: order.append("-")
    )
    assert len(a) == len(b) == 6
    assert order == ["-", "a", "b"] * 8


def test_sampling_stops_at_the_budget_but_never_below_the_minimum():
    import time

    a, b = sample_interleaved(lambda: time.sleep(0.01), lambda: None, rounds=1000, budget_s=0.0, warmup=0)
    assert len(a) == len(b) == latency.MIN_ROUNDS
    a, _ = sample_interleaved(lambda: time.sleep(0.002), lambda: None, rounds=1000, budget_s=0.1, warmup=0)
    assert latency.MIN_ROUNDS < len(a) < 100


def test_the_benchmark_json_is_pytest_benchmarks_format(tmp_path: Path):
    comparison = Comparison("Redis vs DynamoDB", slow=SLOW, fast=FAST, min_ratio=3.0, notes={"table": "LabProducts"})
    path = latency.write_benchmark_json(tmp_path / "bench.json", comparison, "latency_redis_faster_than_dynamodb")
    document = json.loads(path.read_text())
    assert {"machine_info", "commit_info", "benchmarks", "datetime", "version"} <= set(document)
    names = [b["name"] for b in document["benchmarks"]]
    assert names == ["Redis GET", "DynamoDB GetItem"]
    first = document["benchmarks"][0]
    assert first["group"] == "Redis vs DynamoDB"
    assert first["stats"]["data"] == list(FAST.samples)
    assert first["stats"]["median"] == FAST.median
    assert first["extra_info"]["table"] == "LabProducts"
    # pytest-benchmark itself reads it back.
    shown = subprocess.run(
        [sys.executable, "-m", "pytest_benchmark", "compare", str(path), "--columns=median,rounds"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # away from this project's pytest settings
    )
    assert "Redis GET" in shown.stdout
    assert "DynamoDB GetItem" in shown.stdout


def test_the_picture_is_an_svg_with_every_round(tmp_path: Path):
    comparison = Comparison("Redis GET vs DynamoDB GetItem", slow=SLOW, fast=FAST, min_ratio=3.0)
    path = latency.write_svg(tmp_path / "latency.svg", comparison)
    root = ET.fromstring(path.read_text(encoding="utf-8"))  # noqa: S314 - our own output
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    assert len(root.findall(f"{svg}circle")) == FAST.rounds + SLOW.rounds
    texts = " ".join(t.text or "" for t in root.iter(f"{svg}text"))
    assert "Redis GET vs DynamoDB GetItem" in texts
    assert f"median ratio {comparison.ratio:.1f}x (needs ≥ 3x: pass)" in texts
    assert "median 124 µs" in texts
    assert "100 µs" in texts  # an axis tick


def test_the_picture_escapes_names():
    comparison = Comparison(
        "a <b> & c", slow=Distribution("<slow>", (2.0,)), fast=Distribution("f", (1.0,)), min_ratio=1
    )
    root = ET.fromstring(latency.render_svg(comparison))  # noqa: S314 - our own output
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None
    assert title.text == "a <b> & c"
