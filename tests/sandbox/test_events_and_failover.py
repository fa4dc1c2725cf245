"""DescribeEvents and TestFailover on the sandbox (src/labgrader/sandbox/moto/events.py): AWS's answers and
refusals, and a real failover (and failback) of the sandbox's Redis nodes for the replication group they back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import redis
from botocore.exceptions import ClientError

from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxState]:
    home: Path = tmp_path_factory.mktemp("events-home")
    state = manager.up(home)
    yield state
    manager.down(home)


def client_of(state: SandboxState):  # type: ignore[no-untyped-def]
    session = boto3.Session(aws_access_key_id="labgrader", aws_secret_access_key="labgrader", region_name=state.region)
    return session.client("elasticache", endpoint_url=state.moto_url)


def code_of(call, **params) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as raised:
        call(**params)
    return str(raised.value.response["Error"]["Code"])


def test_test_failover_fails_the_lab_nodes_over_and_back(own_sandbox: SandboxState) -> None:
    state = own_sandbox
    elasticache = client_of(state)
    name = state.master_name
    elasticache.create_replication_group(
        ReplicationGroupId=name, ReplicationGroupDescription="d", NumCacheClusters=2, AutomaticFailoverEnabled=True
    )
    primary = redis.Redis.from_url(state.redis_url, decode_responses=True)
    primary.set("lab:before-failover", "kept")
    # A node promoted to primary starts a new replication history: a real failover and failback change it.
    history_before = primary.info("replication")["master_replid"]
    answer = elasticache.test_failover(ReplicationGroupId=name, NodeGroupId="0001")
    assert answer["ReplicationGroup"]["ReplicationGroupId"] == name
    # Failed over and back: REDIS_URL is the primary again, the replica follows it, the data survived.
    assert primary.info("replication")["role"] == "master"
    replica = redis.Redis.from_url(state.replica_url, decode_responses=True)
    assert replica.info("replication")["master_link_status"] == "up"
    assert primary.get("lab:before-failover") == "kept"
    assert primary.info("replication")["master_replid"] != history_before
    messages = [
        e["Message"]
        for e in elasticache.describe_events(SourceType="replication-group", SourceIdentifier=name)["Events"]
    ]
    assert messages[:2] == [
        f"Failover from primary node {name}-001 to replica node {name}-002 completed",
        "Test Failover API called for node group 0001",
    ]
    assert messages[-1] == "Replication group created"
    recovery = elasticache.describe_events(SourceType="cache-cluster", SourceIdentifier=f"{name}-001")["Events"]
    assert [e["Message"] for e in recovery] == ["Finished recovery for cache nodes 0001", "Recovering cache nodes 0001"]
    # As on AWS, the control plane now names the former replica as the primary.
    group = elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]
    roles = {m["CacheClusterId"]: m["CurrentRole"] for m in group["NodeGroups"][0]["NodeGroupMembers"]}
    assert roles == {f"{name}-001": "replica", f"{name}-002": "primary"}
    for client in (primary, replica):
        client.close()


def test_test_failover_refuses_what_aws_refuses(own_sandbox: SandboxState) -> None:
    elasticache = client_of(own_sandbox)
    elasticache.create_replication_group(
        ReplicationGroupId="no-failover", ReplicationGroupDescription="d", NumCacheClusters=2
    )
    assert code_of(elasticache.test_failover, ReplicationGroupId="no-failover", NodeGroupId="0001") == (
        "InvalidReplicationGroupState"
    )
    assert code_of(elasticache.test_failover, ReplicationGroupId="no-failover", NodeGroupId="0009") == (
        "NodeGroupNotFoundFault"
    )
    assert code_of(elasticache.test_failover, ReplicationGroupId="nothing", NodeGroupId="0001") == (
        "ReplicationGroupNotFoundFault"
    )


def test_describe_events_filters_and_pages(own_sandbox: SandboxState) -> None:
    elasticache = client_of(own_sandbox)
    for number in range(25):
        elasticache.create_replication_group(ReplicationGroupId=f"many-{number}", ReplicationGroupDescription="d")
    first = elasticache.describe_events(SourceType="replication-group", MaxRecords=20)
    assert len(first["Events"]) == 20
    assert first["Marker"]
    rest = elasticache.describe_events(SourceType="replication-group", MaxRecords=20, Marker=first["Marker"])
    assert len(first["Events"]) + len(rest["Events"]) >= 25
    assert first["Events"][0]["SourceIdentifier"] == "many-24"  # newest first
    assert elasticache.describe_events(SourceType="cache-subnet-group")["Events"] == []
    old = elasticache.describe_events(SourceType="replication-group", Duration=0)["Events"]
    assert old == []
    assert code_of(elasticache.describe_events, SourceIdentifier="many-1") == "InvalidParameterCombination"
    assert code_of(elasticache.describe_events, Duration=20161) == "InvalidParameterValue"


def test_replica_counts_per_shard(own_sandbox: SandboxState) -> None:
    elasticache = client_of(own_sandbox)
    elasticache.create_replication_group(
        ReplicationGroupId="sharded",
        ReplicationGroupDescription="d",
        NumNodeGroups=2,
        ReplicasPerNodeGroup=1,
        AutomaticFailoverEnabled=True,
    )
    group = elasticache.increase_replica_count(
        ReplicationGroupId="sharded",
        ReplicaConfiguration=[{"NodeGroupId": "0002", "NewReplicaCount": 2}],
        ApplyImmediately=True,
    )["ReplicationGroup"]
    assert group["MemberClusters"] == [
        "sharded-0001-001",
        "sharded-0001-002",
        "sharded-0002-001",
        "sharded-0002-002",
        "sharded-0002-003",
    ]
    messages = [e["Message"] for e in elasticache.describe_events(SourceType="replication-group")["Events"]]
    assert messages[0] == "Added cache node(s) sharded-0002-003"
