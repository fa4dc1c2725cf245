"""The header lines of a `grade --setup` run: how the student's setup script went (results.json's `setup` field),
the same text in the scorecard, report.html and summary.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_COMMAND_CHARS = 300
MAX_LINE_CHARS = 300


def inert(text: str, limit: int) -> str:
    """One line of at most `limit` characters without control characters (it is the student's text)."""
    flat = "".join(c if c.isprintable() else " " for c in text.replace("\t", " "))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def summary_lines(setup: Any) -> list[str]:
    """The setup run in a few plain lines, for every report's header; [] when `setup` is not a setup record (a
    results.json of a run without --setup, or a crafted one)."""
    if not isinstance(setup, Mapping) or not isinstance(setup.get("script"), str):
        return []
    script = inert(setup["script"], 100)
    duration = setup.get("duration_s")
    took = f" after {duration:g} s" if isinstance(duration, int | float) else ""
    failed = [f for f in setup.get("failed_commands") or [] if isinstance(f, Mapping)]
    code = setup.get("exit_code")
    if setup.get("timed_out"):
        limit = setup.get("timeout_s")
        head = f"setup script {script}: still running at the {limit} s timeout: killed (whole process tree)"
    elif code == 0 and not failed:
        head = f"setup script {script}: ran to the end{took}, every command succeeded"
    else:
        head = f"setup script {script}: exit code {code}{took}"
    more = setup.get("more_failed_commands")
    count = len(failed) + (more if isinstance(more, int) else 0)
    if failed:
        head += f"; {count} command{'s' if count != 1 else ''} failed:"
    lines = [head]
    for failure in failed:
        last = inert(str(failure.get("last_output") or ""), MAX_LINE_CHARS)
        lines.append(
            f"  line {failure.get('line')}: `{inert(str(failure.get('command')), MAX_COMMAND_CHARS)}` exited "
            f"{failure.get('exit_code')}" + (f": {last}" if last else "")
        )
    if isinstance(more, int) and more:
        lines.append(f"  … and {more} more")
    if setup.get("timed_out"):
        tail = [inert(str(t), MAX_LINE_CHARS) for t in setup.get("output_tail") or []][-1:]
        if tail:
            lines.append(f"  last output: {tail[0]}")
    return lines
