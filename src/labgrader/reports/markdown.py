"""Markdown summary (`summary.md`), appended to `$GITHUB_STEP_SUMMARY` when that variable is set.

Student-facing: the score, what to fix (message + exact fix), then every check in a collapsed table. Evidence stays
out (it is in report.html and results.json); checks whose visibility is not `visible` show a hidden note. Each root
cause is listed once with the checks it blocks under it; an advisory miss is ADVICE (💡), not FAIL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from labgrader.engine import inert
from labgrader.engine import outdir
from labgrader.reports import cleanup_section, setup_section
from labgrader.reports.model import (
    HIDDEN_NOTE,
    blocked_points,
    blocked_roots,
    hint_parts,
    is_advice,
    label,
    points_text,
    root_causes,
    sections,
    summary_counts,
    title,
)
from labgrader.engine.results import CheckResult, RunResult

FILE_NAME = "summary.md"
ICONS = {"pass": "✅", "fail": "❌", "error": "⚠️", "skip": "⏭️", "pending": "⏳"}
ADVICE_ICON = "💡"


# Markdown that could turn text into a link, an image, HTML, a code span or a table column, escaped with a backslash;
# &, < and > become entities. Bare URLs (GFM's autolink extension) are broken at `://`, `//`, `www.` and `@`.
_MARKUP = re.compile(r"[\\`*\[\]!|~@]|:(?=//)|/(?=/)|(?<=www)\.", re.IGNORECASE)


def inline(text: str) -> str:
    """Grader text (it quotes the student's data) as inert plain text: one line, bounded, no HTML, no link, no image,
    no emphasis or code span of its own; it renders as the characters it holds."""
    text = inert.terminal(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(lambda match: "\\" + match.group(0), text)


def cell(text: str) -> str:
    """Text safe inside a table cell (`inline` escapes the pipes that would break columns)."""
    return inline(text)


def code(text: str, *, in_table: bool = False) -> str:
    """An inline code span (inert: no link, no HTML) that survives backticks inside the text; in a table, a pipe is
    escaped (GFM splits cells before it sees code spans)."""
    text = inert.terminal(text)
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def bar(score: float, max_score: float, width: int = 20) -> str:
    filled = round(width * score / max_score) if max_score else 0
    return "█" * filled + "░" * (width - filled)


def icon(check: CheckResult) -> str:
    return ADVICE_ICON if is_advice(check) else ICONS[check.status]


def _miss(check: CheckResult, blocked: list[CheckResult]) -> list[str]:
    head = f"- {icon(check)} **{inline(check.id)}** ({label(check)}, {points_text(check)})"
    if check.visibility != "visible":
        return [f"{head}: {HIDDEN_NOTE}"]
    lines = [f"{head}: {inline(check.message or title(check))}"]
    if check.hint:
        note, commands = hint_parts(check)
        lines.append("  - Fix:" + (f" {inline(note)}" if note else ""))
        lines += code_block(commands)
    if blocked:
        lines.append(f"  - Blocks {blocked_points(blocked)}:")
        lines += [f"    - {code(c.id)} ({points_text(c)})" for c in blocked]
    return lines


def code_block(commands: list[str], indent: str = "    ") -> list[str]:
    """Commands as a fenced bash block (inert: nothing inside a fence is markup), one line each, in a list item."""
    if not commands:
        return []
    shown = [inert.terminal(command) for command in commands]
    fence = "```"
    while any(fence in line for line in shown):
        fence += "`"
    return [f"{indent}{fence}bash", *(f"{indent}{line}" for line in shown), f"{indent}{fence}"]


def render(run: RunResult) -> str:
    percent = f" ({100 * run.score / run.max_score:.0f} %)" if run.max_score else ""
    lines = [
        f"## labgrader: lab {inline(run.lab)} on {inline(run.target)}: {run.score:g} / {run.max_score:g}{percent}",
        "",
        f"`{bar(run.score, run.max_score)}` {summary_counts(run)}",
        "",
        "| Section | Score | Checks |",
        "|---|---:|---|",
    ]
    for section in sections(run):
        if not section.graded:
            lines.append(f"| {cell(section.title)} | - | {cell(section.skip_reason)} |")
            continue
        marks = " ".join(icon(c) for c in section.checks)
        lines.append(f"| {cell(section.title)} | {section.score:g}/{section.max_score:g} | {marks} |")
    to_fix = root_causes(run)
    lines.append("")
    if setup := setup_section.summary_lines(run.extra.get("setup")):
        # An indented code block: nothing in the student's command text can break out of it.
        lines += ["### Setup script", "", *(f"    {line}" for line in setup), ""]
    if to_fix:
        lines += ["### What to fix", ""]
        for check, blocked in to_fix:
            lines += _miss(check, blocked)
        if any(c.status == "error" for c, _ in to_fix):
            lines += ["", "_ERROR: the grader could not look (endpoint unreachable, missing permission); no verdict._"]
    else:
        lines.append("Every graded check passes.")
    lines += ["", *cleanup_section.markdown_lines(run)]
    lines += ["<details><summary>Every check</summary>", "", "| | Check | Points | Result |", "|---|---|---:|---|"]
    roots = blocked_roots(run)
    for check in run.checks:
        text = HIDDEN_NOTE if check.visibility != "visible" else (check.message or title(check))
        if check.id in roots and check.visibility == "visible":
            text = f"blocked by {roots[check.id]}: {text}"
        lines.append(f"| {icon(check)} | {code(check.id, in_table=True)} | {points_text(check)} | {cell(text)} |")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def write(run: RunResult, out_dir: Path, environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    text = render(run)
    path = outdir.write_text(out_dir / FILE_NAME, text)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return path
