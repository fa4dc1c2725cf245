"""Fixtures shared by the Redis checks, and their order: the failover check runs last in a grading run (it
disrupts Redis for a few seconds, and on AWS for minutes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from labgrader.engine.scratch import Scratch
from labgrader.engine.session import SESSION_KEY
from labgrader.engine.verdict import not_applicable
from labgrader.services.clients import AwsClients
from labgrader.services.elasticache import lookups as elasticache_api
from labgrader.services.elasticache.lookups import Lookups
from labgrader.services.redis import scratch as redis_support
from labgrader.services.redis.scratch import ScratchKeys
from labgrader.spec import LabSpec
from labgrader.targets import Target

DISRUPTIVE_LAST = ("redis_failover_recovers",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def disruptive(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("check")
        return marker is not None and marker.kwargs.get("id") in DISRUPTIVE_LAST

    items.sort(key=disruptive)  # stable: every other check keeps its place


@pytest.fixture(scope="session")
def redis_primary(redis_client: redis.Redis, redis_url: str, target: Target) -> redis.Redis:
    """The lab's Redis primary, pinged once: unreachable → every check using it is `error`, saying where to run
    from (on AWS: inside the VPC)."""
    return redis_support.reach(redis_client, redis_url, target)


@pytest.fixture
def scratch_keys(redis_primary: redis.Redis, scratch: Scratch) -> Iterator[ScratchKeys]:
    """scratch_keys("purpose") → a key under this run's reserved prefix, deleted after the check."""
    keys = ScratchKeys(redis_primary, scratch.redis_key)
    yield keys
    keys.remove()


@pytest.fixture(scope="session")
def disruptive(request: pytest.FixtureRequest) -> bool:
    """`labgrader grade --disruptive`: checks that disturb the lab on AWS (TestFailover) may run."""
    return request.config.stash[SESSION_KEY].disruptive


@pytest.fixture(scope="session")
def elasticache_lookups(request: pytest.FixtureRequest, aws: AwsClients, lab: LabSpec, target: Target) -> Lookups:
    """The ElastiCache API view shared with the ElastiCache checks (one description of each resource per run)."""
    if lab.elasticache is None:
        not_applicable(
            f"ElastiCache refuses CONFIG and BGSAVE, so on the {target.name} target this is judged from the "
            "ElastiCache API, and the lab spec has no [elasticache] section to judge it from"
        )
    if not target.provides("elasticache"):
        not_applicable(f"not possible on the {target.name} target: {target.unavailable['elasticache']}")
    return elasticache_api.for_run(request.config, aws, lab)
