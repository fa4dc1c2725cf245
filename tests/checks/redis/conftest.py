"""Redis test fixtures: the Redis checks graded once on the reference and once with Redis unreachable, a way to
change a server-wide setting of the shared sandbox and always restore it, the AWS flavour of the sandbox target,
and the recording proxy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
import redis

from labgrader.engine import catalog, runner
from labgrader.engine.results import RunResult
from labgrader.sandbox.state import SandboxState
from labgrader.services.elasticache import failover as aws_failover
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.checks.elasticache.conftest import lab_setup  # noqa: F401 - re-exported fixture: a setup of one's own
from tests.checks.redis.recording_proxy import RecordingProxy
from tests.conftest import closed_port

REDIS_IDS = frozenset(entry.id for entry in catalog.CATALOG if entry.section == "redis")
AWS_UNAVAILABLE = {
    "redis-admin": "ElastiCache refuses CONFIG/BGSAVE: this objective is judged from the AWS API there",
    "sentinel": "ElastiCache fails over with TestFailover, not sentinel",
}


@pytest.fixture(scope="session")
def redis_reference(solved: LabSpec, local_target: Target, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """Every Redis check graded once on the reference solution (with one real failover through sentinel)."""
    return runner.grade(solved, local_target, out_dir=tmp_path_factory.mktemp("redis-reference"), only=REDIS_IDS)


@pytest.fixture(scope="session")
def redis_unreachable(solved: LabSpec, local_target: Target, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """Every Redis check graded once with REDIS_URL on a closed loopback port."""
    down = dataclasses.replace(local_target, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    return runner.grade(solved, down, out_dir=tmp_path_factory.mktemp("redis-down"), only=REDIS_IDS)


@pytest.fixture
def sandbox_primary(sandbox: SandboxState) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(sandbox.redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def changed_setting(sandbox_primary: redis.Redis) -> Iterator[Callable[[str, str], None]]:
    """changed_setting("save", "") → CONFIG SET on the shared sandbox's primary, restored after the test."""
    saved: dict[str, str] = {}

    def change(name: str, value: str) -> None:
        saved.setdefault(name, sandbox_primary.config_get(name)[name])
        sandbox_primary.config_set(name, value)

    yield change
    for name, value in saved.items():
        sandbox_primary.config_set(name, value)


@pytest.fixture
def aws_like(local_target: Target) -> Callable[..., Target]:
    """The sandbox seen as the aws target: same endpoints, but no CONFIG/BGSAVE and no sentinel, as on AWS."""

    def make(**changes: object) -> Target:
        return dataclasses.replace(
            local_target,
            name="aws",
            sentinel=None,
            unavailable=AWS_UNAVAILABLE,
            **changes,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture
def recording_proxy() -> Iterator[Callable[[str], RecordingProxy]]:
    """recording_proxy(url) → a proxy in front of the Redis at `url` that records every command sent."""
    proxies: list[RecordingProxy] = []

    def start(url: str) -> RecordingProxy:
        proxy = RecordingProxy(int(url.rsplit(":", 1)[1].split("/", 1)[0]))
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def primary_restored(solved: LabSpec, clients: AwsClients) -> Iterator[None]:
    """For tests that run TestFailover on the shared sandbox (the aws path with --lab-disruptive): its control plane
    names the former replica as the primary afterwards, as AWS does (its data plane fails back by itself); before
    and after the test, lab-redis-001 is made the primary again, since other tests of the session read those roles."""
    assert solved.elasticache is not None
    name = solved.elasticache.replication_group
    elasticache = clients.client("elasticache")

    def restore() -> None:
        group = elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]
        if aws_failover.primary_member(group, "0001") != f"{name}-001":
            elasticache.test_failover(ReplicationGroupId=name, NodeGroupId="0001")

    restore()
    yield
    restore()
