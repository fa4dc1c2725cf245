"""The `cache_aside` fixture of the checks that run the student's module (registered by the grading session).

The student's module behind a harness that writes scratch items, runs scenarios through one contained fork-server
per run (started once collection is over, when a selected check runs the module) with its DynamoDB calls going
through the grader's endpoint, and removes its scratch data when each check ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import NoCredentialsError

from labgrader.cacheaside.harness import CacheAsideHarness, prestart_runner, student_side
from labgrader.engine.check import meta_of
from labgrader.engine.scratch import Scratch
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(getattr(meta_of(getattr(item, "obj", None)), "runs_student_module", False) for item in session.items):
        prestart_runner(session.config)


@pytest.fixture
def cache_aside(
    request: pytest.FixtureRequest,
    *,
    lab: LabSpec,
    target: Target,
    solution_path: Path | None,
    dynamodb: Any,
    aws: AwsClients,
    redis_client: redis.Redis,
    redis_url: str,
    scratch: Scratch,
) -> Iterator[CacheAsideHarness]:
    side = student_side(request.config)
    assert lab.dynamodb is not None  # the cache-aside and latency sections need [dynamodb]

    def credentials() -> ReadOnlyCredentials:
        found = aws.session.get_credentials()
        if found is None:
            raise NoCredentialsError
        return found.get_frozen_credentials()

    harness = CacheAsideHarness(
        lab=lab,
        target=target,
        solution=solution_path,
        runner=side.runner,
        proxy=side.endpoint(dynamodb, credentials, lab.dynamodb.table),
        dynamodb=dynamodb,
        redis=redis_client,
        redis_url=redis_url,
        scratch=scratch,
    )
    yield harness
    harness.cleanup()
