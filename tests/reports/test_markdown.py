"""Markdown summary: summary.md, appended to $GITHUB_STEP_SUMMARY; what to fix with the exact fix, no evidence."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from labgrader.reports import markdown
from labgrader.engine.results import RunResult


def test_written_and_appended_to_the_step_summary(tmp_path: Path, fixture_run: RunResult) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("previous step\n")
    path = markdown.write(fixture_run, tmp_path / "out", {"GITHUB_STEP_SUMMARY": str(summary)})
    assert path.name == "summary.md"
    assert summary.read_text() == "previous step\n" + path.read_text() + "\n"


def test_no_step_summary_without_the_variable(tmp_path: Path, fixture_run: RunResult) -> None:
    markdown.write(fixture_run, tmp_path, {})
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]


def test_score_misses_and_their_fixes(fixture_run: RunResult) -> None:
    text = markdown.render(fixture_run)
    assert text.startswith("## labgrader: lab week8 on local: 85 / 98 (87 %)")
    fix_section = text.split("### What to fix", 1)[1].split("<details>", 1)[0]
    for check in fixture_run.checks:
        if check.status in ("fail", "error", "pending") and check.visibility == "visible":
            assert f"**{check.id}**" in fix_section
            fix = "  - Fix:" + (f" {markdown.inline(check.hint_note)}" if check.hint_note else "")
            block = "".join(f"\n    {c}" for c in check.hint_commands)
            assert fix + (f"\n    ```bash{block}\n    ```" if block else "\n") in fix_section
    # Commands: a bash block of their own; the note: plain text, apart from it.
    assert "  - Fix:\n    ```bash\n    aws dynamodb update-time-to-live --table-name LabProducts" in fix_section
    assert "  - Fix: Grade again in a few minutes" in fix_section
    assert (
        "  - Fix: Start the sandbox again.\n    ```bash\n    labgrader sandbox down && labgrader sandbox up --detach"
        in fix_section
    )


def test_evidence_stays_out_and_hidden_checks_are_masked(fixture_run: RunResult) -> None:
    text = markdown.render(fixture_run)
    assert "describe_time_to_live" not in text
    hidden = fixture_run.get("cache_aside_value_fidelity")
    assert hidden.message not in text
    assert hidden.hint not in text
    assert f"**{hidden.id}**" in text


def test_table_cells_survive_pipes_and_html(fixture_run: RunResult) -> None:
    checks = [
        dataclasses.replace(c, message="a | b <script>x</script>\nsecond line") if c.id == "redis_reachable" else c
        for c in fixture_run.checks
    ]
    text = markdown.render(dataclasses.replace(fixture_run, checks=checks))
    row = next(line for line in text.splitlines() if "`redis_reachable`" in line)
    assert row.endswith("| a \\| b &lt;script&gt;x&lt;/script&gt; second line |")
    assert "<script>" not in text


def test_every_check_passing_says_so(fixture_run: RunResult) -> None:
    run = dataclasses.replace(fixture_run, checks=[dataclasses.replace(c, status="pass") for c in fixture_run.checks])
    text = markdown.render(run)
    assert "Every graded check passes." in text
    assert "### What to fix" not in text
