"""End to end: `labgrader grade --format ...` on the shared sandbox writes every format from one run, a broken
setup's reports show each miss's fix, a run that cannot start still leaves Gradescope/Classroom an explanation, and
`labgrader report` regenerates everything from a saved results.json."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from labgrader import cli, paths, reports
from labgrader.reports import classroom, markdown
from tests.conftest import closed_port, unique
from tests.reports.conftest import FIXTURE

ALL = "html,gradescope,classroom,junit,markdown"
SELECTED = "dynamodb_table_exists or dynamodb_table_keys_match or redis_reachable"


def broken_spec(tmp_path: Path) -> tuple[Path, str]:
    """The week-8 spec with a table nobody created."""
    table = unique("NoSuchProducts")
    text = paths.default_lab_spec().read_text(encoding="utf-8")
    data_dir = (paths.default_lab_spec().parent / "../data/batch").resolve()
    assert 'table = "LabProducts"' in text
    assert 'path = "../data/batch"' in text
    text = text.replace('table = "LabProducts"', f'table = "{table}"').replace(
        'path = "../data/batch"', f'path = "{data_dir}"'
    )
    spec = tmp_path / "broken.toml"
    spec.write_text(text, encoding="utf-8")
    return spec, table


@pytest.fixture
def ci_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    files = {"GITHUB_OUTPUT": tmp_path / "github_output", "GITHUB_STEP_SUMMARY": tmp_path / "step_summary.md"}
    for name, path in files.items():
        monkeypatch.setenv(name, str(path))
    return files


@pytest.fixture
def on_sandbox(solved: Any, sandbox_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared sandbox (week-8 reference applied), found by the CLI through LABGRADER_HOME."""
    monkeypatch.setenv("LABGRADER_HOME", str(sandbox_home))
    return sandbox_home


@pytest.mark.sandbox
@pytest.mark.usefixtures("on_sandbox")
def test_grade_writes_every_format_and_each_miss_shows_its_fix(
    tmp_path: Path, ci_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, table = broken_spec(tmp_path)
    out = tmp_path / "out"
    code = cli.main(
        [
            "grade",
            "--target",
            "local",
            "--lab",
            str(spec),
            "--out",
            str(out),
            "--format",
            ALL,
            "--student-id",
            "s-042",
            "--redis-url",
            f"redis://127.0.0.1:{closed_port()}/0",
            "--",
            "-k",
            SELECTED,
        ]
    )
    stdout = capsys.readouterr().out
    assert code == 1
    results = json.loads((out / "results.json").read_text())
    assert results["student_id"] == "s-042"
    status = {c["id"]: c for c in results["checks"]}
    assert status["dynamodb_table_exists"]["status"] == "fail"
    assert status["dynamodb_table_exists"]["hint"].startswith(f"aws dynamodb create-table --table-name {table}")
    assert status["redis_reachable"]["status"] == "error"
    misses = [c for c in results["checks"] if c["status"] in ("fail", "error", "pending")]
    assert len(misses) >= 2
    assert "reports: html " in stdout

    page = (out / "report.html").read_text()
    summary = (out / "summary.md").read_text()
    gradescope = json.loads((out / "results" / "results.json").read_text())
    gs_tests = {t["name"].split(":")[0]: t for t in gradescope["tests"]}
    (line,) = ci_env["GITHUB_OUTPUT"].read_text().splitlines()
    assert line.startswith("result=")
    room = classroom.decode(line.removeprefix("result="))
    room_tests = {t["name"]: t for t in room["tests"]}
    assert room == json.loads((out / "classroom.json").read_text())
    assert room["status"] == "fail"
    assert ci_env["GITHUB_STEP_SUMMARY"].read_text() == summary + "\n"
    # dynamodb_table_keys_match fails only because the table is missing: it names that check instead of its fix.
    assert status["dynamodb_table_keys_match"]["blocked_by"] == "dynamodb_table_exists"
    for blocked in (
        gs_tests["dynamodb_table_keys_match"]["output"],
        room_tests["dynamodb_table_keys_match"]["message"],
    ):
        assert "Blocked by dynamodb_table_exists: fix that first" in blocked
        assert "Fix:" not in blocked
    root_commands = "\n".join(status["dynamodb_table_exists"]["hint_commands"])
    assert page.count(html.escape(root_commands)) == 1
    assert summary.count(status["dynamodb_table_exists"]["hint_commands"][0] + "\n") == 1
    for miss in misses:
        assert miss["hint"], miss["id"]
        if miss.get("blocked_by"):
            continue
        assert miss["hint"] == ("\n".join(miss["hint_commands"]) or miss["hint_note"]), miss["id"]
        # The commands as a block (one per line, nothing else on their lines), the note apart from them.
        assert html.escape("\n".join(miss["hint_commands"])) in page, miss["id"]
        assert html.escape(miss["hint_note"]) in page, miss["id"]
        for command in miss["hint_commands"]:
            assert f"\n    {command}\n" in summary, miss["id"]
            assert f"{command}\n" in gs_tests[miss["id"]]["output"] + "\n", miss["id"]
            assert f"{command}\n" in room_tests[miss["id"]]["message"] + "\n", miss["id"]
        assert markdown.inline(miss["hint_note"]) in summary, miss["id"]
    assert gradescope["score"] == results["score"]

    xml = JUnitXml.fromfile(str(out / "junit.xml"))
    cases = {case.name: case for suite in xml for case in suite}
    assert set(cases) == {c["id"] for c in results["checks"]}
    assert isinstance(cases["dynamodb_table_exists"].result[0], Failure)
    assert isinstance(cases["redis_reachable"].result[0], Error)
    not_selected = next(c["id"] for c in results["checks"] if c["message"].startswith("not selected"))
    assert isinstance(cases[not_selected].result[0], Skipped)


def test_grading_that_cannot_start_still_explains_itself(
    tmp_path: Path, ci_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABGRADER_HOME", str(tmp_path / "no-sandbox-here"))
    out = tmp_path / "autograder"
    code = cli.main(["grade", "--target", "local", "--out", str(out), "--format", "gradescope,classroom"])
    assert code == 3
    assert "the sandbox is not running" in capsys.readouterr().err
    gradescope = json.loads((out / "results" / "results.json").read_text())
    assert gradescope["score"] == 0.0
    assert "Grading did not finish, so this score is not a grade: the sandbox is not running" in gradescope["output"]
    room = classroom.decode(ci_env["GITHUB_OUTPUT"].read_text().strip().removeprefix("result="))
    assert room["status"] == "error"
    assert "the sandbox is not running" in room["tests"][0]["message"]


def test_a_usage_error_after_parsing_still_explains_itself(tmp_path: Path, ci_env: dict[str, Path]) -> None:
    out = tmp_path / "autograder"
    missing = tmp_path / "nope.py"
    code = cli.main(["grade", "--solution", str(missing), "--out", str(out), "--format", "gradescope"])
    assert code == 2
    output = json.loads((out / "results" / "results.json").read_text())["output"]
    assert f"--solution {missing}: no such file" in output


def test_without_an_explicit_format_a_failed_start_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABGRADER_HOME", str(tmp_path / "no-sandbox-here"))
    assert cli.main(["grade", "--target", "local", "--out", str(tmp_path / "out")]) == 3
    assert not (tmp_path / "out").exists()


def test_an_unknown_format_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["grade", "--format", "html,pdf"])
    assert stopped.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "unknown report format 'pdf'" in line


def test_default_formats_add_classroom_only_inside_github_actions() -> None:
    assert reports.default_formats({}) == ("html", "markdown", "junit", "gradescope")
    assert reports.default_formats({"GITHUB_OUTPUT": "/tmp/x"})[-1] == "classroom"
    assert reports.parse_formats("all") == reports.FORMATS
    assert reports.parse_formats("json") == ()
    assert reports.parse_formats("md, xml") == ("markdown", "junit")


def test_report_regenerates_every_format_from_a_saved_results_json(
    tmp_path: Path, ci_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "regenerated"
    assert cli.main(["report", str(FIXTURE), "--out", str(out), "--format", "all"]) == 0
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == ["classroom.json", "junit.xml", "report.html", "results.json", "results/results.json", "summary.md"]
    assert json.loads((out / "results.json").read_text()) == json.loads(FIXTURE.read_text())
    assert "Score 85/98" in capsys.readouterr().out


def test_report_on_a_broken_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "results.json"
    bad.write_text("[]")
    assert cli.main(["report", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"labgrader: {bad}: not a labgrader results.json (expected a JSON object, found list)."


@pytest.mark.sandbox
def test_the_aws_account_comes_from_the_preflight_sts_call(local_target: Any) -> None:
    import dataclasses

    from labgrader.targets import preflight
    from labgrader.commands.common import identity_fields

    as_aws = dataclasses.replace(local_target, name="aws")  # moto answers STS like AWS does
    fields = identity_fields("s-1", preflight.run(as_aws))
    assert fields["student_id"] == "s-1"
    assert fields["aws_account_id"] == "123456789012"
    assert fields["caller_arn"].startswith("arn:aws:")
    assert identity_fields(None, preflight.run(local_target)) == {}  # the sandbox's account means nothing
