"""The terminal scorecard: per section, each check's status and points; for each miss, its message and the fix.

Root causes first: a check that fails only because another one is not met (its `blocked_by`) shows "blocked by
<id>" instead of repeating that fix, and the root cause lists the checks it blocks with their points. An advisory
miss shows as ADVICE, not FAIL.

Two renderings of the same content: `render_rich` (colours, one table per section) on an interactive terminal, and
the plain `render` (one line per check, unchanged since the first version) for CI logs and pipes. `show` picks.
"""

from __future__ import annotations

from collections.abc import Callable

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from labgrader.engine.catalog import SECTION_TITLES
from labgrader.engine.inert import terminal
from labgrader.reports import setup_section
from labgrader.reports.model import blocked_points, blocked_roots, label, summary_counts
from labgrader.engine.exit_codes import EXIT_FAIL, EXIT_OK
from labgrader.engine.results import CheckResult, RunResult

Write = Callable[[str], None]

LABELS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP", "pending": "PENDING"}
STYLES = {"pass": "bold green", "fail": "bold red", "error": "bold yellow", "skip": "dim", "pending": "bold blue"}
ADVICE_STYLE = "bold magenta"
MISSES = ("fail", "error", "pending")


def _points(result: CheckResult) -> str:
    return f"{result.points:g}/{result.max_points:g}" if result.max_points else "-"


def progress_line(result: CheckResult) -> str:
    return f"  {label(result):<8}{_points(result):>7}  {terminal(result.id)}"


def _style(result: CheckResult) -> str:
    return ADVICE_STYLE if label(result) == "ADVICE" else STYLES[result.status]


def _blocked_by_root(run: RunResult) -> tuple[dict[str, str], dict[str, list[CheckResult]]]:
    """(check ID → its root cause, root cause ID → the checks it blocks)."""
    roots = blocked_roots(run)
    blocks: dict[str, list[CheckResult]] = {}
    for result in run.checks:
        if result.id in roots:
            blocks.setdefault(roots[result.id], []).append(result)
    return roots, blocks


def _blocks_lines(blocked: list[CheckResult], width: int = 100) -> list[str]:
    """ "blocks 3 checks, 8 points:" then the checks with their points, a few to a line."""
    lines, line = [f"blocks {blocked_points(blocked)}:"], ""
    for entry in (f"{terminal(r.id)} {_points(r)}" for r in blocked):
        if line and len(line) + len(entry) + 2 > width:
            lines.append(f"  {line},")
            line = ""
        line = f"{line}, {entry}" if line else entry
    return [*lines, f"  {line}"] if line else lines


def _blocked_note(root: str) -> str:
    return f"(blocked by {root}: fix that first)"


def _section_title(section: str) -> str:
    return SECTION_TITLES.get(section) or terminal(section)


def _sections(run: RunResult) -> dict[str, list[CheckResult]]:
    sections: dict[str, list[CheckResult]] = {}
    for result in run.checks:
        sections.setdefault(result.section, []).append(result)
    return sections


def _summary(run: RunResult) -> str:
    return summary_counts(run)


def containment_note(run: RunResult) -> str | None:
    """The header line when the student's code ran less contained than bubblewrap allows (no namespace tools),
    and how many of its processes outlived the run where that weaker containment let them."""
    warning = run.extra.get("containment_warning")
    left = run.extra.get("student_processes_left")
    outlived = (
        f"{len(left)} process(es) the student's code started outlived the run (pids "
        f"{', '.join(str(pid) for pid in left[:10])}{', ...' if len(left) > 10 else ''})"
        if isinstance(left, list) and left
        else None
    )
    said = [text for text in (warning if isinstance(warning, str) else None, outlived) if text]
    return f"note: {terminal('; '.join(said))}" if said else None


def scratch_leftover_notes(run: RunResult) -> list[str]:
    """Header lines for grader scratch items still in the student's table at the end of the run, each with the
    exact command that removes it (results.json: `extra.scratch_leftovers`)."""
    leftovers = run.extra.get("scratch_leftovers")
    if not isinstance(leftovers, list):
        return []
    return [f"note: {terminal(str(leftover))}" for leftover in leftovers]


def render(run: RunResult, write: Write, *, results_path: str | None = None) -> None:
    """The plain scorecard (no colour, no box drawing): what CI logs and pipes get."""
    if note := containment_note(run):
        write(note)
    for line in scratch_leftover_notes(run):
        write(line)
    for line in setup_section.summary_lines(run.extra.get("setup")):
        write(terminal(line))
    roots, blocks = _blocked_by_root(run)
    for section, results in _sections(run).items():
        graded = [r for r in results if r.status != "skip"]
        earned = sum(r.points for r in results)
        possible = sum(r.max_points for r in results)
        write(f"\n{_section_title(section)}  {earned:g}/{possible:g}" + ("" if graded else "  (not part of this lab)"))
        if not graded:
            continue
        for result in results:
            if result.id in roots:
                write(f"{progress_line(result)}  {_blocked_note(roots[result.id])}")
                continue
            write(progress_line(result))
            # Messages quote what the student's code did: one line each, no terminal escapes.
            if result.status in MISSES:
                write(f"            {terminal(result.message)}")
                if result.hint:
                    for line in hint_lines(result):
                        write(f"            {line}")
                for line in _blocks_lines(blocks[result.id]) if result.id in blocks else ():
                    write(f"            {line}")
            elif result.status == "skip":
                write(f"            {terminal(result.message)}")
    write(f"\nScore {run.score:g}/{run.max_score:g} ({_summary(run)}) in {run.duration_s:.1f} s")
    if results_path:
        write(f"results: {terminal(results_path)}")


def rich_progress_line(result: CheckResult) -> Text:
    return Text.assemble(
        "  ",
        (f"{label(result):<8}", _style(result)),
        (f"{_points(result):>7}", "cyan"),
        f"  {terminal(result.id)}",
    )


def _check_cell(result: CheckResult, blocked_by: str | None = None, blocks: list[CheckResult] | None = None) -> Text:
    text = Text(terminal(result.id), style="bold" if result.status in MISSES and blocked_by is None else "")
    if blocked_by is not None:
        text.append(f"  {_blocked_note(blocked_by)}", style="dim")
        return text
    if result.status in MISSES or result.status == "skip":
        if result.message:
            text.append(f"\n{terminal(result.message)}", style="default" if result.status in MISSES else "dim")
        if result.status in MISSES and result.hint:
            text.append("\nfix: ", style="bold cyan")
            note, commands = result.hint_note, result.hint_commands
            if commands:
                text.append("\n" + "\n".join(f"  {terminal(c)}" for c in commands), style="cyan")
            if note:
                text.append(f"\n{terminal(note)}", style="default")
    if blocks:  # one paragraph: rich wraps it to the cell
        listed = ", ".join(f"{terminal(r.id)} {_points(r)}" for r in blocks)
        text.append(f"\nblocks {blocked_points(blocks)}: ", style="bold")
        text.append(listed)
    return text


def hint_lines(result: CheckResult) -> list[str]:
    """The fix in plain text: `fix:` then the commands as a block, one per line (copy them as they are), then the
    note that explains them."""
    note, commands = result.hint_note, result.hint_commands
    lines = ["fix:", *(f"  {terminal(c)}" for c in commands)] if commands else []
    if note:
        lines.append(f"{'note' if commands else 'fix'}: {terminal(note)}")
    return lines


def section_table(
    title: str,
    results: list[CheckResult],
    roots: dict[str, str] | None = None,
    blocks: dict[str, list[CheckResult]] | None = None,
) -> Table | Text:
    earned = sum(r.points for r in results)
    possible = sum(r.max_points for r in results)
    if all(r.status == "skip" for r in results):
        reasons = {terminal(r.message) for r in results}
        reason = reasons.pop() if len(reasons) == 1 else "not graded on this run"
        return Text.assemble((f"{title}  ", "bold"), (f"- {reason}", "dim"))
    table = Table(
        title=Text.assemble((title, "bold"), f"  {earned:g}/{possible:g}"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        expand=True,
        pad_edge=False,
        show_header=False,
    )
    table.add_column("Status", no_wrap=True, width=8)
    table.add_column("Points", justify="right", no_wrap=True, width=7)
    table.add_column("Check", ratio=1, overflow="fold")
    for result in results:
        cell = _check_cell(result, (roots or {}).get(result.id), (blocks or {}).get(result.id))
        table.add_row(Text(label(result), style=_style(result)), _points(result), cell)
    return table


def render_rich(run: RunResult, console: Console, *, results_path: str | None = None) -> None:
    roots, blocks = _blocked_by_root(run)
    parts: list[Table | Text] = [
        section_table(_section_title(section), results, roots, blocks) for section, results in _sections(run).items()
    ]
    percent = 100 * run.score / run.max_score if run.max_score else 0.0
    style = {EXIT_OK: "bold green", EXIT_FAIL: "bold red"}.get(run.exit_code, "bold yellow")
    total = Text.assemble(
        ("Score ", "bold"),
        (f"{run.score:g}/{run.max_score:g}", style),
        f" ({percent:.0f} %)  {_summary(run)}  in {run.duration_s:.1f} s",
    )
    console.print()
    if note := containment_note(run):
        console.print(Text(note, style="yellow"))
    for line in scratch_leftover_notes(run):
        console.print(Text(line, style="yellow"))
    for line in setup_section.summary_lines(run.extra.get("setup")):
        console.print(Text(terminal(line), style="yellow" if line.startswith("  ") else "bold"))
    console.print(Group(*parts))
    console.print(total)
    if results_path:
        console.print(Text(f"results: {terminal(results_path)}", style="dim"))


def show(
    run: RunResult, *, console: Console | None = None, write: Write | None = None, results_path: str | None = None
) -> None:
    """The rich scorecard on an interactive terminal, the plain one elsewhere (CI logs, pipes, TERM=dumb)."""
    console = console or Console()
    if console.is_terminal and not console.is_dumb_terminal:
        render_rich(run, console, results_path=results_path)
    else:
        render(run, write or (lambda line: print(line, flush=True)), results_path=results_path)
