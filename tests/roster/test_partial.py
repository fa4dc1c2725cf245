"""An account whose role was assumed but whose checks could not look (AWS throttling or a timeout during grading):
its row says why, and the class run exits 3 as for an account that could not be graded at all — never a silent
`incomplete` with an empty reason and exit 0."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from labgrader.commands import roster as roster_command
from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK, EXIT_OK
from labgrader.roster import grading
from labgrader.roster.accounts import Instructor, Student
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.preflight import Preflight

ARN = "arn:aws:iam::123456789012:role/labgrader-grader"
THROTTLED = "Could not look: ThrottlingException: Rate exceeded (after 5 attempts)"


def _throttled_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    """AssumeRole and the identity probe succeed; every DynamoDB check then meets AWS's throttling."""
    monkeypatch.setattr(
        grading, "assume", lambda *_args: {"AccessKeyId": "a", "SecretAccessKey": "b", "SessionToken": "c"}
    )
    monkeypatch.setattr(grading.preflight, "run", lambda _target: Preflight("123456789012", ARN))

    def grade(spec: LabSpec, target: Target, *, out_dir: Path, **_options: Any) -> None:
        run = grading.error_run(spec, target.region, "unused")
        for index, check in enumerate(run.checks):
            if check.id.startswith("dynamodb"):
                run.checks[index] = dataclasses.replace(check, message=THROTTLED)
            else:
                run.checks[index] = dataclasses.replace(check, status="pass", points=check.max_points, message="")
        run.write(out_dir)

    monkeypatch.setattr(grading.runner, "grade", grade)


def test_a_throttled_account_is_graded_in_part_with_the_reason(
    week8: LabSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _throttled_grading(monkeypatch)
    student = Student(2, "alice", ARN)
    job = grading.Job(student, week8, Instructor(region="us-east-1"), "us-east-1", tmp_path, ("json",))
    outcome = grading.grade_student(job)
    assert outcome.status == "incomplete"
    assert outcome.unfinished_checks > 0
    assert outcome.reason == f"{outcome.unfinished_checks} required check(s) could not look: {THROTTLED}"
    assert grading.ClassRun([outcome]).unfinished == [outcome]
    assert grading.ClassRun([dataclasses.replace(outcome, unfinished_checks=0)]).unfinished == []


def test_the_class_run_exits_3_when_an_account_was_graded_in_part(
    week8: LabSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _throttled_grading(monkeypatch)
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(f"student_id,role_arn\nalice,{ARN}\n", encoding="utf-8")

    def in_process(jobs: list[grading.Job], _workers: int, on_done: grading.Progress) -> grading.ClassRun:
        result = grading.ClassRun([grading.grade_student(job) for job in jobs])
        for done, outcome in enumerate(result.outcomes, start=1):
            on_done(outcome, done, len(jobs))
        return result

    monkeypatch.setattr(roster_command, "grade_class", in_process)
    args = argparse.Namespace(
        roster=roster_file, shard=None, profile=None, region="us-east-1", endpoint_url=None, format=("json",),
        out=tmp_path / "out", jobs=1,
    )  # fmt: skip
    assert roster_command.grade(args, week8, []) == EXIT_COULD_NOT_LOOK
    captured = capsys.readouterr()
    assert "0 account(s) graded, 1 graded in part, 0 could not be graded." in captured.out
    assert captured.err.startswith("labgrader: alice: graded in part: ")
    assert THROTTLED in captured.err

    monkeypatch.setattr(grading.runner, "grade", lambda spec, target, *, out_dir, **_: _all_pass(spec, out_dir))
    assert roster_command.grade(args, week8, []) == EXIT_OK


def _all_pass(spec: LabSpec, out_dir: Path) -> None:
    run = grading.error_run(spec, "us-east-1", "unused")
    run.checks = [dataclasses.replace(c, status="pass", points=c.max_points, message="") for c in run.checks]
    run.write(out_dir)
