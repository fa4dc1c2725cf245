"""Fixtures every check takes its clients and context from (never module-level clients), so one check runs
unchanged on AWS, the sandbox or containers. Registered only during a grading run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from labgrader.engine.scratch import Scratch
from labgrader.engine.session import SESSION_KEY, GradingSession
from labgrader.engine.verdict import could_not_look, fail, not_applicable
from labgrader.sandbox import topology as failover
from labgrader.services.clients import AwsClients
from labgrader.services.elasticache import hints as elasticache_hints
from labgrader.services.elasticache import lookups as elasticache_api
from labgrader.services.redis import connection as redis_conn
from labgrader.spec import LabSpec
from labgrader.targets import Target


def _grading(request: pytest.FixtureRequest) -> GradingSession:
    return request.config.stash[SESSION_KEY]


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
    grading = _grading(request)
    if grading.solution is not None:
        return grading.solution
    return grading.spec.cache_aside.solution if grading.spec.cache_aside else None


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


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest, target: Target, lab: LabSpec, aws: AwsClients) -> str:
    """Where Redis is graded: --redis-url / REDIS_URL / the sandbox, else (AWS) the replication group's primary
    endpoint."""
    if target.redis_url:
        return target.redis_url
    if lab.elasticache is None or not target.provides("elasticache"):
        could_not_look("No Redis endpoint to grade: pass --redis-url (or set REDIS_URL).")
    name = lab.elasticache.replication_group
    client = aws.client("elasticache")
    try:
        groups = client.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"]
    except client.exceptions.ReplicationGroupNotFoundFault:
        fail(
            f"ElastiCache replication group {name} was not found in {target.region}, so there is no Redis "
            "primary endpoint to grade.",
            call="elasticache.describe_replication_groups",
            observed="ReplicationGroupNotFoundFault",
            expected=name,
            hint=elasticache_hints.create_replication_group_hint(elasticache_api.for_run(request.config, aws, lab)),
        )
    group = groups[0]
    scheme = "rediss" if group.get("TransitEncryptionEnabled") else "redis"
    node_groups = group.get("NodeGroups") or []
    endpoint = group.get("ConfigurationEndpoint") or (node_groups[0].get("PrimaryEndpoint") if node_groups else None)
    if not endpoint or not endpoint.get("Address"):
        fail(
            f"ElastiCache replication group {name} has no primary endpoint yet (status {group.get('Status')}).",
            call="elasticache.describe_replication_groups",
            observed=group.get("Status"),
            expected="available with a PrimaryEndpoint",
        )
    return f"{scheme}://{endpoint['Address']}:{endpoint.get('Port', 6379)}/0"


@pytest.fixture(scope="session")
def sandbox_share(target: Target, redis_url: str, scratch: Scratch) -> Iterator[failover.SandboxShare | None]:
    """On the sandbox, this run's share of its Redis, from the first check using Redis (any section: the client
    below takes it) to the end of the run: another run's failover waits for it, and it for that failover, instead
    of a check meeting a read-only replica half-way. A topology that an earlier, killed run left failed over is
    put back first (failover.heal); at the end, scratch keys a check could not delete (the primary died) are
    deleted wherever sentinel says the data lives now (failover.sweep). Both only when the Redis graded is the
    sandbox's own (not with --redis-url elsewhere)."""
    if target.sentinel is None or not target.provides("sentinel"):
        yield None
        return
    ours = False
    with contextlib.suppress(failover.FailoverError, redis.RedisError, OSError):
        ours = failover.monitored(target.sentinel, redis_url)
        if ours:
            failover.heal(target.sentinel, redis_url)  # what cannot be healed, the checks report
    share = failover.SandboxShare(target.sentinel)
    share.acquire()
    yield share
    try:
        if ours:
            with contextlib.suppress(failover.FailoverError, redis.RedisError):
                failover.sweep(target.sentinel, redis_url, scratch.redis_patterns())
    finally:
        share.close()


@pytest.fixture(scope="session")
def redis_client(redis_url: str, target: Target, sandbox_share: failover.SandboxShare | None) -> Iterator[redis.Redis]:
    """A client of the lab's Redis primary (3 s connect timeout), pinged once (see redis_conn.connect_checked)."""
    if not target.provides("redis"):
        not_applicable(f"not possible on the {target.name} target: {target.unavailable['redis']}")
    client = redis_conn.connect_checked(redis_url)
    yield client
    client.close()
