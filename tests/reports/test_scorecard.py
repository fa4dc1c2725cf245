"""The terminal scorecard (rich on a terminal, plain lines elsewhere) and the live progress display."""

from __future__ import annotations

import io

from rich.console import Console

from labgrader.reports import scorecard
from labgrader.reports.progress import LONG_CHECKS, LiveProgress, PlainProgress, open_progress
from labgrader.engine.results import RunResult


def terminal(width: int = 100) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=width, color_system="truecolor", record=True)


def pipe() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, width=100)


def test_rich_scorecard_has_sections_misses_with_message_and_fix_and_the_total(fixture_run: RunResult) -> None:
    console = terminal(width=200)
    scorecard.render_rich(fixture_run, console, results_path="out/results.json")
    text = console.export_text()
    for title in ("DynamoDB  31/40", "ElastiCache", "Redis", "Cache-aside", "Latency"):
        assert title in text
    ttl = fixture_run.get("dynamodb_ttl_enabled")
    assert ttl.message in text
    assert f"  {ttl.hint}" in text  # the command alone on its line, under "fix:"
    assert "Score 85/98 (87 %)  37 pass, 3 fail, 1 error, 1 skip, 1 pending, 1 advice  in 12.3 s" in text
    assert "results: out/results.json" in text
    assert "\x1b[" in console.file.getvalue()  # type: ignore[attr-defined]  # coloured


def test_rich_scorecard_wraps_on_a_narrow_terminal_without_losing_the_fix(fixture_run: RunResult) -> None:
    console = terminal(width=60)
    scorecard.render_rich(fixture_run, console)
    squeezed = "".join(console.export_text().split())
    ttl = fixture_run.get("dynamodb_ttl_enabled")
    assert "".join(ttl.hint.split()) in squeezed


def test_a_section_not_in_the_lab_is_one_line(fixture_run: RunResult) -> None:
    import dataclasses

    checks = [
        dataclasses.replace(c, status="skip", message="not part of this lab (the lab spec has no [latency] section)")
        if c.section == "latency"
        else c
        for c in fixture_run.checks
    ]
    console = terminal()
    scorecard.render_rich(dataclasses.replace(fixture_run, checks=checks), console)
    assert "Latency  - not part of this lab (the lab spec has no [latency] section)" in console.export_text()


def test_show_is_plain_when_not_a_terminal(fixture_run: RunResult) -> None:
    lines: list[str] = []
    scorecard.show(fixture_run, console=pipe(), write=lines.append, results_path="r.json")
    assert "  FAIL        0/3  dynamodb_ttl_enabled" in lines
    ttl = fixture_run.get("dynamodb_ttl_enabled")
    assert lines[lines.index("            fix:") + 1] == f"              {ttl.hint}"  # the command alone on its line
    assert lines[-2:] == [
        "\nScore 85/98 (37 pass, 3 fail, 1 error, 1 skip, 1 pending, 1 advice) in 12.3 s",
        "results: r.json",
    ]
    assert not any("\x1b[" in line for line in lines)


def test_show_is_rich_on_a_terminal(fixture_run: RunResult) -> None:
    lines: list[str] = []
    console = terminal()
    scorecard.show(fixture_run, console=console, write=lines.append)
    assert lines == []
    assert "dynamodb_ttl_enabled" in console.export_text()


def test_dumb_terminal_gets_plain_lines() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100, _environ={"TERM": "dumb"})
    assert type(open_progress(console, write=lambda _line: None)) is PlainProgress


def test_plain_progress_prints_phases_long_checks_and_each_result(fixture_run: RunResult) -> None:
    lines: list[str] = []
    with PlainProgress(lines.append) as progress:
        progress.phase("sandbox: starting")
        progress.log("  solve: table created")
        progress.start_checks(2)
        progress.check_started("dynamodb_table_exists")  # short: no line
        progress.check_done(fixture_run.get("dynamodb_table_exists"))
        progress.check_started("redis_failover_recovers")
        progress.check_done(fixture_run.get("redis_failover_recovers"))
    assert lines == [
        "sandbox: starting",
        "  solve: table created",
        "  PASS        3/3  dynamodb_table_exists",
        f"  ...      {LONG_CHECKS['redis_failover_recovers']}",
        "  ERROR       0/2  redis_failover_recovers",
    ]
    assert progress.done == 2


def test_live_progress_on_a_terminal_prints_results_above_the_bar(fixture_run: RunResult) -> None:
    console = terminal()
    progress = open_progress(console)
    assert isinstance(progress, LiveProgress)
    with progress:
        progress.phase("sandbox: starting")
        progress.start_checks(len(fixture_run.checks))
        for check in fixture_run.checks:
            progress.check_started(check.id)
            progress.check_done(check)
    text = console.export_text()
    assert "sandbox: starting" in text
    assert "PENDING     0/3  dynamodb_gsi_configured" in text
    assert progress.done == len(fixture_run.checks)
