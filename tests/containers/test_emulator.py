"""`labgrader grade --target aws --endpoint-url URL`: an AWS-compatible emulator the student runs. An API the
emulator does not implement makes the check concerned `skip`, naming the API — never `error`, never `fail`.

The answers are the emulators' own: LocalStack's HTTP 501 `InternalFailure` ("not yet implemented or pro feature"),
DynamoDB Local's `UnknownOperationException`, and moto's server (here: the sandbox's control plane, which lacks the
cache parameter group APIs) answering HTTP 500 with an HTML page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine import catalog, runner
from labgrader.spec import LabSpec
from labgrader.targets import emulator, open_target
from labgrader.targets.base import Target, TargetError
from tests.trust.fake_endpoints import STS_IDENTITY, fake_aws, json_error, query_error

LOCALSTACK_SERVICE_MISSING = (
    "API for service 'elasticache' not yet implemented or pro feature - please check "
    "https://docs.localstack.cloud/references/coverage/ for further information"
)
LOCALSTACK_ANSWER = query_error("InternalFailure", LOCALSTACK_SERVICE_MISSING, status=501)
MOTO_NOT_IMPLEMENTED = (
    b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
    b"<p>The server encountered an internal error and was unable to complete your request.</p>\n"
)


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (501, LOCALSTACK_ANSWER[2].encode(), f"HTTP 501: {LOCALSTACK_SERVICE_MISSING}"[:169]),
        (
            501,
            b'{"__type":"InternalFailure","message":"The API action \'DescribeCacheParameters\' for service '
            b"'elasticache' is either not available in your current license plan or has not yet been emulated by "
            b'LocalStack."}',
            "HTTP 501: The API action 'DescribeCacheParameters'",
        ),
        (400, json_error("UnknownOperationException", "")[2].encode(), "HTTP 400"),
        (500, MOTO_NOT_IMPLEMENTED, "HTTP 500 with an HTML error page"),
        (
            400,
            query_error("InvalidAction", "The action DescribeEvents is not implemented", 400)[2].encode(),
            "HTTP 400",
        ),
    ],
)
def test_not_implemented_answers_are_recognised(status: int, body: bytes, said: str) -> None:
    answer = emulator.not_implemented_answer(status, body)
    assert answer is not None
    assert answer.startswith(said)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, json_error("InternalServerError", "Internal server error", 500)[2].encode()),
        (400, json_error("ResourceNotFoundException", "Requested resource not found")[2].encode()),
        (503, query_error("ServiceUnavailable", "try again", 503)[2].encode()),
        (500, b"?"),
        (200, b'{"message": "not implemented"}'),
    ],
)
def test_other_answers_are_left_to_the_usual_verdicts(status: int, body: bytes) -> None:
    assert emulator.not_implemented_answer(status, body) is None


def test_an_emulator_url_must_be_http(week8: LabSpec) -> None:
    with pytest.raises(TargetError) as caught, open_target("aws", week8, endpoint_url="localhost:4566"):
        pass
    assert caught.value.exit_code == 2
    with pytest.raises(TargetError) as local, open_target("local", week8, endpoint_url="http://localhost:4566"):
        pass
    assert "--endpoint-url is for --target containers or aws" in str(local.value)


def test_a_localstack_without_elasticache_skips_those_checks_naming_the_api(week8: LabSpec, tmp_path: Path) -> None:
    answers = {"sts": STS_IDENTITY, "elasticache": LOCALSTACK_ANSWER, "ec2": LOCALSTACK_ANSWER}
    with fake_aws(answers) as url, open_target("aws", week8, endpoint_url=url, region="us-east-1") as target:
        assert target.emulator
        assert target.describe() == f"an AWS-compatible emulator at {url} (region us-east-1)"
        ids = frozenset(i for i, e in catalog.BY_ID.items() if e.section == "elasticache")
        run = runner.grade(week8, target, out_dir=tmp_path, only=ids)
    for check_id in ids:
        result = run.get(check_id)
        assert result.status == "skip", (check_id, result.status, result.message)
        assert re.search(f"the emulator at {url} does not implement (elasticache|ec2):[A-Z]", result.message)
        assert "not yet implemented or pro feature" in result.message


def test_a_dynamodb_local_without_an_api_skips_that_check(week8: LabSpec, tmp_path: Path) -> None:
    unknown = json_error("UnknownOperationException", "")
    with (
        fake_aws({"sts": STS_IDENTITY, "dynamodb": unknown}) as url,
        open_target("aws", week8, endpoint_url=url, region="us-east-1") as target,
    ):
        run = runner.grade(week8, target, out_dir=tmp_path, only=frozenset({"dynamodb_pitr_enabled"}))
    result = run.get("dynamodb_pitr_enabled")
    assert result.status == "skip"
    assert "does not implement dynamodb:" in result.message


@pytest.mark.sandbox
def test_the_sandboxs_moto_graded_as_an_emulator(solved: LabSpec, local_target: Target, tmp_path: Path) -> None:
    """The sandbox's moto graded as an emulator: every API the checks call is implemented there (cache parameter
    groups included, through the sandbox's corrections), so every verdict is real. The `skip` of an unimplemented
    API is the fake-endpoint tests' subject above."""
    assert local_target.endpoint_url is not None
    assert local_target.redis_url is not None
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    graded = subprocess.run(
        [
            *(sys.executable, "-m", "labgrader", "grade", "--target", "aws", "--region", local_target.region),
            *("--endpoint-url", local_target.endpoint_url, "--redis-url", local_target.redis_url),
            *("--solution", str(paths.reference_solution()), "--out", str(tmp_path), "--format", "json"),
            # What is measured here is API coverage; the latency checks' timing is another file's subject.
            *("--", "-k", "not latency"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr
    assert f"an AWS-compatible emulator at {local_target.endpoint_url}" in graded.stdout.splitlines()[0]
    results = json.loads((tmp_path / "results.json").read_text())
    by_id = {check["id"]: check for check in results["checks"]}
    parameters = by_id["elasticache_parameter_group_eviction_policy"]
    assert parameters["status"] == "pass", parameters["message"]
    assert not [c["id"] for c in results["checks"] if "does not implement" in c["message"]]
    assert not [c["id"] for c in results["checks"] if c["status"] in ("error", "fail")]
    assert by_id["elasticache_replication_group_available"]["status"] == "pass"
    assert by_id["redis_persistence_configured"]["status"] == "pass"  # a self-hosted Redis: CONFIG GET works
