"""The `cache_aside` fixture, shared by the cache-aside and the latency checks (their conftests import it).

The student's module behind a harness that writes scratch items, runs scenarios through one fork-server per run
(started early in collection by `prestart`), and removes its scratch data when each check ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from labgrader.cacheaside.harness import CacheAsideHarness, prestart_runner, shared_runner
from labgrader.scratch import Scratch
from labgrader.spec import LabSpec
from labgrader.targets import Target

prestart = prestart_runner


@pytest.fixture
def cache_aside(
    request: pytest.FixtureRequest,
    *,
    lab: LabSpec,
    target: Target,
    solution_path: Path | None,
    dynamodb: Any,
    redis_client: redis.Redis,
    redis_url: str,
    scratch: Scratch,
) -> Iterator[CacheAsideHarness]:
    harness = CacheAsideHarness(
        lab=lab,
        target=target,
        solution=solution_path,
        runner=shared_runner(request.config),
        dynamodb=dynamodb,
        redis=redis_client,
        redis_url=redis_url,
        scratch=scratch,
    )
    yield harness
    harness.cleanup()
