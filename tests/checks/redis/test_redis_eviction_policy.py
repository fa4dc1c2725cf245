from __future__ import annotations

import pytest

from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients
from tests.checks.elasticache.test_elasticache_parameter_group_eviction_policy import documents, stub
from tests.conftest import load_check, replace_section

CHECK = "redis_eviction_policy"


@pytest.mark.sandbox
def test_passes_on_the_reference_solution(redis_reference):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["call"] == "CONFIG GET maxmemory-policy"
    assert result.evidence["observed"] == "allkeys-lru"


@pytest.mark.sandbox
def test_fails_when_left_at_the_default(solved, local_target, grade, changed_setting, run_hint):
    changed_setting("maxmemory-policy", "noeviction")  # redis-server's default, as the sandbox starts
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == f"Redis at {local_target.redis_url} has maxmemory-policy noeviction; expected allkeys-lru."
    assert result.hint == 'redis-cli -u "$REDIS_URL" CONFIG SET maxmemory-policy allkeys-lru'
    run_hint(result)
    assert grade(solved, local_target, only={CHECK}).get(CHECK).status == "pass"


@pytest.mark.sandbox
def test_errors_when_redis_is_down(redis_unreachable):
    assert redis_unreachable.get(CHECK).status == "error"


class Request:
    """The one thing the check asks of pytest's `request` on AWS: the shared ElastiCache lookups."""

    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups

    def getfixturevalue(self, name: str) -> Lookups:
        assert name == "elasticache_lookups", f"on AWS the check must not ask for {name} (no CONFIG there)"
        return self.lookups


def on_aws(solved, policy: str):
    spec = replace_section(
        solved,
        "elasticache",
        replication_group="my-cluster",
        parameter_group="mygroup",
        parameter_group_families=["redis5.0"],
    )
    clients = StubbedClients()
    clusters, pages = documents(policy=policy)
    stub(clients, clusters)
    clients.add("elasticache", "describe_cache_parameters", pages[0], {"CacheParameterGroupName": "mygroup"})
    clients.add(
        "elasticache",
        "describe_cache_parameters",
        pages[1],
        {"CacheParameterGroupName": "mygroup", "Marker": pages[0]["Marker"]},
    )
    with clients.active():
        return load_check(CHECK)(lab=spec, target=AWS_TARGET, request=Request(Lookups(clients, spec)))


def test_on_aws_the_parameter_group_carries_the_policy(solved):
    outcome = on_aws(solved, "allkeys-lru")
    assert outcome.message.startswith(
        "ElastiCache parameter group mygroup (used by the replication group's nodes) has maxmemory-policy allkeys-lru"
    )


def test_on_aws_the_default_policy_fails(solved):
    from labgrader.engine.verdict import CheckFailed

    with pytest.raises(
        CheckFailed, match="mygroup \\(used by the replication group's nodes\\) has maxmemory-policy volatile-lru"
    ):
        on_aws(solved, "volatile-lru")
