"""Redaction that cannot damage files: the scrubber rewrites only the files a run wrote, named by path, never through
a symbolic link and never outside --out; the sandbox's public credentials are not secrets; real secrets are masked
as such, reversed and base64-encoded, also when a check's message carries them (a grading run on a crafted check
folder, every report format written from it)."""

from __future__ import annotations

import base64
import json
import os
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labgrader import paths, reports
from labgrader.engine import catalog, runner
from labgrader.engine.redaction import Redactor
from labgrader.engine.results import RESULTS_FILE
from labgrader.reports import junit
from labgrader.reports.model import load_run
from labgrader.sandbox.state import SANDBOX_SECRET_KEY
from labgrader.spec import load_spec
from labgrader.targets.base import Target

SECRET_KEY = "FAKEsecretKEY0000aaaa1111bbbb2222cccc3333"
SESSION_TOKEN = "FAKEsessionTOKEN9999zzzz8888yyyy7777"
# Characters JSON, HTML and XML escape: the secret must be found in its escaped form too.
REDIS_PASSWORD = 'FAKE"redis<pass>&word-4242'
PLANTED = (SECRET_KEY, SESSION_TOKEN, REDIS_PASSWORD)


def encoded_forms(secret: str) -> list[str]:
    """The base64 text (standard alphabet) that encodes only the secret's bytes when the secret sits at each of the
    three alignments inside a longer base64 encoding."""
    found = []
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + secret.encode() + b"tail").decode()
        start = 4 if prefix else 0  # the first group mixes in the prefix
        end = 4 * ((len(prefix) + len(secret.encode())) // 3)  # groups made of the secret's bytes alone
        found.append(encoded[start:end])
    return found


def every_form(secret: str) -> list[str]:
    return [secret, secret[::-1], *encoded_forms(secret)]


def leaks(text: str) -> list[str]:
    return [form for secret in PLANTED for form in every_form(secret) if form in text]


@pytest.fixture
def planted_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("REDIS_PASSWORD", REDIS_PASSWORD)


def carrier(secret: str) -> str:
    """Text carrying `secret` in every form: plain, reversed, and inside base64 at each alignment."""
    wrapped = [base64.b64encode(prefix + secret.encode() + b"!").decode() for prefix in (b"", b"a", b"ab")]
    return f"plain {secret} reversed {secret[::-1]} base64 {' '.join(wrapped)}"


def test_planted_secrets_are_masked_in_every_form(planted_env: None) -> None:
    redactor = Redactor.from_environment()
    text = " | ".join(carrier(s) for s in PLANTED)
    assert leaks(text)  # the carrier does carry them
    cleaned = redactor(text)
    assert leaks(cleaned) == []
    assert cleaned.count("***") >= 5 * len(PLANTED)


def test_the_sandbox_credentials_are_not_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "labgrader")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_SECRET_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://:labgrader@127.0.0.1:6390/0")
    redactor = Redactor.from_environment("redis://:labgrader@127.0.0.1:6391/0")
    assert redactor.values == []
    text = '{"labgrader_version": "1.0", "__labgrader__": "labgrader rednargbal"}'
    assert redactor(text) == text


def _plant_out(root: Path) -> tuple[Path, dict[Path, bytes]]:
    """An --out folder as on Gradescope (/autograder): the autograder's and the student's files next to the run's
    results.json and junit.xml, and a symbolic link pointing outside --out."""
    out = root / "autograder"
    outside = root / "elsewhere.txt"
    outside.write_text(f"labgrader {SECRET_KEY}\n")
    foreign = {
        out / "source" / "run_autograder": f"#!/bin/sh\nlabgrader grade --out /autograder  # {SECRET_KEY}\n",
        out / "submission" / "cache_aside.py": f"# labgrader lab, token {SESSION_TOKEN}\n",
        out / "results" / "notes.json": json.dumps({"labgrader_version": SECRET_KEY}),
    }
    for path, text in foreign.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (out / "link-outside.txt").symlink_to(outside)
    snapshot = {p: p.read_bytes() for p in [*foreign, outside]}
    return out, snapshot


def test_only_the_files_named_are_rewritten_and_stay_valid(tmp_path: Path, planted_env: None) -> None:
    out, snapshot = _plant_out(tmp_path)
    results = out / RESULTS_FILE
    results.write_text(
        json.dumps(
            {
                "lab": "week8",
                "labgrader_version": "0.1",
                "run_id": "labgrader",
                "checks": [
                    {"id": "redis_reachable", "message": carrier(REDIS_PASSWORD), "evidence": {"k": SECRET_KEY}}
                ],
            },
            indent=2,
        )
    )
    results.chmod(0o640)
    xml = out / "junit.xml"
    case = ET.Element("testcase", {"name": "redis_reachable", "message": SESSION_TOKEN})
    case.text = carrier(REDIS_PASSWORD)
    ET.ElementTree(case).write(xml, encoding="utf-8", xml_declaration=True)

    changed = Redactor.from_environment().scrub_files(out, [results, xml])

    assert changed == [results, xml]
    assert {p: p.read_bytes() for p in snapshot} == snapshot  # foreign files and the link's target: byte-identical
    assert (out / "link-outside.txt").readlink() == tmp_path / "elsewhere.txt"
    data = json.loads(results.read_text())
    assert sorted(data) == ["checks", "lab", "labgrader_version", "run_id"]  # keys intact, no "***_version"
    assert data["run_id"] == "labgrader"
    assert leaks(results.read_text()) == []
    assert results.stat().st_mode & 0o777 == 0o640
    root = ET.parse(xml).getroot()  # noqa: S314 - still XML (the test's own file)
    assert root.get("message") == "***"
    assert leaks(ET.tostring(root, encoding="unicode")) == []
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["source", "submission", "results", "link-outside.txt", "results.json", "junit.xml"]
    )  # no temporary file left behind


def test_a_symbolic_link_at_a_report_name_is_not_followed(tmp_path: Path, planted_env: None) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "autograder-source.json"
    target.write_text(json.dumps({"token": SECRET_KEY}))
    (out / RESULTS_FILE).symlink_to(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "junit.xml").write_text(f"<testsuites name='{SESSION_TOKEN}'/>")
    (out / "reports").symlink_to(elsewhere, target_is_directory=True)
    before = target.read_bytes(), (elsewhere / "junit.xml").read_bytes()

    changed = Redactor.from_environment().scrub_files(out, [out / RESULTS_FILE, out / "reports" / "junit.xml"])

    assert changed == []
    assert (target.read_bytes(), (elsewhere / "junit.xml").read_bytes()) == before
    assert (out / RESULTS_FILE).is_symlink()


def test_nothing_outside_out_and_nothing_but_regular_files(tmp_path: Path, planted_env: None) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "results.json"
    outside.write_text(json.dumps({"token": SECRET_KEY}))
    os.mkfifo(out / "junit.xml")  # a FIFO: opened without blocking, then refused
    before = outside.read_bytes()
    paths_given = [outside, out / ".." / "results.json", out / "junit.xml", out / "missing.json"]
    assert Redactor.from_environment().scrub_files(out, paths_given) == []
    assert outside.read_bytes() == before


def test_the_runner_scrubs_only_results_json_and_its_junit_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.written_files(out, ["-k", "x"]) == [out / RESULTS_FILE]
    assert runner.written_files(out, junit.pytest_options(out / "junit.xml", "week8")) == [
        out / RESULTS_FILE,
        out / "junit.xml",
    ]


CHECK = """\
import base64, os
from labgrader.engine.check import check
from labgrader.engine.verdict import fail

@check({check_id!r}, points=2, objective="An objective.", hint="labgrader sandbox up")
def {check_id}(lab):
    secret = os.environ[{variable!r}]
    wrapped = base64.b64encode(b"ab" + secret.encode() + b"!").decode()
    message = f"Redis said {{secret}} ({{secret[::-1]}}), encoded {{wrapped}}."
    fail(message, observed=secret, extra={{"encoded": [wrapped]}})
"""


def test_a_check_message_carrying_secrets_reaches_no_report(
    tmp_path: Path, planted_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A grading run (crafted check folder) whose checks fail with the grader's secrets in their message and evidence,
    then every report written as `labgrader grade` writes them: no secret in any form, in any file or output."""
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github-output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step-summary.md"))
    checks = tmp_path / "checks"
    for check_id, variable in (
        ("redis_reachable", "REDIS_PASSWORD"),
        ("dynamodb_table_exists", "AWS_SECRET_ACCESS_KEY"),
        ("dynamodb_ttl_enabled", "AWS_SESSION_TOKEN"),
    ):
        path = checks / catalog.BY_ID[check_id].section / f"{check_id}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(CHECK.format(check_id=check_id, variable=variable)))
    out = tmp_path / "out"
    target = Target(name="local", region="us-east-1", region_source="test", endpoint_url="http://127.0.0.1:9")
    junit_path = out / junit.FILE_NAME
    run = runner.grade(
        load_spec(paths.default_lab_spec()),
        target,
        out_dir=out,
        checks_dir=checks,
        extra_args=junit.pytest_options(junit_path, "week8"),
    )
    assert run.get("redis_reachable").status == "fail"
    assert leaks(json.dumps(run.to_dict())) == []  # the result the caller gets back is redacted too
    assert "***" in run.get("redis_reachable").message
    written = reports.write_reports(load_run(out / RESULTS_FILE), out, reports.FORMATS, junit_path=junit_path)
    assert set(written) == {"json", *reports.FORMATS}
    files = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(checks)]
    assert {out / RESULTS_FILE, tmp_path / "github-output", tmp_path / "step-summary.md"} <= set(files)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert leaks(text) == [], path
    classroom_payload = (tmp_path / "github-output").read_text().split("=", 1)[1]
    assert leaks(base64.b64decode(classroom_payload).decode()) == []
    assert "labgrader sandbox up" in (out / RESULTS_FILE).read_text()  # the word labgrader is never masked
