"""A class at once (`grade --target aws --roster roster.csv`, `cleanup --target aws --roster …`): one row per student
naming the grader role in the student's account; labgrader assumes each role (STS, short sessions) and grades or
sweeps every account with those credentials.

The roster is a CSV file with a header row: `student_id,role_arn` and optionally `region`, `external_id`,
`redis_url` (any order, names case-insensitive). Every row is checked before anything runs: a bad row is one line
naming the file, its line and the field, and exit 2.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from labgrader.engine.bounded import BoundedReadError, read_bytes_bounded
from labgrader.targets.base import AWS_REGION_NAME, Target, TargetError
from labgrader.targets.clients import SHARED_MODELS

COLUMNS = ("student_id", "role_arn", "region", "external_id", "redis_url")
REQUIRED_COLUMNS = ("student_id", "role_arn")
ROLE_ARN = re.compile(r"arn:aws(-cn|-us-gov|-iso[a-z]*)?:iam::(\d{12}):role/[\w+=,.@/-]{1,512}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
STUDENT_ID_LIMIT = 100
# The shortest session STS grants: a class run needs minutes per account, and a leaked token dies soon.
SESSION_SECONDS = 900
ROSTER_LIMIT_BYTES = 10 << 20
# One STS call: fail fast (the account's row says why) instead of holding a worker.
STS_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"mode": "adaptive", "total_max_attempts": 4})
# What the Redis checks say for a student whose row has no redis_url.
NO_REDIS_URL = (
    "no redis_url for this student in the roster: ElastiCache answers only inside the student's VPC "
    "(add a redis_url column, e.g. through a tunnel, to grade the data plane)"
)


class RosterError(TargetError):
    """The roster cannot be used: one line naming the file, line and field (exit 2)."""


@dataclass(frozen=True)
class Student:
    line: int  # the row's line in the file (the header is line 1), for messages
    student_id: str
    role_arn: str
    region: str | None = None
    external_id: str | None = None
    redis_url: str | None = None

    @property
    def account(self) -> str:
        match = ROLE_ARN.fullmatch(self.role_arn)
        return match.group(2) if match else ""

    @property
    def folder(self) -> str:
        return folder_name(self.student_id)

    @property
    def session_name(self) -> str:
        # RoleSessionName: 2-64 of [\w+=,.@-]; CloudTrail in the student's account shows who looked.
        safe = re.sub(r"[^\w+=,.@-]", "_", self.student_id)
        return f"labgrader-{safe}"[:64]


def folder_name(student_id: str) -> str:
    """A student's results folder under --out: the ID with anything but letters, digits, `.`, `_`, `-` as `_`."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", student_id).lstrip(".")
    return name[:STUDENT_ID_LIMIT] or "_"


def load(path: Path) -> list[Student]:
    """Every row of the roster, validated; RosterError on the first bad row."""
    where = str(path)
    try:
        # Bounded and non-blocking: /dev/zero, a FIFO nobody writes or a huge file is one line, never a hang.
        data = read_bytes_bounded(path, ROSTER_LIMIT_BYTES)
    except BoundedReadError as exc:
        if exc.reason == "no such file":
            raise RosterError(
                f"--roster {where}: no such file (a CSV with a header row: {','.join(COLUMNS)})."
            ) from None
        if exc.reason.startswith("it is a directory"):
            raise RosterError(f"--roster {where}: it is a directory, not a file: give the roster CSV file.") from None
        raise RosterError(f"--roster {where}: cannot be read ({exc.reason}).") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(f"--roster {where}: cannot be read as UTF-8 text (byte {exc.start}).") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RosterError(f"--roster {where}: empty (a CSV with a header row: {','.join(COLUMNS)}).")
    header = [name.strip().lower() for name in rows[0]]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise RosterError(f"{where} line 1: unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RosterError(f"{where} line 1: no {missing[0]} column (the header must name student_id and role_arn).")
    if len(set(header)) != len(header):
        raise RosterError(f"{where} line 1: a column is named twice.")
    students: list[Student] = []
    folders: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not students
        student = _student(where, line, header, row)
        # Compared without case: on macOS and Windows, Alice/ and alice/ are one folder.
        folder = student.folder.lower()
        if folder in folders:
            raise RosterError(
                f"{where} line {line}: student_id {student.student_id!r} has the same results folder as line "
                f"{folders[folder]} ({student.folder}); give each student a distinct ID."
            )
        folders[folder] = line
        students.append(student)
    if not students:
        raise RosterError(f"--roster {where}: a header but no student rows.")
    return students


def _student(where: str, line: int, header: list[str], row: list[str]) -> Student:
    def bad(message: str) -> RosterError:
        return RosterError(f"{where} line {line}: {message}")

    if len(row) > len(header):
        raise bad(f"{len(row)} fields for {len(header)} columns (quote a value that holds a comma).")
    values = {name: (row[index].strip() if index < len(row) else "") for index, name in enumerate(header)}
    student_id, role_arn = values["student_id"], values["role_arn"]
    if not student_id:
        raise bad("empty student_id.")
    if len(student_id) > STUDENT_ID_LIMIT or not student_id.isprintable():
        raise bad(f"student_id must be at most {STUDENT_ID_LIMIT} printable characters.")
    if not ROLE_ARN.fullmatch(role_arn):
        raise bad(f"role_arn {role_arn[:80]!r} is not an IAM role ARN (like arn:aws:iam::123456789012:role/NAME).")
    region = values.get("region") or None
    if region and not AWS_REGION_NAME.fullmatch(region):
        raise bad(f"region {region[:40]!r} is not an AWS region name (like us-east-1).")
    external_id = values.get("external_id") or None
    if external_id and not EXTERNAL_ID.fullmatch(external_id):
        raise bad("external_id must be 2-1224 characters of letters, digits and +=,.@:/-_.")
    redis_url = values.get("redis_url") or None
    if redis_url and not re.fullmatch(r"rediss?://[^\s/]+(/\d*)?", redis_url):
        raise bad("redis_url must look like redis://HOST:PORT/0 or rediss://HOST:PORT/0.")
    return Student(line, student_id, role_arn, region, external_id, redis_url)


def parse_shard(text: str) -> tuple[int, int]:
    """`i/N` (1 ≤ i ≤ N) → (i, N); ValueError with the reason otherwise."""
    match = re.fullmatch(r"(\d{1,4})/(\d{1,4})", text.strip())
    if not match:
        raise ValueError(f"--shard {text!r}: use i/N, e.g. 2/4 for the second of four slices")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text!r}: i must be between 1 and N")
    return index, count


def shard(students: Sequence[Student], index: int, count: int) -> list[Student]:
    """The `index`-th of `count` slices, stable by row order: rows index, index+count, … (every row in exactly one)."""
    return [student for position, student in enumerate(students) if position % count == index - 1]


def default_jobs() -> int:
    """Accounts graded at once: each mostly waits on AWS, so two per core (at least 2)."""
    return max(2, 2 * (os.cpu_count() or 1))


class AssumeRoleError(Exception):
    """The student's role could not be assumed: the reason, for the student's `error` row."""


@dataclass(frozen=True)
class Instructor:
    """Where the instructor's own credentials come from and which endpoint (an emulator) to call."""

    profile: str | None = None
    endpoint_url: str | None = None
    region: str | None = None

    def region_for(self, student: Student, fallback: str) -> str:
        return student.region or self.region or fallback


def assume(instructor: Instructor, student: Student, region: str) -> dict[str, Any]:
    """Temporary credentials for the student's grader role (AccessKeyId, SecretAccessKey, SessionToken)."""
    try:
        session = boto3.Session(profile_name=instructor.profile) if instructor.profile else boto3.Session()
        session._session.register_component("data_loader", SHARED_MODELS)
        # boto3's own service-specific variable wins, as it would for any other boto3 client.
        endpoint = os.environ.get("AWS_ENDPOINT_URL_STS") or instructor.endpoint_url
        sts = session.client("sts", region_name=region, endpoint_url=endpoint, config=STS_CONFIG)
        arguments: dict[str, Any] = {
            "RoleArn": student.role_arn,
            "RoleSessionName": student.session_name,
            "DurationSeconds": SESSION_SECONDS,
        }
        if student.external_id:
            arguments["ExternalId"] = student.external_id
        credentials: dict[str, Any] = dict(sts.assume_role(**arguments)["Credentials"])
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "ClientError"), str(error.get("Message", "")).strip()
        raise AssumeRoleError(
            f"could not assume {student.role_arn} ({code}: {message[:200]}): the student creates it with "
            "`labgrader policy --role-for INSTRUCTOR_ACCOUNT_ID --external-id X` (and the roster's external_id "
            "must match)."
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AssumeRoleError(f"could not assume {student.role_arn}: {exc}") from None
    return credentials


def student_target(instructor: Instructor, student: Student, region: str, credentials: dict[str, Any]) -> Target:
    """The aws target of one student's account, with the assumed role's credentials."""
    unavailable = {
        "redis-admin": "ElastiCache refuses CONFIG/BGSAVE: this objective is judged from the AWS API there",
        "sentinel": "ElastiCache fails over with TestFailover, not sentinel",
    }
    if not student.redis_url:
        unavailable["redis"] = NO_REDIS_URL
    return Target(
        name="aws",
        region=region,
        region_source="roster" if student.region else "--region/AWS config/lab spec",
        endpoint_url=instructor.endpoint_url,
        static_credentials=(str(credentials["AccessKeyId"]), str(credentials["SecretAccessKey"])),
        session_token=str(credentials["SessionToken"]),
        redis_url=student.redis_url,
        unavailable=unavailable,
    )


def default_region(instructor: Instructor, lab_region: str | None) -> str:
    """The region of rows without one: --region, else the instructor's AWS config, else the lab spec."""
    if instructor.region:
        return instructor.region
    try:
        session = boto3.Session(profile_name=instructor.profile) if instructor.profile else boto3.Session()
    except botocore.exceptions.ProfileNotFound:
        raise TargetError(
            f"AWS profile {instructor.profile!r} not found: check `aws configure list-profiles`."
        ) from None
    region = session.region_name or lab_region
    if not region:
        raise TargetError("no AWS region: pass --region R, set AWS_REGION or give each roster row a region.")
    return region
