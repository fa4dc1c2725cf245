"""Root causes first, advice apart: a check that fails only because another one is not met is listed under that
root cause (with its points) instead of repeating its fix, and an advisory miss reads ADVICE, not FAIL, in every
format.

`results-missing-table.json` is a real run (`labgrader grade --target local` on a sandbox with the reference
solution applied, then `aws dynamodb delete-table --table-name LabProducts`): the table's ~900-character create-table
command used to be repeated for every check that needs the table.
"""

from __future__ import annotations

import dataclasses
import html as htmllib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from junitparser import Failure, JUnitXml, Skipped
from rich.console import Console

from labgrader.engine import catalog
from labgrader.reports import scorecard
from labgrader.reports import classroom, gradescope, html, junit, markdown
from labgrader.reports.model import blocked_roots, label, root_causes, run_from_dict, split_hint
from labgrader.engine.results import CheckResult, RunResult

MISSING_TABLE = Path(__file__).with_name("results-missing-table.json")
ROOT = "dynamodb_table_exists"


@pytest.fixture
def missing_table() -> RunResult:
    return run_from_dict(json.loads(MISSING_TABLE.read_text(encoding="utf-8")))


def _blocked(run: RunResult) -> list[CheckResult]:
    return [c for c in run.checks if c.blocked_by is not None]


def _command(run: RunResult) -> str:
    command = split_hint(run.get(ROOT).hint)[1]
    assert len(command) > 500  # the long create-table command that was repeated
    return command


def _plain(run: RunResult) -> str:
    lines: list[str] = []
    scorecard.render(run, lines.append)
    return "\n".join(lines)


def _rich(run: RunResult, width: int = 160) -> Console:
    console = Console(file=io.StringIO(), force_terminal=True, width=width, color_system="truecolor", record=True)
    scorecard.render_rich(run, console)
    return console


def _replace(run: RunResult, check_id: str, **changes: Any) -> RunResult:
    checks = [dataclasses.replace(c, **changes) if c.id == check_id else c for c in run.checks]
    return dataclasses.replace(run, checks=checks)


# --- where blocked_by comes from, and how it resolves ----------------------------------------------------------


def test_the_prerequisite_a_fail_names_is_its_blocked_by() -> None:
    message = "DynamoDB table T was not found, so its keys cannot match (prerequisite: dynamodb_table_exists)."
    assert catalog.prerequisite_named(message) == "dynamodb_table_exists"
    assert catalog.prerequisite_named("GSI x missing (TestFailover needs it; prerequisite: no_such_check).") is None
    assert catalog.prerequisite_named("DynamoDB table T has TTL DISABLED; expected ENABLED.") is None


def test_the_real_run_records_blocked_by_in_results_json(missing_table: RunResult) -> None:
    raw = {c["id"]: c for c in json.loads(MISSING_TABLE.read_text(encoding="utf-8"))["checks"]}
    assert "blocked_by" not in raw[ROOT]  # an extra field, only where it says something
    assert "blocked_by" not in raw["redis_reachable"]
    assert raw["dynamodb_ttl_enabled"]["blocked_by"] == ROOT
    assert raw["cache_aside_miss_populates"]["blocked_by"] == ROOT
    # Existing fields keep their meaning: a blocked check is still a `fail` with its own message and hint.
    assert raw["dynamodb_ttl_enabled"]["status"] == "fail" and raw["dynamodb_ttl_enabled"]["hint"]
    assert len(_blocked(missing_table)) == 25


def test_chains_resolve_to_their_root_and_a_passing_prerequisite_blocks_nothing(missing_table: RunResult) -> None:
    # keys_match → table_exists: a check blocked by keys_match is listed under the table.
    run = _replace(missing_table, "cache_aside_ttl_set", blocked_by="dynamodb_table_keys_match")
    assert blocked_roots(run)["cache_aside_ttl_set"] == ROOT
    # Once the table exists, nothing is blocked by it: each check shows its own fix again.
    fixed = _replace(run, ROOT, status="pass", hint="")
    fixed = _replace(fixed, "dynamodb_table_keys_match", status="pass", hint="")
    assert blocked_roots(fixed) == {}
    assert {c.id for c, _ in root_causes(fixed)} >= {"dynamodb_ttl_enabled", "cache_aside_ttl_set"}


def test_a_cycle_of_crafted_blocked_by_fields_does_not_hang(missing_table: RunResult) -> None:
    run = _replace(missing_table, ROOT, blocked_by="dynamodb_table_keys_match")
    roots = blocked_roots(run)
    assert ROOT not in roots and "dynamodb_table_keys_match" not in roots  # each shows its own fix again
    assert {ROOT, "dynamodb_table_keys_match"} <= {c.id for c, _ in root_causes(run)}
    data = json.loads(MISSING_TABLE.read_text(encoding="utf-8"))
    data["checks"][1]["blocked_by"] = "<script>"  # not a catalog ID: ignored
    assert run_from_dict(data).checks[1].blocked_by is None


def test_the_root_cause_is_listed_once_with_everything_it_blocks(missing_table: RunResult) -> None:
    ((root, blocked),) = [(c, b) for c, b in root_causes(missing_table) if b]
    assert root.id == ROOT
    assert [c.id for c in blocked] == [c.id for c in _blocked(missing_table)]
    assert [c.id for c, _ in root_causes(missing_table)] == [ROOT]


# --- every human-facing format: the fix once, the blocked checks under it with their points -------------------


def test_plain_scorecard_shows_the_fix_once_and_the_blocked_checks_with_points(missing_table: RunResult) -> None:
    text = _plain(missing_table)
    assert text.count(_command(missing_table)) == 1
    assert "blocks 25 checks, 59 points:" in text
    listed = text.split("blocks 25 checks, 59 points:")[1].split("\n  FAIL")[0]
    for check in _blocked(missing_table):
        assert f"{check.id} {scorecard._points(check)}" in listed, check.id
        assert f"{scorecard.progress_line(check)}  (blocked by {ROOT}: fix that first)" in text.splitlines()
    assert len(text) < 9000  # main printed 22,327 characters, the command 17 times


def test_rich_scorecard_shows_the_fix_once(missing_table: RunResult) -> None:
    squeezed = "".join(_rich(missing_table).export_text().split())
    assert squeezed.count("".join(_command(missing_table).split())) == 1
    assert "blocks25checks,59points:" in squeezed
    assert squeezed.count(f"(blockedby{ROOT}:fixthatfirst)") == 25


def test_html_shows_the_fix_once_and_links_the_blocked_checks(missing_table: RunResult) -> None:
    page = html.render(missing_table)
    assert page.count(htmllib.escape(_command(missing_table))) == 1
    assert "Blocks 25 checks, 59 points" in page
    for check in _blocked(missing_table):
        assert f'<a href="#c-{check.id}"><code>{check.id}</code></a> <span class="pts">0/' in page or (
            check.max_points == 0
        )
    assert page.count(f'Blocked by <a href="#c-{ROOT}"><code>{ROOT}</code></a>') == 25
    assert '<span class="pts">1</span></h2>' in page  # "What to fix" counts root causes: one


def test_markdown_shows_the_fix_once_and_the_blocked_checks_under_it(missing_table: RunResult) -> None:
    text = markdown.render(missing_table)
    assert text.count(f"    {_command(missing_table)}\n") == 1  # once, in the root cause's command block
    assert "  - Blocks 25 checks, 59 points:" in text
    assert "    - `dynamodb_ttl_enabled` (0/3)" in text
    assert text.count(f"blocked by {markdown.inline(ROOT)}") == 25  # in the table of every check


def test_junit_gradescope_classroom_say_blocked_by_instead_of_the_fix(tmp_path: Path, missing_table: RunResult) -> None:
    command = _command(missing_table)
    cases = {
        case.name: case for suite in JUnitXml.fromfile(str(junit.write(missing_table, tmp_path))) for case in suite
    }
    ttl = cases["dynamodb_ttl_enabled"].result[0]
    assert isinstance(ttl, Failure)
    assert ttl.message.startswith(f"blocked by {ROOT}: ")
    assert command not in (ttl.text or "")
    assert command in (cases[ROOT].result[0].text or "")
    tests = {t["name"].split(":")[0]: t for t in gradescope.build(missing_table)["tests"]}
    assert tests["dynamodb_ttl_enabled"]["output"].endswith(
        f"Blocked by {ROOT}: fix that first (its fix is shown with it); this check is graded then."
    )
    assert sum(command in t["output"] for t in tests.values()) == 1
    assert f"To fix first: {ROOT}." in gradescope.build(missing_table)["output"]
    room = {t["name"]: t for t in classroom.build(missing_table)["tests"]}
    assert sum(command in t["message"] for t in room.values()) == 1
    assert "Blocked by dynamodb_table_exists" in room["cache_aside_miss_populates"]["message"]


# --- advisory misses: ADVICE, not FAIL ------------------------------------------------------------------------


@pytest.fixture
def advice_run(fixture_run: RunResult) -> RunResult:
    pitr = fixture_run.get("dynamodb_pitr_enabled")
    assert (pitr.status, pitr.required, pitr.max_points) == ("fail", False, 0.0)
    return fixture_run


def test_scorecard_prints_advice_in_its_own_colour(advice_run: RunResult) -> None:
    text = _plain(advice_run)
    assert "  ADVICE        -  dynamodb_pitr_enabled" in text.splitlines()
    assert "FAIL" not in next(line for line in text.splitlines() if "dynamodb_pitr_enabled" in line)
    lines = text.splitlines()
    fix = lines.index("            fix:", lines.index("  ADVICE        -  dynamodb_pitr_enabled"))
    assert lines[fix + 1] == f"              {advice_run.get('dynamodb_pitr_enabled').hint}"
    assert "1 advice" in text
    console = _rich(advice_run)
    assert "ADVICE" in console.export_text()
    assert "\x1b[1;35mADVICE" in console.file.getvalue()  # type: ignore[attr-defined]  # bold magenta, not red
    assert label(advice_run.get("dynamodb_ttl_enabled")) == "FAIL"  # a required miss stays FAIL


def test_html_badge_and_row_use_the_advice_colour(advice_run: RunResult) -> None:
    page = html.render(advice_run)
    assert '<span class="badge advice">ADVICE</span><code class="cid">dynamodb_pitr_enabled</code>' in page
    assert '<li class="advice" id="c-dynamodb_pitr_enabled">' in page
    assert ".advice{--c:var(--advice)}" in page and "--advice:#8250df" in page
    assert '<li class="advice">1 advice</li>' in page


def test_markdown_marks_advice_with_its_own_icon(advice_run: RunResult) -> None:
    text = markdown.render(advice_run)
    assert (
        "- 💡 **dynamodb\\_pitr\\_enabled** (ADVICE, -)" in text or "- 💡 **dynamodb_pitr_enabled** (ADVICE, -)" in text
    )
    assert "| 💡 | `dynamodb_pitr_enabled` |" in text


def test_junit_advice_is_skipped_with_its_message_not_a_failure(tmp_path: Path, advice_run: RunResult) -> None:
    cases = {case.name: case for suite in JUnitXml.fromfile(str(junit.write(advice_run, tmp_path))) for case in suite}
    (outcome,) = cases["dynamodb_pitr_enabled"].result
    assert isinstance(outcome, Skipped)
    assert outcome.type == "advice"
    assert outcome.message.startswith("ADVICE (advisory: it never fails the lab): DynamoDB table LabProducts has point-in-time")
    assert advice_run.get("dynamodb_pitr_enabled").hint in (outcome.text or "")


def test_gradescope_and_classroom_keep_their_status_and_say_advice(advice_run: RunResult) -> None:
    # Gradescope's contract: "passed" or "failed"; Classroom's: pass/fail/error (tests/reports/test_report_contracts.py).
    test = next(t for t in gradescope.build(advice_run)["tests"] if t["name"].startswith("dynamodb_pitr_enabled"))
    assert (test["status"], test["score"], test["max_score"]) == ("failed", 0.0, 0.0)
    assert test["output"].startswith("ADVICE (advisory: it never fails the lab): ")
    room = next(t for t in classroom.build(advice_run)["tests"] if t["name"] == "dynamodb_pitr_enabled")
    assert room["status"] == "fail"
    assert room["message"].startswith("ADVICE (advisory")
