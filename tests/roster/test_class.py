"""A simulated class of 30 students on one sandbox, graded with `grade --target aws --roster` and swept with
`cleanup --target aws --roster`: every student's verdicts, the gradebook and the class report.

Each student is a moto account (moto keys its backends by the assumed role's account ID). Moto's STS assumes any
role, so roles that cannot be assumed (AccessDenied, or Throttling past every retry) are answered by a loopback
proxy in front of moto's STS (simulated_class.refusing_sts), reached through boto3's own AWS_ENDPOINT_URL_STS.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labgrader.engine import catalog
from labgrader.roster.accounts import NO_REDIS_URL
from labgrader.sandbox.state import SandboxState
from labgrader.spec import LabSpec
from tests.roster import simulated_class as sc

CLASS = {"reference": 22, "no_ttl": 3, "nothing": 2, "refused": 2, "throttled": 1}
NOT_GRADED = {"refused": "AccessDenied", "throttled": "Throttling"}
# moto has no cache parameter groups (DescribeCacheParameters answers 500): on an emulator endpoint that check
# cannot look, so the class run deselects it (it then reports `skip`, "not selected").
NOT_ON_MOTO = ("--", "-k", "not elasticache_parameter_group_eviction_policy")
REDIS_CHECKS = {c for c in catalog.ids_for_phase("grade") if catalog.BY_ID[c].section == "redis"}


def labgrader(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labgrader", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def sts_proxy(sandbox: SandboxState) -> Iterator[str]:
    with sc.refusing_sts(sandbox.moto_url) as url:
        yield url


@pytest.fixture(scope="module")
def instructor_env(sandbox: SandboxState, sts_proxy: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The instructor's shell: the sandbox's moto as the AWS endpoint, STS through the refusing proxy."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    return clean | {
        "AWS_ENDPOINT_URL": sandbox.moto_url,
        "AWS_ENDPOINT_URL_STS": sts_proxy,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": sandbox.region,
        "LABGRADER_HOME": str(tmp_path_factory.mktemp("roster-home")),
    }


@pytest.fixture(scope="module")
def graded_class(
    week8: LabSpec, sandbox: SandboxState, instructor_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[sc.Student], Path, subprocess.CompletedProcess[str]]:
    students = sc.make_class(CLASS, first_account=1)
    sc.build(week8, sandbox.moto_url, sandbox.region, [s for s in students if s.kind not in NOT_GRADED])
    folder = tmp_path_factory.mktemp("class")
    roster = sc.write_roster(folder / "roster.csv", students)
    out = folder / "out"
    done = labgrader(
        "grade", "--target", "aws", "--roster", str(roster), "--out", str(out), "--jobs", "2",
        "--format", "json,html", *NOT_ON_MOTO, env=instructor_env,
    )  # fmt: skip
    return students, out, done


@pytest.mark.slow  # grading the 30-account class: ≈ 55 s
def test_every_student_of_the_class_gets_their_verdicts(graded_class: tuple[list[sc.Student], Path, Any]) -> None:
    students, out, done = graded_class
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 3, done.stderr  # three accounts could not be graded (refused, throttled)
    assert f"{len(students) - 3} account(s) graded, 3 could not be graded" in done.stdout
    for student in students:
        data = sc.results(out, student)
        assert data["student_id"] == student.student_id
        statuses = {c["id"]: c["status"] for c in data["checks"]}
        messages = {c["id"]: c["message"] for c in data["checks"]}
        assert set(statuses) == set(catalog.ids_for_phase("grade"))
        if student.kind in NOT_GRADED:
            assert set(statuses.values()) == {"error"}
            assert NOT_GRADED[student.kind] in data["roster_error"]
            assert student.account in data["roster_error"]
            continue
        assert data["aws_account_id"] == student.account  # graded in the student's own account
        for check_id in REDIS_CHECKS:  # no redis_url in the roster: skip with that reason, never error
            assert statuses[check_id] == "skip", (student.student_id, check_id)
            assert NO_REDIS_URL in messages[check_id]
        assert statuses["elasticache_parameter_group_eviction_policy"] == "skip"
        failed = {check_id for check_id, status in statuses.items() if status == "fail"}
        assert "error" not in statuses.values(), (student.student_id, messages)
        if student.kind == "reference":
            assert failed == set(), (student.student_id, {c: messages[c] for c in failed})
            assert data["exit_code"] == 0
            assert statuses["dynamodb_ttl_enabled"] == "pass"
            assert statuses["elasticache_replication_group_available"] == "pass"
        elif student.kind == "no_ttl":
            assert failed == {"dynamodb_ttl_enabled"}, student.student_id
        else:  # nothing: no table, no replication group
            assert {"dynamodb_table_exists", "elasticache_replication_group_available"} <= failed
            assert "pass" not in {statuses[c] for c in statuses if c.startswith(("dynamodb_", "elasticache_"))}


def test_the_gradebook_has_one_row_per_student_and_the_pass_rates(
    graded_class: tuple[list[sc.Student], Path, Any],
) -> None:
    students, out, _done = graded_class
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))
    by_student = {row["student"]: row for row in rows[:-1]}
    assert sorted(by_student) == sorted(s.student_id for s in students)
    for student in students:
        row = by_student[student.student_id]
        assert row["identity_source"] == "student_id"
        expected_ttl = {"reference": "pass", "no_ttl": "fail", "nothing": "fail"}.get(student.kind, "error")
        assert row["dynamodb_ttl_enabled"] == expected_ttl, student.student_id
        if student.kind == "reference":
            assert row["score"] == row["max_score"] != "0"
    rate = rows[-1]
    assert rate["student"] == f"pass rate (n={len(students)})"
    # TTL passes for the 22 reference students, out of the 30 rows that graded it (the not-graded rows say error).
    assert rate["dynamodb_ttl_enabled"] == f"{100 * 22 / 30:.1f}%"


def test_the_class_report_shows_every_student_the_rates_and_the_common_misses(
    graded_class: tuple[list[sc.Student], Path, Any],
) -> None:
    students, out, _done = graded_class
    page = (out / "class.html").read_text(encoding="utf-8")
    for student in students:  # each name links the student's own report
        assert f'<a href="{student.student_id}/report.html">{student.student_id}</a>' in page
        assert (out / student.student_id / "report.html").is_file()
    assert "27 graded · 3 could not be graded" in page
    misses = page.split('id="misses"', 1)[1].split("</section>", 1)[0]
    # The most common miss is TTL (3 no_ttl + 2 nothing), with its fix.
    assert misses.index("dynamodb_ttl_enabled") < misses.index("dynamodb_table_exists")
    assert "5 FAIL" in misses
    assert "aws dynamodb update-time-to-live" in misses
    rates = page.split('id="rates"', 1)[1].split("</section>", 1)[0]
    assert "<code>dynamodb_ttl_enabled</code>" in rates
    assert "22/27" in rates


def test_a_student_with_a_redis_url_gets_the_data_plane_graded(
    solved: LabSpec, sandbox: SandboxState, instructor_env: dict[str, str], tmp_path: Path
) -> None:
    """The roster's redis_url (e.g. a tunnel into the student's VPC; here the sandbox's Redis, which the shared
    reference solution filled) is where that student's Redis checks look."""
    students = sc.make_class({"reference": 1}, first_account=201)
    sc.build(solved, sandbox.moto_url, sandbox.region, students)
    roster = sc.write_roster(tmp_path / "roster.csv", students, {students[0].student_id: sandbox.redis_url})
    out = tmp_path / "out"
    done = labgrader(
        "grade", "--target", "aws", "--roster", str(roster), "--out", str(out), "--format", "json",
        *NOT_ON_MOTO, env=instructor_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    checks = {c["id"]: c for c in sc.results(out, students[0])["checks"]}
    assert checks["redis_reachable"]["status"] == "pass"
    assert checks["redis_string_ops"]["status"] == "pass"
    assert not [c for c in checks.values() if NO_REDIS_URL in c["message"]]


def test_the_sweep_lists_every_account_with_its_cost_then_deletes(
    week8: LabSpec, sandbox: SandboxState, instructor_env: dict[str, str], tmp_path: Path
) -> None:
    students = sc.make_class({"reference": 2, "nothing": 1, "refused": 1}, first_account=101)
    sc.build(week8, sandbox.moto_url, sandbox.region, [s for s in students if s.kind != "refused"])
    roster = sc.write_roster(tmp_path / "roster.csv", students)
    out = tmp_path / "sweep"
    listed = labgrader(
        "cleanup", "--target", "aws", "--roster", str(roster), "--out", str(out), "--format", "json,html",
        env=instructor_env,
    )  # fmt: skip
    assert "Traceback" not in listed.stdout + listed.stderr
    assert listed.returncode == 3, listed.stderr  # one account could not be looked at
    reference = [s for s in students if s.kind == "reference"]
    for student in students:
        assert f"== {student.student_id} (account {student.account}) ==" in listed.stdout
    sections = listed.stdout.split("== ")
    for student in reference:
        section = next(s for s in sections if s.startswith(student.student_id))
        assert "Leftovers of lab week8" in section
        assert "lab-redis" in section
        assert "LabProducts" in section
    nothing = next(s for s in sections if s.startswith(students[2].student_id))
    assert "Nothing of lab week8 is left" in nothing
    assert "AccessDenied" in listed.stderr
    assert students[3].student_id in listed.stderr
    total = listed.stdout.strip().splitlines()[-1]
    assert total.startswith("Class total: $")
    assert "in 3 account(s) looked at" in total
    hourly = float(total.split("$", 1)[1].split("/h", 1)[0])
    assert hourly > 0  # two replication groups are billing
    # --out: one report folder per account (the cleanup checks, with the leftovers), and the class total.
    summary = json.loads((out / "class.json").read_text())
    assert (summary["phase"], summary["mode"], round(summary["hourly_total"], 3)) == ("cleanup", "read-only", hourly)
    statuses = {a["student_id"]: a["status"] for a in summary["accounts"]}
    assert statuses == {
        s.student_id: {"reference": "leftovers", "nothing": "clean"}.get(s.kind, "error") for s in students
    }
    for student in students:
        results = json.loads((out / student.student_id / "results.json").read_text())
        assert (results["phase"], results["student_id"]) == ("cleanup", student.student_id)
        assert (out / student.student_id / "report.html").is_file()
        expected = {"reference": 1, "nothing": 0}.get(student.kind, 3)
        assert results["exit_code"] == expected, (student.kind, results["counts"])
        if student.kind == "reference":
            assert results["cleanup"]["leftovers"], results["cleanup"].keys()

    deleted = labgrader("cleanup", "--target", "aws", "--roster", str(roster), "--delete", "--yes", env=instructor_env)
    assert deleted.returncode == 3, deleted.stderr
    assert deleted.stdout.count("After deleting:") == len(reference)
    again = labgrader("cleanup", "--target", "aws", "--roster", str(roster), env=instructor_env)
    assert again.stdout.count("Nothing of lab week8 is left") == 3, again.stdout
    assert "Class total: $0.000/h" in again.stdout
