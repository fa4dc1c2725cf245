"""Upstream moto, without the sandbox's corrections: these tests describe AWS's behaviour (ElastiCache) and are
expected to fail while moto's bugs remain (strict xfail). When one XPASSes, upstream fixed the bug: drop that
correction from src/labgrader/sandbox/moto/ (elasticache.py, parameter_groups.py, events.py) and this xfail mark.
The DynamoDB ones are in test_moto_dynamodb.py, the deletion ones in test_moto_upstream_deletions.py."""

from __future__ import annotations

import boto3
import pytest


@pytest.mark.xfail(strict=True, reason="moto issue #8932: NumCacheClusters ignored with cluster mode disabled")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_builds_num_cache_clusters_members() -> None:
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    elasticache.create_replication_group(
        ReplicationGroupId="rg",
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
    )
    group = elasticache.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]
    assert len(group["MemberClusters"]) == 2


@pytest.mark.xfail(strict=True, reason="moto returns SubnetAvailabilityZone: {} for cache subnet groups")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_names_subnet_group_zones() -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    group = elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="g", CacheSubnetGroupDescription="d", SubnetIds=[subnet["SubnetId"]]
    )["CacheSubnetGroup"]
    assert group["Subnets"][0]["SubnetAvailabilityZone"].get("Name") == "us-east-1b"


def _network(zones: tuple[str, ...] = ("us-east-1a", "us-east-1b")) -> tuple[str, str, str]:
    """(subnet group, security group id, VPC id) of a fresh VPC with one subnet per zone."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones, start=1)
    ]
    sg = ec2.create_security_group(GroupName="redis", Description="d", VpcId=vpc)["GroupId"]
    boto3.client("elasticache", region_name="us-east-1").create_cache_subnet_group(
        CacheSubnetGroupName="subnets", CacheSubnetGroupDescription="d", SubnetIds=subnets
    )
    return "subnets", sg, vpc


def _group(**changes: object) -> None:
    request = {
        "ReplicationGroupId": "rg",
        "ReplicationGroupDescription": "d",
        "Engine": "redis",
        "CacheNodeType": "cache.t4g.micro",
        "ReplicasPerNodeGroup": 1,
        "AutomaticFailoverEnabled": True,
    } | changes
    boto3.client("elasticache", region_name="us-east-1").create_replication_group(**request)


@pytest.mark.xfail(strict=True, reason="moto has no cache parameter groups (HTTP 500)")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_has_cache_parameter_groups() -> None:
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="p", CacheParameterGroupFamily="redis7", Description="d"
    )
    parameters = elasticache.describe_cache_parameters(CacheParameterGroupName="p")["Parameters"]
    assert "maxmemory-policy" in {p["ParameterName"] for p in parameters}


@pytest.mark.xfail(strict=True, reason="moto has no IncreaseReplicaCount / DecreaseReplicaCount (HTTP 500)")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_changes_replica_counts() -> None:
    _group()
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    group = elasticache.increase_replica_count(ReplicationGroupId="rg", NewReplicaCount=2, ApplyImmediately=True)
    assert len(group["ReplicationGroup"]["MemberClusters"]) == 3


@pytest.mark.xfail(strict=True, reason="moto has no ModifyCacheSubnetGroup (HTTP 500)")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_modifies_cache_subnet_groups() -> None:
    name, _sg, _vpc = _network()
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    elasticache.modify_cache_subnet_group(CacheSubnetGroupName=name, CacheSubnetGroupDescription="changed")
    assert (
        elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"][0][
            "CacheSubnetGroupDescription"
        ]
        == "changed"
    )


@pytest.mark.xfail(strict=True, reason="moto's ModifyReplicationGroup ignores SnapshotWindow and SecurityGroupIds")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_modifies_the_snapshot_window() -> None:
    _group()
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    elasticache.modify_replication_group(ReplicationGroupId="rg", SnapshotWindow="03:00-04:00", ApplyImmediately=True)
    group = elasticache.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]
    assert group["SnapshotWindow"] == "03:00-04:00"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"ReplicasPerNodeGroup": 0}, id="failover-without-replica"),
        pytest.param({"MultiAZEnabled": True, "AutomaticFailoverEnabled": False}, id="multi-az-without-failover"),
        pytest.param({"SecurityGroupIds": ["None"]}, id="security-group-None"),
        pytest.param({"CacheSubnetGroupName": "no-such-subnets"}, id="no-subnet-group"),
        pytest.param({"CacheParameterGroupName": "no-such-params"}, id="no-parameter-group"),
    ],
)
@pytest.mark.xfail(strict=True, reason="moto accepts replication groups AWS refuses")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_refuses_what_aws_refuses(changes: dict[str, object]) -> None:
    from botocore.exceptions import ClientError

    subnet_group, sg, _vpc = _network()
    with pytest.raises(ClientError):
        _group(**({"CacheSubnetGroupName": subnet_group, "SecurityGroupIds": [sg]} | changes))


@pytest.mark.xfail(strict=True, reason="moto accepts Multi-AZ on a subnet group in one AZ")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_refuses_multi_az_in_one_zone() -> None:
    from botocore.exceptions import ClientError

    subnet_group, sg, _vpc = _network(("us-east-1a", "us-east-1a"))
    with pytest.raises(ClientError):
        _group(CacheSubnetGroupName=subnet_group, SecurityGroupIds=[sg], MultiAZEnabled=True)


@pytest.mark.xfail(strict=True, reason="moto invents a subnet in us-east-1a for an unknown subnet id")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_refuses_an_unknown_subnet() -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        boto3.client("elasticache", region_name="us-east-1").create_cache_subnet_group(
            CacheSubnetGroupName="g", CacheSubnetGroupDescription="d", SubnetIds=["subnet-0123456789"]
        )


@pytest.mark.xfail(strict=True, reason="moto reports ClusterEnabled false for a group with two node groups")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_enables_cluster_mode_for_shards() -> None:
    _group(NumNodeGroups=2)
    group = boto3.client("elasticache", region_name="us-east-1").describe_replication_groups(ReplicationGroupId="rg")
    assert group["ReplicationGroups"][0]["ClusterEnabled"] is True


@pytest.mark.xfail(strict=True, reason="moto has no DescribeEvents (HTTP 500)")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_describes_events() -> None:
    _group()
    events = boto3.client("elasticache", region_name="us-east-1").describe_events(SourceType="replication-group")
    assert isinstance(events["Events"], list)


@pytest.mark.xfail(strict=True, reason="moto has no TestFailover (HTTP 500)")
@pytest.mark.usefixtures("unpatched_aws")
def test_upstream_moto_tests_failover() -> None:
    _group()
    answer = boto3.client("elasticache", region_name="us-east-1").test_failover(
        ReplicationGroupId="rg", NodeGroupId="0001"
    )
    assert answer["ReplicationGroup"]["ReplicationGroupId"] == "rg"
