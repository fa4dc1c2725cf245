"""Cache parameter groups on the sandbox (src/labgrader/sandbox/moto/parameter_groups.py): the API as on AWS, and the
lab replication group's maxmemory-policy applied to the sandbox's real Redis nodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import redis
from botocore.exceptions import ClientError

from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState
from tests.conftest import unique

pytestmark = pytest.mark.sandbox


def code_of(call, **params) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as raised:
        call(**params)
    return str(raised.value.response["Error"]["Code"])


def test_create_modify_describe_reset_delete(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    name = unique("params")
    created = elasticache.create_cache_parameter_group(
        CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="lab eviction policy"
    )["CacheParameterGroup"]
    assert created["ARN"].endswith(f":parametergroup:{name}")
    again = {"CacheParameterGroupName": name, "CacheParameterGroupFamily": "redis7", "Description": "d"}
    assert code_of(elasticache.create_cache_parameter_group, **again) == "CacheParameterGroupAlreadyExists"
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=name,
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )
    user = elasticache.describe_cache_parameters(CacheParameterGroupName=name, Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in user] == [
        ("maxmemory-policy", "allkeys-lru", "user")
    ]
    assert code_of(elasticache.modify_cache_parameter_group, CacheParameterGroupName=name,
                   ParameterNameValues=[{"ParameterName": "maxmemory-policy",
                                         "ParameterValue": "most-lru"}]) == "InvalidParameterValue"  # fmt: skip
    for parameter, value in (
        ("active-defrag-cycle-max", "76"),
        ("timeout", "10"),
        ("maxclients", "100"),
        ("nope", "1"),
    ):
        change = [{"ParameterName": parameter, "ParameterValue": value}]  # out of range, not modifiable, unknown
        assert code_of(elasticache.modify_cache_parameter_group, CacheParameterGroupName=name,
                       ParameterNameValues=change) == "InvalidParameterValue", parameter  # fmt: skip
    elasticache.reset_cache_parameter_group(CacheParameterGroupName=name, ResetAllParameters=True)
    assert elasticache.describe_cache_parameters(CacheParameterGroupName=name, Source="user")["Parameters"] == []
    elasticache.delete_cache_parameter_group(CacheParameterGroupName=name)
    assert code_of(elasticache.describe_cache_parameter_groups, CacheParameterGroupName=name) == (
        "CacheParameterGroupNotFound"
    )


def test_describe_cache_parameters_pages_with_a_marker(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    first = elasticache.describe_cache_parameters(CacheParameterGroupName="default.redis7", MaxRecords=20)
    assert len(first["Parameters"]) == 20
    assert first["Marker"]
    pages = list(
        elasticache.get_paginator("describe_cache_parameters").paginate(
            CacheParameterGroupName="default.redis7", PaginationConfig={"PageSize": 20}
        )
    )
    assert len(pages) > 3
    names = [p["ParameterName"] for page in pages for p in page["Parameters"]]
    assert len(names) == len(set(names)) > 60
    assert names == sorted(names)
    everything = {p["ParameterName"]: p for page in pages for p in page["Parameters"]}
    policy = everything["maxmemory-policy"]
    assert (policy["ParameterValue"], policy["DataType"], policy["ChangeType"]) == (
        "volatile-lru",
        "string",
        "immediate",
    )
    assert names.index("maxmemory-policy") >= 20  # beyond the first page
    assert code_of(elasticache.describe_cache_parameters, CacheParameterGroupName="default.redis7",
                   MaxRecords=5) == "InvalidParameterValue"  # fmt: skip


def test_default_groups_exist_and_cannot_be_changed(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    groups = elasticache.describe_cache_parameter_groups()["CacheParameterGroups"]
    assert {"default.redis7", "default.valkey8"} <= {g["CacheParameterGroupName"] for g in groups}
    change = [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]
    assert code_of(elasticache.modify_cache_parameter_group, CacheParameterGroupName="default.redis7",
                   ParameterNameValues=change) == "InvalidParameterValue"  # fmt: skip
    assert code_of(elasticache.delete_cache_parameter_group, CacheParameterGroupName="default.redis7") == (
        "InvalidParameterValue"
    )


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxState]:
    home: Path = tmp_path_factory.mktemp("params-home")
    state = manager.up(home)
    yield state
    manager.down(home)


def policies(state: SandboxState) -> set[str]:
    found = set()
    for url in (state.redis_url, state.replica_url):
        client = redis.Redis.from_url(url, decode_responses=True)
        found.add(client.config_get("maxmemory-policy")["maxmemory-policy"])
        client.close()
    return found


def test_the_lab_groups_maxmemory_policy_runs_on_both_redis_nodes(own_sandbox: SandboxState) -> None:
    state = own_sandbox
    session = boto3.Session(aws_access_key_id="labgrader", aws_secret_access_key="labgrader", region_name=state.region)
    elasticache = session.client("elasticache", endpoint_url=state.moto_url)
    assert policies(state) == {"noeviction"}  # redis-server's default until a replication group exists
    elasticache.create_replication_group(
        ReplicationGroupId="other-group", ReplicationGroupDescription="d", NumCacheClusters=2
    )
    assert policies(state) == {"noeviction"}  # only the lab's group (the sentinel's master name) is backed by them
    elasticache.create_replication_group(
        ReplicationGroupId=state.master_name, ReplicationGroupDescription="d", NumCacheClusters=2
    )
    assert policies(state) == {"volatile-lru"}  # default.redis7, as on AWS
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="lab-redis-params", CacheParameterGroupFamily="redis7", Description="d"
    )
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="lab-redis-params",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )
    assert policies(state) == {"volatile-lru"}  # not attached yet
    elasticache.modify_replication_group(
        ReplicationGroupId=state.master_name, CacheParameterGroupName="lab-redis-params", ApplyImmediately=True
    )
    assert policies(state) == {"allkeys-lru"}
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="lab-redis-params",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lfu"}],
    )
    assert policies(state) == {"allkeys-lfu"}
    elasticache.reset_cache_parameter_group(
        CacheParameterGroupName="lab-redis-params", ParameterNameValues=[{"ParameterName": "maxmemory-policy"}]
    )
    assert policies(state) == {"volatile-lru"}
    assert code_of(elasticache.delete_cache_parameter_group, CacheParameterGroupName="lab-redis-params") == (
        "InvalidCacheParameterGroupState"
    )


def test_names_are_stored_in_lowercase_and_a_group_in_use_cannot_be_deleted(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    name = unique("Lab-Params")
    created = elasticache.create_cache_parameter_group(
        CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="d"
    )["CacheParameterGroup"]
    assert created["CacheParameterGroupName"] == name.lower()
    group = unique("rg")
    elasticache.create_replication_group(
        ReplicationGroupId=group, ReplicationGroupDescription="d", CacheParameterGroupName=name
    )
    members = [
        c for c in elasticache.describe_cache_clusters()["CacheClusters"] if c.get("ReplicationGroupId") == group
    ]
    assert {m["CacheParameterGroup"]["CacheParameterGroupName"] for m in members} == {name.lower()}
    elasticache.delete_replication_group(ReplicationGroupId=group)
    # Still deleting: AWS refuses to delete the parameter group until the replication group is gone.
    assert code_of(elasticache.delete_cache_parameter_group, CacheParameterGroupName=name) == (
        "InvalidCacheParameterGroupState"
    )
