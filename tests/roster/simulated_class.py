"""A simulated class on one sandbox: one moto account per student (moto keys its backends by the account ID of
the assumed role), each set up with the reference solution, a known mistake, or nothing at all."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.request import Request, urlopen

import boto3

from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from labgrader.solve import dynamodb as solve_dynamodb
from labgrader.solve import elasticache as solve_elasticache
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.trust.fake_endpoints import serving

ROLE = "labgrader-grader"
# A role name the refusing STS proxy below answers with AccessDenied, as AWS does for a role whose trust policy
# does not name the instructor (moto's STS assumes any role).
REFUSED_ROLE = "labgrader-grader-not-trusting"
# A role whose AssumeRole the proxy always answers with AWS's throttling error (past every retry).
THROTTLED_ROLE = "labgrader-grader-throttled"


def account_id(number: int) -> str:
    return f"{900000000000 + number:012d}"


def role_arn(account: str, role: str = ROLE) -> str:
    return f"arn:aws:iam::{account}:role/{role}"


def account_target(moto_url: str, region: str, account: str) -> Target:
    """A target whose credentials land in `account` on the sandbox's moto server (Redis not part of it)."""
    sts = boto3.client(
        "sts",
        endpoint_url=moto_url,
        region_name=region,
        aws_access_key_id=SANDBOX_ACCESS_KEY,
        aws_secret_access_key=SANDBOX_SECRET_KEY,
    )
    credentials = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="class-setup")["Credentials"]
    return Target(
        name="local",
        region=region,
        region_source="test",
        endpoint_url=moto_url,
        static_credentials=(credentials["AccessKeyId"], credentials["SecretAccessKey"]),
        session_token=credentials["SessionToken"],
        unavailable={"redis": "the simulated class has no Redis per account"},
    )


def reference(spec: LabSpec, clients: AwsClients, target: Target) -> None:
    solve_dynamodb.apply(spec, clients.client("dynamodb"), lambda _line: None)
    solve_elasticache.apply(spec, clients, target, lambda _line: None, wait=False)


def no_ttl(spec: LabSpec, clients: AwsClients, target: Target) -> None:
    """The reference setup, then TTL switched off again: one known mistake (dynamodb_ttl_enabled fails)."""
    reference(spec, clients, target)
    assert spec.dynamodb is not None
    assert spec.dynamodb.ttl is not None
    clients.client("dynamodb").update_time_to_live(
        TableName=spec.dynamodb.table,
        TimeToLiveSpecification={"Enabled": False, "AttributeName": spec.dynamodb.ttl.attribute},
    )


def nothing(spec: LabSpec, clients: AwsClients, target: Target) -> None:
    """A student who never started: no table, no replication group."""


Setup = Callable[[LabSpec, AwsClients, Target], None]


@dataclass(frozen=True)
class Student:
    student_id: str
    account: str
    kind: str  # reference, no_ttl, nothing, refused, throttled
    role: str = ROLE


SETUPS: dict[str, Setup] = {
    "reference": reference,
    "no_ttl": no_ttl,
    "nothing": nothing,
    "refused": reference,
    "throttled": reference,
}
ROLES = {"refused": REFUSED_ROLE, "throttled": THROTTLED_ROLE}


def make_class(kinds: dict[str, int], first_account: int = 1) -> list[Student]:
    students = []
    number = first_account
    for kind, count in kinds.items():
        for _ in range(count):
            account = account_id(number)
            role = ROLES.get(kind, ROLE)
            students.append(Student(f"s{number:03d}-{kind}", account, kind, role))
            number += 1
    return students


def build(spec: LabSpec, moto_url: str, region: str, students: list[Student], workers: int = 4) -> None:
    def one(student: Student) -> None:
        target = account_target(moto_url, region, student.account)
        SETUPS[student.kind](spec, AwsClients(target), target)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, students))


def write_roster(path: Path, students: list[Student], redis_urls: dict[str, str] | None = None) -> Path:
    """The roster CSV; a `redis_url` column when some students have one (by student ID)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "role_arn", *(["redis_url"] if redis_urls else [])])
        for student in students:
            row = [student.student_id, role_arn(student.account, student.role)]
            writer.writerow(row + ([redis_urls.get(student.student_id, "")] if redis_urls else []))
    return path


@contextmanager
def refusing_sts(moto_url: str) -> Iterator[str]:
    """A loopback proxy for STS in front of the sandbox's moto: AssumeRole of REFUSED_ROLE gets AWS's AccessDenied
    (moto assumes any role), of THROTTLED_ROLE AWS's Throttling, every time; everything else goes to moto as it is."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            form = parse_qs(body.decode("utf-8"))
            if form.get("Action") == ["AssumeRole"] and form.get("RoleArn", [""])[0].endswith(f"/{REFUSED_ROLE}"):
                message = (
                    f"User: arn:aws:iam::123456789012:user/instructor is not authorized to perform: sts:AssumeRole "
                    f"on resource: {form['RoleArn'][0]}"
                )
                payload = (
                    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                    f"<Code>AccessDenied</Code><Message>{message}</Message></Error></ErrorResponse>"
                ).encode()
                self._answer(403, payload, "text/xml")
                return
            if form.get("Action") == ["AssumeRole"] and form.get("RoleArn", [""])[0].endswith(f"/{THROTTLED_ROLE}"):
                payload = (
                    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                    b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"
                )
                self._answer(400, payload, "text/xml")
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            request = Request(moto_url + self.path, data=body, headers=headers, method="POST")  # noqa: S310 - loopback
            with urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback moto only
                self._answer(answer.status, answer.read(), answer.headers.get("Content-Type", "text/xml"))

        def _answer(self, status: int, payload: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:
            return

    with serving(Handler) as url:
        yield url


def results(out: Path, student: Student) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / student.student_id / "results.json").read_text(encoding="utf-8"))
    return data
