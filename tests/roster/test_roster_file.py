"""The roster file and the roster options: every bad row is one line naming the file, line and field, exit 2,
before anything runs; shards split the roster stably; the class report escapes what students control."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labgrader.engine.results import CheckResult, RunResult
from labgrader.reports import classreport
from labgrader.roster import accounts as roster

ARN = "arn:aws:iam::123456789012:role/labgrader-grader"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_roster_with_optional_columns_in_any_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Role_ARN,student_id,region,external_id,redis_url\n"
        f"{ARN},alice,eu-west-1,course-2026,redis://127.0.0.1:6380/0\n"
        "\n"
        f"arn:aws:iam::210987654321:role/grader,bob/../x,,,\n",
    )
    alice, bob = roster.load(path)
    assert (alice.student_id, alice.region, alice.external_id, alice.redis_url) == (
        "alice",
        "eu-west-1",
        "course-2026",
        "redis://127.0.0.1:6380/0",
    )
    assert alice.account == "123456789012"
    assert (bob.line, bob.region, bob.external_id, bob.redis_url) == (4, None, None, None)
    assert bob.folder == "bob_.._x"  # never a path outside --out
    assert bob.session_name == "labgrader-bob_.._x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("student,role_arn\n", "line 1: unknown column 'student'"),
        ("student_id,region\n", "line 1: no role_arn column"),
        ("student_id,role_arn\n", "a header but no student rows"),
        (f"student_id,role_arn\n,{ARN}\n", "line 2: empty student_id"),
        ("student_id,role_arn\nalice,arn:aws:iam::12:role/x\n", "line 2: role_arn 'arn:aws:iam::12:role/x' is not"),
        (f"student_id,role_arn,region\nalice,{ARN},mars-1\n", "line 2: region 'mars-1' is not an AWS region"),
        (f"student_id,role_arn,redis_url\nalice,{ARN},http://x\n", "line 2: redis_url must look like"),
        (f"student_id,role_arn,external_id\nalice,{ARN},a b\n", "line 2: external_id must be"),
        (f"student_id,role_arn\nalice,{ARN},extra\n", "line 2: 3 fields for 2 columns"),
        (f"student_id,role_arn\na/b,{ARN}\na_b,{ARN}\n", "line 3: student_id 'a_b' has the same results folder"),
        (f"student_id,role_arn\nAlice,{ARN}\nalice,{ARN}\n", "line 3: student_id 'alice' has the same results"),
    ],
)
def test_a_bad_roster_is_one_line_naming_the_row(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(roster.RosterError) as raised:
        roster.load(write(tmp_path, text))
    assert expected in str(raised.value)
    assert raised.value.exit_code == 2


def test_shards_cover_the_roster_once_in_row_order() -> None:
    students = [roster.Student(n, f"s{n}", ARN) for n in range(2, 12)]
    slices = [roster.shard(students, index, 3) for index in (1, 2, 3)]
    assert sorted(s.line for part in slices for s in part) == [s.line for s in students]
    assert [s.student_id for s in slices[1]] == ["s3", "s6", "s9"]
    assert roster.parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "2", "a/b"):
        with pytest.raises(ValueError, match="--shard"):
            roster.parse_shard(bad)


def run_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    env |= {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    # An endpoint nothing listens on: a run that got past validation would show up as error rows, not exit 2.
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    return subprocess.run(
        [sys.executable, "-m", "labgrader", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("grade", "--target", "local", "--roster", "r.csv"), "use it with --target aws"),
        (("grade", "--target", "aws", "--jobs", "3"), "--jobs needs --roster"),
        (("grade", "--target", "aws", "--roster", "r.csv", "--jobs", "0"), "--jobs must be between"),
        (("grade", "--target", "aws", "--roster", "r.csv", "--shard", "5/4"), "--shard '5/4'"),
        (("grade", "--target", "aws", "--roster", "missing.csv"), "--roster missing.csv: no such file"),
        (("grade", "--target", "aws", "--roster", "r.csv", "--redis-url", "redis://x"), "redis_url column"),
        (("cleanup", "--target", "aws", "--roster", "bad.csv"), "bad.csv line 2: role_arn"),
        (("policy", "--role-for", "12345"), "12-digit AWS account ID"),
        (("policy", "--external-id", "abc"), "--external-id goes with --role-for"),
    ],
)
def test_roster_usage_errors_exit_2_in_one_line_before_anything_runs(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    (tmp_path / "r.csv").write_text(f"student_id,role_arn\nalice,{ARN}\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("student_id,role_arn\nalice,not-an-arn\n", encoding="utf-8")
    done = run_cli(*args, tmp_path=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert not (tmp_path / "reports").exists()  # nothing graded, nothing written


def test_the_class_report_escapes_what_students_control() -> None:
    hostile = '<script>alert("x")</script>'
    check = CheckResult(
        "dynamodb_ttl_enabled", "fail", 0, 4, True, hostile, f"aws dynamodb update-time-to-live {hostile}", {}, 0.0
    )
    run = RunResult("week8", "aws", "2026-12-06T00:00:00+00:00", 1.0, [check])
    rows = [
        classreport.StudentRow(hostile, "123456789012", "x", "fail", 0, 4, "", run),
        classreport.StudentRow("b", "210987654321", "b", "error", 0, 4, hostile, None),
    ]
    page = classreport.render(hostile, rows, 1.0)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert classreport.common_misses(rows)[0][:2] == ("dynamodb_ttl_enabled", 1)
    assert classreport.pass_rates(rows) == [("dynamodb_ttl_enabled", 0, 1)]
