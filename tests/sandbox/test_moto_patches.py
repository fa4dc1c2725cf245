"""The sandbox's corrections to moto, proven against the running sandbox (its moto server applies them)."""

from __future__ import annotations

import pytest

from tests.conftest import unique

pytestmark = pytest.mark.sandbox


def test_num_cache_clusters_builds_one_primary_and_one_replica(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    name = unique("rg")
    elasticache.create_replication_group(
        ReplicationGroupId=name,
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
    )
    group = elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]
    assert group["MemberClusters"] == [f"{name}-001", f"{name}-002"]
    roles = [m["CurrentRole"] for m in group["NodeGroups"][0]["NodeGroupMembers"]]
    assert roles == ["primary", "replica"]


def test_replicas_per_node_group_still_wins_when_given(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    name = unique("rg")
    elasticache.create_replication_group(
        ReplicationGroupId=name,
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        ReplicasPerNodeGroup=2,
    )
    group = elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]
    assert len(group["MemberClusters"]) == 3


def test_subnet_group_names_each_subnets_availability_zone(clients) -> None:  # type: ignore[no-untyped-def]
    ec2 = clients.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(["us-east-1a", "us-east-1c"], start=1)
    ]
    name = unique("subnets")
    elasticache = clients.client("elasticache")
    elasticache.create_cache_subnet_group(CacheSubnetGroupName=name, CacheSubnetGroupDescription="d", SubnetIds=subnets)
    group = elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"][0]
    zones = {s["SubnetIdentifier"]: s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]}
    assert zones == dict(zip(subnets, ["us-east-1a", "us-east-1c"], strict=True))
