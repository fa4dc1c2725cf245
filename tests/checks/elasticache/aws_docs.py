"""Response documents exactly as AWS documents them, for the paths only real AWS can take (parameter groups,
TestFailover and its events, creating/modifying states, cluster mode enabled).

Sources, both shipped with the installed SDKs: the AWS CLI's command examples (awscli/examples/elasticache/*.rst,
the JSON after "Output::") and botocore's API reference examples (examples-1.json). A test may change one field of a
document to make its case (say so where it does), never write a simplified one: botocore's Stubber then validates
every document against the service model, so a wrong field name or nesting fails the test instead of the grader.
"""

from __future__ import annotations

import copy
import json
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import awscli
import boto3
import botocore
from botocore.stub import Stubber

from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients

CLI_EXAMPLES = Path(awscli.__file__).parent / "examples"
API_EXAMPLES = Path(botocore.__file__).parent / "data" / "elasticache" / "2015-02-02" / "examples-1.json"
AWS_TARGET = Target(
    name="aws",
    region="us-west-2",
    region_source="test",
    unavailable={"redis-admin": "ElastiCache refuses CONFIG/BGSAVE", "sentinel": "ElastiCache uses TestFailover"},
)


def cli_output(service: str, command: str) -> dict[str, Any]:
    """The first "Output::" JSON document of `aws <service> <command>`'s documented example."""
    text = (CLI_EXAMPLES / service / f"{command}.rst").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().replace(" ", "") == "Output::") + 1
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        block.append(line)
    document: dict[str, Any] = json.loads(textwrap.dedent("\n".join(block)))
    return document


def api_output(operation: str, index: int = 0) -> dict[str, Any]:
    """The output of the API reference's example number `index` of an ElastiCache operation."""
    examples = json.loads(API_EXAMPLES.read_text(encoding="utf-8"))["examples"][operation]
    output: dict[str, Any] = copy.deepcopy(examples[index]["output"])
    return output


def group_of(document: dict[str, Any]) -> dict[str, Any]:
    """The ReplicationGroup of a Create/Modify/TestFailover answer, as DescribeReplicationGroups lists it."""
    return {"ReplicationGroups": [copy.deepcopy(document["ReplicationGroup"])]}


class StubbedClients(AwsClients):
    """AwsClients whose ElastiCache and EC2 clients are real botocore clients answered by Stubbers."""

    def __init__(self) -> None:
        super().__init__(AWS_TARGET)
        self.session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-west-2")
        self.stubbers: dict[str, Stubber] = {}
        for service in ("elasticache", "ec2"):
            client = self.session.client(service, region_name="us-west-2")  # type: ignore[call-overload]
            self._clients[(service, "us-west-2")] = client
            self.stubbers[service] = Stubber(client)

    def add(self, service: str, operation: str, response: dict[str, Any], params: dict[str, Any] | None = None) -> None:
        self.stubbers[service].add_response(operation, response, params)

    def add_error(self, service: str, operation: str, code: str, params: dict[str, Any] | None = None) -> None:
        self.stubbers[service].add_client_error(operation, service_error_code=code, expected_params=params)

    @contextmanager
    def active(self) -> Iterator[StubbedClients]:
        for stubber in self.stubbers.values():
            stubber.activate()
        try:
            yield self
            for stubber in self.stubbers.values():
                stubber.assert_no_pending_responses()
        finally:
            for stubber in self.stubbers.values():
                stubber.deactivate()
