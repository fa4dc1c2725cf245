"""Latency measurements of the lab: interleaved timing rounds, their statistics (pytest-benchmark's `Stats`), the
pytest-benchmark JSON the run leaves in `--out`, and an SVG picture of the two distributions for the reports.

Rounds alternate the two operations (A, B, A, B, ...) so that a noisy neighbour slows both alike, and stop at
`rounds` pairs or when the time budget is spent (never fewer than `MIN_ROUNDS` pairs), keeping a grading run short.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from html import escape
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pytest_benchmark import __version__ as pytest_benchmark_version
from pytest_benchmark.stats import Metadata, Stats

from labgrader.engine import outdir

MIN_ROUNDS = 5
DEFAULT_BUDGET_S = 1.2
TIMER = time.perf_counter


def percentile(sorted_data: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile of sorted data (`fraction` in [0, 1])."""
    if not sorted_data:
        raise ValueError("no data")
    position = (len(sorted_data) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_data) - 1)
    return sorted_data[low] + (sorted_data[high] - sorted_data[low]) * (position - low)


@dataclass(frozen=True)
class Distribution:
    """Timings of one operation, in seconds."""

    name: str
    samples: tuple[float, ...]

    @cached_property
    def stats(self) -> Stats:
        stats = Stats()  # type: ignore[no-untyped-call]
        for sample in self.samples:
            stats.update(sample)  # type: ignore[no-untyped-call]
        return stats

    @cached_property
    def sorted(self) -> list[float]:
        return sorted(self.samples)

    @property
    def rounds(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return float(self.stats.median)

    @property
    def p95(self) -> float:
        return percentile(self.sorted, 0.95)

    @property
    def q1(self) -> float:
        return percentile(self.sorted, 0.25)

    @property
    def q3(self) -> float:
        return percentile(self.sorted, 0.75)

    def summary(self) -> str:
        return f"{self.name} median {format_duration(self.median)} (p95 {format_duration(self.p95)})"

    def as_evidence(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "median_ms": round(self.median * 1000, 4),
            "p95_ms": round(self.p95 * 1000, 4),
            "min_ms": round(self.sorted[0] * 1000, 4),
            "max_ms": round(self.sorted[-1] * 1000, 4),
        }


@dataclass(frozen=True)
class Comparison:
    """`slow` should take at least `min_ratio` times as long as `fast` (by median)."""

    title: str
    slow: Distribution
    fast: Distribution
    min_ratio: float
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.slow.median / self.fast.median if self.fast.median > 0 else math.inf

    @property
    def passed(self) -> bool:
        return self.ratio >= self.min_ratio

    def as_evidence(self) -> dict[str, Any]:
        return {
            "ratio": round(self.ratio, 2),
            "min_ratio": self.min_ratio,
            self.fast.name: self.fast.as_evidence(),
            self.slow.name: self.slow.as_evidence(),
        }


def format_duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def format_tick(seconds: float) -> str:
    """An axis label: 100 µs, 2 ms, 1.5 s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:g} ms"
    return f"{seconds:g} s"


def sample_interleaved(
    first: Callable[[], object],
    second: Callable[[], object],
    *,
    rounds: int,
    budget_s: float = DEFAULT_BUDGET_S,
    warmup: int = 3,
    before_first: Callable[[], object] | None = None,
) -> tuple[list[float], list[float]]:
    """Time `first` and `second` alternately (`before_first` runs untimed before each `first`)."""
    for _ in range(warmup):
        if before_first:
            before_first()
        first()
        second()
    a: list[float] = []
    b: list[float] = []
    deadline = TIMER() + budget_s
    while len(a) < rounds and (len(a) < MIN_ROUNDS or TIMER() < deadline):
        if before_first:
            before_first()
        started = TIMER()
        first()
        a.append(TIMER() - started)
        started = TIMER()
        second()
        b.append(TIMER() - started)
    return a, b


# --- pytest-benchmark JSON -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def machine_info() -> dict[str, Any]:
    """pytest-benchmark's machine_info fields, without the CPU probe (py-cpuinfo takes ≈ 0.25 s)."""
    return {
        "node": platform.node(),
        "processor": platform.processor(),
        "machine": platform.machine(),
        "python_compiler": platform.python_compiler(),
        "python_implementation": platform.python_implementation(),
        "python_implementation_version": platform.python_version(),
        "python_version": platform.python_version(),
        "python_build": list(platform.python_build()),
        "release": platform.release(),
        "system": platform.system(),
        "cpu": {"count": os.cpu_count(), "arch_string_raw": platform.machine()},
    }


def _metadata(distribution: Distribution, group: str, fullname: str, extra: dict[str, Any]) -> Metadata:
    fixture = SimpleNamespace(
        name=distribution.name,
        fullname=f"{fullname}[{distribution.name}]",
        group=group,
        param=distribution.name,
        params={"operation": distribution.name},
        extra_info=extra,
        cprofile_stats=None,
        has_error=False,
    )
    metadata = Metadata(  # type: ignore[no-untyped-call]
        fixture,
        iterations=1,
        options={"disable_gc": False, "timer": "perf_counter", "min_rounds": MIN_ROUNDS, "warmup": True},
    )
    for sample in distribution.samples:
        metadata.update(sample)  # type: ignore[no-untyped-call]
    return metadata


def benchmark_document(comparisons: Sequence[tuple[Comparison, str]]) -> dict[str, Any]:
    """A pytest-benchmark JSON document (as `--benchmark-json` writes it) of (comparison, fullname) pairs."""
    benchmarks = []
    for comparison, fullname in comparisons:
        extra = {"ratio": round(comparison.ratio, 3), "min_ratio": comparison.min_ratio, **comparison.notes}
        for distribution in (comparison.fast, comparison.slow):
            benchmarks.append(_metadata(distribution, comparison.title, fullname, extra).as_dict(include_data=True))  # type: ignore[no-untyped-call]
    return {
        "machine_info": machine_info(),
        "commit_info": {"id": None, "project": "labgrader", "branch": None, "dirty": False},
        "benchmarks": benchmarks,
        "datetime": datetime.now(UTC).isoformat(),
        "version": pytest_benchmark_version,
    }


def write_benchmark_json(path: Path, comparison: Comparison, fullname: str) -> Path:
    # Renamed over the name: a symbolic link planted there is replaced, never written through.
    return outdir.write_text(path, json.dumps(benchmark_document([(comparison, fullname)]), indent=2) + "\n")


# --- the picture ---------------------------------------------------------------------------------------------------

WIDTH = 760
LEFT = 190
RIGHT = 730
ROW = 92
TOP = 74
COLORS = ("#2a9d8f", "#e76f51")


def _ticks(low: float, high: float) -> list[float]:
    ticks = []
    exponent = math.floor(math.log10(low))
    while 10**exponent <= high * 10:
        for step in (1, 2, 5):
            value = step * 10.0**exponent
            if low <= value <= high:
                ticks.append(value)
        exponent += 1
    return ticks


def render_svg(comparison: Comparison) -> str:
    """Both distributions on one log-scale time axis: every round as a dot, the quartile box, the median line, p95."""
    rows = (comparison.fast, comparison.slow)
    everything = [s for d in rows for s in d.samples if s > 0]
    low = min(everything) / 1.25
    high = max(everything) * 1.25
    span = math.log10(high) - math.log10(low)

    def x(seconds: float) -> float:
        return LEFT + (math.log10(max(seconds, low)) - math.log10(low)) / span * (RIGHT - LEFT)

    height = TOP + ROW * len(rows) + 46
    verdict = "pass" if comparison.passed else "FAIL"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f"<title>{escape(comparison.title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="16" y="26" font-size="16" font-weight="bold">{escape(comparison.title)}</text>',
        f'<text x="16" y="48" fill="#444">median ratio {comparison.ratio:.1f}x (needs ≥ {comparison.min_ratio:g}x: '
        f"{verdict}) · {comparison.fast.rounds} + {comparison.slow.rounds} rounds, log time axis</text>",
    ]
    axis_y = TOP + ROW * len(rows)
    for tick in _ticks(low, high):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{TOP - 8}" x2="{tx:.1f}" y2="{axis_y}" stroke="#e6e6e6"/>')
        parts.append(
            f'<text x="{tx:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#555">{format_tick(tick)}</text>'
        )
    parts.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{RIGHT}" y2="{axis_y}" stroke="#888"/>')
    for index, (distribution, color) in enumerate(zip(rows, COLORS, strict=True)):
        mid = TOP + ROW * index + ROW / 2 - 6
        parts.append(f'<text x="16" y="{mid - 8:.1f}" font-weight="bold">{escape(distribution.name)}</text>')
        parts.append(
            f'<text x="16" y="{mid + 8:.1f}" fill="#444">median {format_duration(distribution.median)}</text>'
            f'<text x="16" y="{mid + 23:.1f}" fill="#444">p95 {format_duration(distribution.p95)} · '
            f"n={distribution.rounds}</text>"
        )
        for number, sample in enumerate(distribution.samples):
            jitter = ((number * 0.6180339887) % 1.0 - 0.5) * 30
            parts.append(
                f'<circle cx="{x(sample):.1f}" cy="{mid + jitter:.1f}" r="2.2" fill="{color}" fill-opacity="0.35"/>'
            )
        q1, q3 = x(distribution.q1), x(distribution.q3)
        parts.append(
            f'<rect x="{q1:.1f}" y="{mid - 19:.1f}" width="{max(q3 - q1, 1.5):.1f}" height="38" fill="none" '
            f'stroke="{color}" stroke-width="1.5"/>'
        )
        median = x(distribution.median)
        parts.append(
            f'<line x1="{median:.1f}" y1="{mid - 24:.1f}" x2="{median:.1f}" y2="{mid + 24:.1f}" stroke="{color}" '
            'stroke-width="3"/>'
        )
        p95 = x(distribution.p95)
        parts.append(
            f'<line x1="{p95:.1f}" y1="{mid - 12:.1f}" x2="{p95:.1f}" y2="{mid + 12:.1f}" stroke="{color}" '
            'stroke-width="1.5" stroke-dasharray="3 2"/>'
        )
    parts.append(
        f'<text x="{RIGHT}" y="{height - 8}" text-anchor="end" fill="#777" font-size="11">box: quartiles · solid: '
        "median · dashed: p95 · dots: every round</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(path: Path, comparison: Comparison) -> Path:
    return outdir.write_text(path, render_svg(comparison))
