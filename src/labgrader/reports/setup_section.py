"""The header lines of a `grade --setup` run: how the student's setup script went (results.json's `setup` field),
the same text in the scorecard, report.html and summary.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labgrader.cacheaside.containment import WEAKER

MAX_COMMAND_CHARS = 300
MAX_LINE_CHARS = 300
MAX_SHOWN = 20  # failing commands listed; the rest are counted


def inert(text: str, limit: int) -> str:
    """One line of at most `limit` characters without control characters (it is the student's text)."""
    flat = "".join(c if c.isprintable() else " " for c in text.replace("\t", " "))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _short(value: Any) -> str:
    return inert(str(value), 24)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def summary_lines(setup: Any) -> list[str]:
    """The setup run in a few plain lines, for every report's header; [] when `setup` is not a setup record (a
    results.json of a run without --setup). A crafted record renders bounded and inert like any student text."""
    if not isinstance(setup, Mapping) or not isinstance(setup.get("script"), str):
        return []
    script = inert(setup["script"], 100)
    duration = setup.get("duration_s")
    took = f" after {duration:g} s" if isinstance(duration, int | float) and not isinstance(duration, bool) else ""
    failed = [f for f in _listed(setup.get("failed_commands")) if isinstance(f, Mapping)]
    code = setup.get("exit_code")
    if setup.get("timed_out") is True:
        limit = _short(setup.get("timeout_s"))
        head = f"setup script {script}: still running at the {limit} s timeout: killed (whole process tree)"
    elif code == 0 and not failed:
        head = f"setup script {script}: ran to the end{took}, every command succeeded"
    else:
        head = f"setup script {script}: exit code {_short(code)}{took}"
    more = setup.get("more_failed_commands")
    more = more if isinstance(more, int) and not isinstance(more, bool) and more > 0 else 0
    more += max(0, len(failed) - MAX_SHOWN)
    count = min(len(failed), MAX_SHOWN) + more
    if failed:
        head += f"; {count} command{'s' if count != 1 else ''} failed:"
    lines = [head]
    for failure in failed[:MAX_SHOWN]:
        last = inert(str(failure.get("last_output") or ""), MAX_LINE_CHARS)
        lines.append(
            f"  line {_short(failure.get('line'))}: `{inert(str(failure.get('command')), MAX_COMMAND_CHARS)}` "
            f"exited {_short(failure.get('exit_code'))}" + (f": {last}" if last else "")
        )
    if more:
        lines.append(f"  … and {more} more")
    if setup.get("timed_out") is True:
        tail = [inert(str(t), MAX_LINE_CHARS) for t in _listed(setup.get("output_tail"))[-1:]]
        if tail:
            lines.append(f"  last output: {tail[0]}")
    level = setup.get("containment")
    if isinstance(level, str) and level in WEAKER:
        lines.append(f"  note: the script ran with weaker containment ({level}): {WEAKER[level]}")
    return lines
