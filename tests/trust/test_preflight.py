"""Preflight: missing/expired credentials and dead or silent endpoints are one line and exit 3 within seconds;
AccessDenied on a probe is recorded (cannot see) instead of being mistaken for "does not exist"."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from labgrader.targets import preflight
from labgrader.targets.base import Target, TargetError
from tests.conftest import closed_port
from tests.trust.fake_endpoints import STS_IDENTITY, fake_aws, json_error, query_error, silent_listener

LOCAL = Target(name="local", region="us-east-1", region_source="test", static_credentials=("k", "s"))
AWS = Target(name="aws", region="us-east-1", region_source="test", static_credentials=("AKIAFAKE", "fake"))


def _expect_exit_3(target: Target, *words: str, within: float = 5.0) -> str:
    started = time.monotonic()
    with pytest.raises(TargetError) as caught:
        preflight.run(target)
    assert time.monotonic() - started < within
    assert caught.value.exit_code == 3
    assert "\n" not in str(caught.value)
    for word in words:
        assert word in str(caught.value)
    return str(caught.value)


def test_a_closed_sandbox_port_is_one_line() -> None:
    target = dataclasses.replace(LOCAL, endpoint_url=f"http://127.0.0.1:{closed_port()}")
    _expect_exit_3(target, "did not answer within 3 s", "labgrader sandbox status")


def test_a_listener_that_never_answers_is_one_line_within_seconds() -> None:
    with silent_listener() as port:
        target = dataclasses.replace(LOCAL, endpoint_url=f"http://127.0.0.1:{port}")
        _expect_exit_3(target, "did not answer within 3 s", within=6.0)


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId"])
def test_rejected_aws_credentials_are_one_line(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    with fake_aws({"sts": query_error(code, "The security token included in the request is expired")}) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
        _expect_exit_3(AWS, f"AWS rejected the credentials ({code})")


def test_access_denied_on_a_probe_is_recorded_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "sts": STS_IDENTITY,
        "dynamodb": (200, "application/x-amz-json-1.0", '{"TableNames": []}'),
        "elasticache": query_error(
            "AccessDenied", "User: student is not authorized to perform: elasticache:DescribeReplicationGroups"
        ),
        "ec2": (
            403,
            "text/xml",
            "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message>"
            "</Error></Errors><RequestID>r</RequestID></Response>",
        ),
    }
    with fake_aws(answers) as url:
        for service in ("STS", "DYNAMODB", "ELASTICACHE", "EC2"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", url)
        found = preflight.run(AWS)
    assert found.account == "111122223333"
    assert found.denied == {"elasticache": "elasticache:DescribeReplicationGroups", "ec2": "ec2:DescribeSecurityGroups"}
    assert found.report_fields()["account"] == "111122223333"


def test_dynamodb_throttling_is_not_a_credential_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything but credentials and reachability is left to the checks (they classify it per check)."""
    with fake_aws({"sts": STS_IDENTITY, "dynamodb": json_error("ThrottlingException", "slow down")}) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        with pytest.raises(ClientError, match="ThrottlingException"):
            preflight.run(dataclasses.replace(AWS, unavailable={"elasticache": "x", "ec2": "x"}))


def test_missing_credentials_exit_3_in_one_line_within_3_seconds(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "LABGRADER_HOME": str(tmp_path),
        }
    )
    code = (
        "from labgrader import paths, spec; from labgrader.targets import aws, base, preflight; import sys\n"
        "t = aws.aws_target(spec.load_spec(paths.default_lab_spec()), 'us-east-1', None, None)\n"
        "import time; s = time.monotonic()\n"
        "try: preflight.run(t)\n"
        "except base.TargetError as e: print(round(time.monotonic() - s, 2), e.exit_code, e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    seconds, exit_code, message = done.stdout.strip().split(" ", 2)
    assert float(seconds) <= 3.0
    assert exit_code == "3"
    assert message.startswith("no AWS credentials found")
