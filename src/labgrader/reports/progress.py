"""What the terminal shows while a run is under way: the long phases (sandbox start, solve, dataset import, failover,
benchmarks) and each check as it finishes.

On a terminal: a rich live display (spinner, current phase or check, checks done/total, elapsed time) with each
finished check printed above it. Anywhere else (CI logs, a pipe, TERM=dumb): plain lines, one per phase and per
check, exactly the `scorecard.progress_line` format.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from labgrader.reports import scorecard
from labgrader.engine.check import meta_of
from labgrader.engine.results import CheckResult

Write = Callable[[str], None]

# Checks that take long enough to deserve a phase line of their own (failover, benchmarks, scans).
LONG_CHECKS = {
    "dynamodb_dataset_imported": "dataset: counting the imported items (paginated Scan)",
    "dynamodb_stream_records": "streams: writing an item and reading its stream record",
    "redis_failover_recovers": "failover: stopping the primary, waiting for the replica's promotion",
    "cache_aside_redis_down_fallback": "cache-aside: Redis stopped, checking the DynamoDB fallback",
    "latency_redis_faster_than_dynamodb": "benchmark: timing Redis GET against DynamoDB GetItem",
    "latency_cache_hit_faster_than_miss": "benchmark: timing a cache hit against a miss",
}


class PlainProgress:
    """Line-by-line progress for logs: phases as they start, checks as they finish."""

    def __init__(self, write: Write) -> None:
        self.write = write
        self.total = 0
        self.done = 0
        self._phase_started: float | None = None

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        return None

    def phase(self, text: str) -> None:
        self._phase_started = time.monotonic()
        self.write(text)

    def log(self, line: str) -> None:
        self.write(line)

    def start_checks(self, total: int) -> None:
        self.total, self.done = total, 0

    def check_started(self, check_id: str) -> None:
        if check_id in LONG_CHECKS:
            self.write(f"  ...      {LONG_CHECKS[check_id]}")

    def check_done(self, result: CheckResult) -> None:
        self.done += 1
        self.write(scorecard.progress_line(result))

    def plugin(self) -> ProgressPlugin:
        return ProgressPlugin(self)


class LiveProgress(PlainProgress):
    """A rich live display on a terminal; finished checks scroll above it."""

    def __init__(self, console: Console) -> None:
        super().__init__(lambda line: console.print(Text(line)))
        self.console = console
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._started = False

    def _ensure(self, description: str = "working") -> TaskID:
        if not self._started:
            self._progress.start()
            self._started = True
        if self._task is None:
            self._task = self._progress.add_task(description, total=None)
        return self._task

    def close(self) -> None:
        if self._started:
            self._progress.stop()
            self._started = False

    def phase(self, text: str) -> None:
        self._progress.reset(self._ensure(text), description=text, total=None)
        self._progress.console.print(Text(text, style="bold"))

    def log(self, line: str) -> None:
        self._ensure()
        self._progress.console.print(Text(line, style="dim"))

    def start_checks(self, total: int) -> None:
        super().start_checks(total)
        self._progress.reset(self._ensure("grading"), description="grading", total=total, completed=0)

    def check_started(self, check_id: str) -> None:
        task = self._ensure()
        self._progress.update(task, description=LONG_CHECKS.get(check_id, f"checking {check_id}"))

    def check_done(self, result: CheckResult) -> None:
        self.done += 1
        task = self._ensure()
        self._progress.update(task, completed=self.done)
        self._progress.console.print(scorecard.rich_progress_line(result))


def open_progress(console: Console | None = None, write: Write | None = None) -> PlainProgress:
    """A live display when `console` is an interactive terminal, plain lines (through `write`) otherwise."""
    console = console or Console()
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveProgress(console)
    return PlainProgress(write or (lambda line: print(line, flush=True)))


class ProgressPlugin:
    """Tells the display how many checks will run and which one is running (a pytest plugin object)."""

    def __init__(self, display: PlainProgress) -> None:
        self.display = display

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.display.start_checks(len(session.items))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        meta = meta_of(getattr(item, "obj", None))
        if meta is not None:
            self.display.check_started(meta.id)
        return None
