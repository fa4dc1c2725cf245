"""The sandbox's corrections to moto's ElastiCache model (src/labgrader/sandbox/moto/elasticache.py), proven against
the running sandbox (its moto server applies them). The DynamoDB ones: test_moto_dynamodb.py."""

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


# --- the corrections of issue 13/14: operations moto lacks, AWS's validation, cluster mode ------------------------


def lab_network(clients, zones=("us-east-1a", "us-east-1b")):  # type: ignore[no-untyped-def]
    """A VPC with one subnet per zone, a security group in it and a cache subnet group over the subnets."""
    ec2 = clients.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.78.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones, start=1)
    ]
    sg = ec2.create_security_group(GroupName=unique("sg"), Description="redis", VpcId=vpc)["GroupId"]
    subnet_group = unique("subnets")
    clients.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=subnet_group, CacheSubnetGroupDescription="d", SubnetIds=subnets
    )
    return {"vpc": vpc, "subnets": subnets, "sg": sg, "subnet_group": subnet_group}


def create_group(clients, network, **changes):  # type: ignore[no-untyped-def]
    request = {
        "ReplicationGroupId": unique("rg"),
        "ReplicationGroupDescription": "d",
        "Engine": "redis",
        "CacheNodeType": "cache.t4g.micro",
        "NumCacheClusters": 2,
        "AutomaticFailoverEnabled": True,
        "MultiAZEnabled": True,
        "CacheSubnetGroupName": network["subnet_group"],
        "SecurityGroupIds": [network["sg"]],
    } | changes
    clients.client("elasticache").create_replication_group(**request)
    return request["ReplicationGroupId"]


def error_of(call, **params) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        call(**params)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_increase_and_decrease_replica_count_add_and_remove_members(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    name = create_group(clients, lab_network(clients))
    grown = elasticache.increase_replica_count(ReplicationGroupId=name, NewReplicaCount=2, ApplyImmediately=True)
    members = grown["ReplicationGroup"]["NodeGroups"][0]["NodeGroupMembers"]
    assert [(m["CacheClusterId"], m["CurrentRole"]) for m in members] == [
        (f"{name}-001", "primary"),
        (f"{name}-002", "replica"),
        (f"{name}-003", "replica"),
    ]
    listed = elasticache.describe_cache_clusters()["CacheClusters"]
    assert f"{name}-003" in {c["CacheClusterId"] for c in listed}
    assert error_of(elasticache.increase_replica_count, ReplicationGroupId=name, NewReplicaCount=2,
                    ApplyImmediately=True)[0] == "InvalidParameterValue"  # fmt: skip
    # Automatic failover keeps at least one replica.
    assert error_of(elasticache.decrease_replica_count, ReplicationGroupId=name, NewReplicaCount=0,
                    ApplyImmediately=True)[0] == "InvalidParameterCombination"  # fmt: skip
    shrunk = elasticache.decrease_replica_count(
        ReplicationGroupId=name, ReplicasToRemove=[f"{name}-002"], ApplyImmediately=True
    )
    assert shrunk["ReplicationGroup"]["MemberClusters"] == [f"{name}-001", f"{name}-003"]
    assert error_of(elasticache.increase_replica_count, ReplicationGroupId=unique("none"), NewReplicaCount=1,
                    ApplyImmediately=True)[0] == "ReplicationGroupNotFoundFault"  # fmt: skip


def test_modify_cache_subnet_group_replaces_the_subnets(clients) -> None:  # type: ignore[no-untyped-def]
    network = lab_network(clients, zones=("us-east-1a", "us-east-1a"))
    ec2 = clients.client("ec2")
    other = ec2.create_subnet(VpcId=network["vpc"], CidrBlock="10.78.9.0/24", AvailabilityZone="us-east-1c")
    elasticache = clients.client("elasticache")
    changed = elasticache.modify_cache_subnet_group(
        CacheSubnetGroupName=network["subnet_group"], SubnetIds=[network["subnets"][0], other["Subnet"]["SubnetId"]]
    )["CacheSubnetGroup"]
    zones = [s["SubnetAvailabilityZone"]["Name"] for s in changed["Subnets"]]
    assert zones == ["us-east-1a", "us-east-1c"]
    described = elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=network["subnet_group"])
    assert described["CacheSubnetGroups"][0]["Subnets"] == changed["Subnets"]
    assert error_of(elasticache.modify_cache_subnet_group, CacheSubnetGroupName=network["subnet_group"],
                    SubnetIds=["subnet-0000000000"])[0] == "InvalidSubnet"  # fmt: skip
    assert error_of(elasticache.modify_cache_subnet_group, CacheSubnetGroupName=unique("none"),
                    SubnetIds=network["subnets"])[0] == "CacheSubnetGroupNotFoundFault"  # fmt: skip


def test_modify_replication_group_changes_every_field_the_lab_uses(clients) -> None:  # type: ignore[no-untyped-def]
    network = lab_network(clients)
    elasticache = clients.client("elasticache")
    name = create_group(clients, network)
    other_sg = clients.client("ec2").create_security_group(
        GroupName=unique("sg"), Description="other", VpcId=network["vpc"]
    )["GroupId"]
    params = unique("params")
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName=params, CacheParameterGroupFamily="redis7", Description="d"
    )
    group = elasticache.modify_replication_group(
        ReplicationGroupId=name,
        SecurityGroupIds=[other_sg],
        CacheParameterGroupName=params,
        SnapshotRetentionLimit=3,
        SnapshotWindow="03:00-04:00",
        ApplyImmediately=True,
    )["ReplicationGroup"]
    assert (group["SnapshotRetentionLimit"], group["SnapshotWindow"]) == (3, "03:00-04:00")
    members = [c for c in elasticache.describe_cache_clusters()["CacheClusters"] if c.get("ReplicationGroupId") == name]
    assert {m["SecurityGroups"][0]["SecurityGroupId"] for m in members} == {other_sg}
    assert {m["CacheParameterGroup"]["CacheParameterGroupName"] for m in members} == {params}
    off = elasticache.modify_replication_group(
        ReplicationGroupId=name, MultiAZEnabled=False, AutomaticFailoverEnabled=False, ApplyImmediately=True
    )["ReplicationGroup"]
    assert (off["AutomaticFailover"], off["MultiAZ"]) == ("disabled", "disabled")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"NumCacheClusters": 1, "MultiAZEnabled": False}, "InvalidParameterCombination", id="1-node"),
        pytest.param({"AutomaticFailoverEnabled": False}, "InvalidParameterCombination", id="multi-az-no-failover"),
        pytest.param({"SecurityGroupIds": ["None"]}, "InvalidParameterValue", id="security-group-None"),
        pytest.param({"CacheSubnetGroupName": "no-such-subnets"}, "CacheSubnetGroupNotFoundFault", id="no-subnets"),
        pytest.param({"CacheParameterGroupName": "no-such-params"}, "CacheParameterGroupNotFound", id="no-param-group"),
        pytest.param({"CacheParameterGroupName": "default.valkey8"}, "InvalidParameterCombination", id="wrong-family"),
    ],
)  # fmt: skip
def test_create_replication_group_refuses_what_aws_refuses(clients, changes, code) -> None:  # type: ignore[no-untyped-def]
    network = lab_network(clients)
    name = unique("rg")
    assert error_of(create_group, clients=clients, network=network, ReplicationGroupId=name, **changes)[0] == code
    with pytest.raises(clients.client("elasticache").exceptions.ReplicationGroupNotFoundFault):
        clients.client("elasticache").describe_replication_groups(ReplicationGroupId=name)


def test_multi_az_needs_a_subnet_group_in_two_zones(clients) -> None:  # type: ignore[no-untyped-def]
    network = lab_network(clients, zones=("us-east-1a", "us-east-1a"))
    code, message = error_of(create_group, clients=clients, network=network)
    assert code == "InvalidParameterValue"
    assert "at least two Availability Zones" in message
    name = create_group(clients, network, MultiAZEnabled=False)
    assert error_of(clients.client("elasticache").modify_replication_group, ReplicationGroupId=name,
                    MultiAZEnabled=True, ApplyImmediately=True)[0] == "InvalidParameterValue"  # fmt: skip


def test_failover_cannot_be_enabled_without_a_replica(clients) -> None:  # type: ignore[no-untyped-def]
    network = lab_network(clients)
    name = create_group(clients, network, NumCacheClusters=1, AutomaticFailoverEnabled=False, MultiAZEnabled=False)
    code, message = error_of(clients.client("elasticache").modify_replication_group, ReplicationGroupId=name,
                             AutomaticFailoverEnabled=True, ApplyImmediately=True)  # fmt: skip
    assert (code, message) == (
        "InvalidReplicationGroupState",
        "Replication group must have at least one read replica to enable autofailover.",
    )


def test_cache_subnet_group_refuses_an_unknown_subnet(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    assert error_of(elasticache.create_cache_subnet_group, CacheSubnetGroupName=unique("s"),
                    CacheSubnetGroupDescription="d", SubnetIds=["subnet-0123456789"])[0] == "InvalidSubnet"  # fmt: skip


def test_a_sharded_group_is_cluster_mode_enabled(clients) -> None:  # type: ignore[no-untyped-def]
    elasticache = clients.client("elasticache")
    name = unique("rg")
    elasticache.create_replication_group(
        ReplicationGroupId=name,
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumNodeGroups=2,
        ReplicasPerNodeGroup=1,
        AutomaticFailoverEnabled=True,
    )
    group = elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]
    assert group["ClusterEnabled"] is True
    assert group["ConfigurationEndpoint"]["Address"].startswith(f"clustercfg.{name}.")
    assert group["MemberClusters"] == [f"{name}-0001-001", f"{name}-0001-002", f"{name}-0002-001", f"{name}-0002-002"]


def test_modify_replication_group_refuses_what_aws_refuses(clients) -> None:  # type: ignore[no-untyped-def]
    network = lab_network(clients)
    elasticache = clients.client("elasticache")
    name = create_group(clients, network)
    elsewhere = clients.client("ec2").create_vpc(CidrBlock="10.79.0.0/16")["Vpc"]["VpcId"]
    foreign_sg = clients.client("ec2").create_security_group(
        GroupName=unique("sg"), Description="another VPC", VpcId=elsewhere
    )["GroupId"]
    assert error_of(elasticache.modify_replication_group, ReplicationGroupId=name, SecurityGroupIds=[foreign_sg],
                    ApplyImmediately=True)[0] == "InvalidVPCNetworkStateFault"  # fmt: skip
    assert error_of(elasticache.modify_replication_group, ReplicationGroupId=name,
                    CacheParameterGroupName="default.redis6.x", ApplyImmediately=True)[0] == (
        "InvalidParameterCombination"
    )  # fmt: skip
    assert error_of(elasticache.modify_replication_group, ReplicationGroupId=name,
                    CacheParameterGroupName=unique("none"), ApplyImmediately=True)[0] == (
        "CacheParameterGroupNotFound"
    )  # fmt: skip
    # Nothing changed by the refused calls.
    members = [c for c in elasticache.describe_cache_clusters()["CacheClusters"] if c.get("ReplicationGroupId") == name]
    assert {m["SecurityGroups"][0]["SecurityGroupId"] for m in members} == {network["sg"]}
    assert {m["CacheParameterGroup"]["CacheParameterGroupName"] for m in members} == {"default.redis7"}
