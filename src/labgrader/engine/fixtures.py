"""Fixtures every check takes its context and AWS clients from (never module-level clients), so one check runs
unchanged on AWS, the sandbox or containers. Registered by the grading session, with each service's fixtures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labgrader.engine.scratch import Scratch
from labgrader.engine.state import RUN_STATE, RunState
from labgrader.engine.verdict import not_applicable
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients


def _grading(request: pytest.FixtureRequest) -> RunState:
    return request.config.stash[RUN_STATE]


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> LabSpec:
    """The lab spec being graded."""
    return _grading(request).spec


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    return _grading(request).target


@pytest.fixture(scope="session")
def scratch(request: pytest.FixtureRequest) -> Scratch:
    """This run's reserved prefix for scratch items and keys."""
    return _grading(request).scratch


@pytest.fixture(scope="session")
def run_out_dir(request: pytest.FixtureRequest) -> Path:
    """The run's `--out` folder (benchmark JSON, pictures)."""
    out = _grading(request).out_dir
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="session")
def solution_path(request: pytest.FixtureRequest) -> Path | None:
    """The student's cache-aside module: --solution, else the spec's [cache_aside].solution."""
    return _grading(request).solution_path()


@pytest.fixture(scope="session")
def aws(request: pytest.FixtureRequest, target: Target) -> AwsClients:
    return AwsClients(target, on_call=_grading(request).record_aws_call)


def _client(aws: AwsClients, target: Target, service: str) -> Any:
    if not target.provides(service):
        not_applicable(f"not possible on the {target.name} target: {target.unavailable[service]}")
    return aws.client(service)


@pytest.fixture(scope="session")
def dynamodb(aws: AwsClients, target: Target) -> Any:
    return _client(aws, target, "dynamodb")


@pytest.fixture(scope="session")
def dynamodbstreams(aws: AwsClients, target: Target) -> Any:
    return _client(aws, target, "dynamodbstreams")


@pytest.fixture(scope="session")
def elasticache(aws: AwsClients, target: Target) -> Any:
    return _client(aws, target, "elasticache")


@pytest.fixture(scope="session")
def ec2(aws: AwsClients, target: Target) -> Any:
    return _client(aws, target, "ec2")
