"""The fixtures of the Redis checks (registered by the grading session): where Redis is graded, the run's share of
the sandbox's Redis, a client of the primary and scratch keys under the run's reserved prefix."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import redis

from labgrader import redis_connection as redis_conn
from labgrader.engine.scratch import Scratch
from labgrader.engine.state import RUN_STATE
from labgrader.engine.verdict import could_not_look, fail, not_applicable
from labgrader.sandbox import topology
from labgrader.sandbox.locks import SandboxShare
from labgrader.services.elasticache import hints as elasticache_hints
from labgrader.services.elasticache import lookups as elasticache_api
from labgrader.services.redis import scratch as redis_support
from labgrader.services.redis.scratch import ScratchKeys
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients


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
def sandbox_share(target: Target, redis_url: str, scratch: Scratch) -> Iterator[SandboxShare | None]:
    """On the sandbox, this run's share of its Redis, from the first check using Redis (any section: the client
    below takes it) to the end of the run: another run's failover waits for it, and it for that failover, instead
    of a check meeting a read-only replica half-way. A topology that an earlier, killed run left failed over is
    put back first (topology.heal); at the end, scratch keys a check could not delete (the primary died) are
    deleted wherever sentinel says the data lives now (topology.sweep). Both only when the Redis graded is the
    sandbox's own (not with --redis-url elsewhere)."""
    if target.sentinel is None or not target.provides("sentinel"):
        yield None
        return
    ours = False
    with contextlib.suppress(topology.FailoverError, redis.RedisError, OSError):
        ours = topology.monitored(target.sentinel, redis_url)
        if ours:
            topology.heal(target.sentinel, redis_url)  # what cannot be healed, the checks report
    share = SandboxShare(target.sentinel)
    share.acquire()
    yield share
    try:
        if ours:
            with contextlib.suppress(topology.FailoverError, redis.RedisError):
                topology.sweep(target.sentinel, redis_url, scratch.redis_patterns())
    finally:
        share.close()


@pytest.fixture(scope="session")
def redis_client(redis_url: str, target: Target, sandbox_share: SandboxShare | None) -> Iterator[redis.Redis]:
    """A client of the lab's Redis primary (3 s connect timeout), pinged once (see redis_conn.connect_checked)."""
    if not target.provides("redis"):
        not_applicable(f"not possible on the {target.name} target: {target.unavailable['redis']}")
    client = redis_conn.connect_checked(redis_url)
    yield client
    client.close()


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
    return request.config.stash[RUN_STATE].disruptive
