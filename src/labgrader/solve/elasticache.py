"""Reference solution, ElastiCache part: VPC and subnets in two AZs, the two security groups, the subnet group,
the parameter group, the replication group with a replica, and a manual snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labgrader.spec import ElastiCacheSpec, LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients

Log = Callable[[str], None]
VPC_CIDR = "10.8.0.0/16"


def _tags(lab: LabSpec, name: str) -> list[dict[str, str]]:
    key, value = lab.cleanup_tag
    return [{"Key": key, "Value": value}, {"Key": "Name", "Value": name}]


def _lab_vpc(ec2: Any, lab: LabSpec, log: Log) -> str:
    key, value = lab.cleanup_tag
    found = ec2.describe_vpcs(Filters=[{"Name": f"tag:{key}", "Values": [value]}])["Vpcs"]
    if found:
        return str(found[0]["VpcId"])
    vpc = ec2.create_vpc(
        CidrBlock=VPC_CIDR,
        TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(lab, f"{lab.lab.name}-vpc")}],
    )["Vpc"]["VpcId"]
    log(f"ec2: created VPC {vpc} ({VPC_CIDR})")
    return str(vpc)


def _subnets(ec2: Any, lab: LabSpec, spec: ElastiCacheSpec, vpc: str, log: Log) -> dict[str, str]:
    """Subnet ID → AZ of the lab VPC's subnets, one per AZ in at least `min_subnet_azs` AZs."""
    existing = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    if len({s["AvailabilityZone"] for s in existing}) >= spec.min_subnet_azs:
        return {s["SubnetId"]: s["AvailabilityZone"] for s in existing}
    zones = [
        z["ZoneName"]
        for z in ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])[
            "AvailabilityZones"
        ]
        if z.get("ZoneType", "availability-zone") == "availability-zone"
    ][: max(spec.min_subnet_azs, 2)]
    subnets = {}
    for number, zone in enumerate(zones, start=1):
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.8.{number}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(lab, f"{lab.lab.name}-{zone}")}],
        )["Subnet"]["SubnetId"]
        subnets[subnet] = zone
        log(f"ec2: created subnet {subnet} in {zone}")
    return subnets


def _security_group(ec2: Any, lab: LabSpec, vpc: str, name: str, log: Log) -> str:
    found = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc]}]
    )["SecurityGroups"]
    if found:
        return str(found[0]["GroupId"])
    group = ec2.create_security_group(
        GroupName=name,
        Description=f"{lab.lab.name}: {name}",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(lab, name)}],
    )["GroupId"]
    log(f"ec2: created security group {name} ({group})")
    return str(group)


def _allow_from_app(ec2: Any, redis_sg: str, app_sg: str, port: int) -> None:
    rules = ec2.describe_security_groups(GroupIds=[redis_sg])["SecurityGroups"][0]["IpPermissions"]
    if any(any(pair.get("GroupId") == app_sg for pair in rule.get("UserIdGroupPairs", [])) for rule in rules):
        return
    ec2.authorize_security_group_ingress(
        GroupId=redis_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": app_sg}]}
        ],
    )


def apply(lab: LabSpec, clients: AwsClients, target: Target, log: Log, *, wait: bool = True) -> None:
    spec = lab.elasticache
    assert spec is not None
    ec2 = clients.client("ec2")
    elasticache = clients.client("elasticache")
    vpc = _lab_vpc(ec2, lab, log)
    subnets = _subnets(ec2, lab, spec, vpc, log)
    redis_sg = _security_group(ec2, lab, vpc, spec.security_group, log)
    if spec.app_security_group:
        app_sg = _security_group(ec2, lab, vpc, spec.app_security_group, log)
        _allow_from_app(ec2, redis_sg, app_sg, spec.port)

    try:
        elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=spec.subnet_group)
    except elasticache.exceptions.CacheSubnetGroupNotFoundFault:
        elasticache.create_cache_subnet_group(
            CacheSubnetGroupName=spec.subnet_group,
            CacheSubnetGroupDescription=f"{lab.lab.name} Redis subnets",
            SubnetIds=list(subnets),
            Tags=_tags(lab, spec.subnet_group),
        )
        log(f"elasticache: created subnet group {spec.subnet_group}")

    parameter_group = _parameter_group(elasticache, lab, spec, log) if spec.parameter_group else None

    try:
        elasticache.describe_replication_groups(ReplicationGroupId=spec.replication_group)
        log(f"elasticache: replication group {spec.replication_group} exists")
    except elasticache.exceptions.ReplicationGroupNotFoundFault:
        nodes = 1 + max(spec.min_replicas, 1 if spec.automatic_failover else 0)
        zones = sorted(set(subnets.values()))
        request: dict[str, Any] = {
            "ReplicationGroupId": spec.replication_group,
            "ReplicationGroupDescription": f"{lab.lab.name} cache",
            "Engine": spec.engines[0],
            "CacheNodeType": spec.node_type,
            "NumCacheClusters": nodes,
            # One node per AZ of the subnet group: Multi-AZ survives the loss of an AZ.
            "PreferredCacheClusterAZs": [zones[i % len(zones)] for i in range(nodes)],
            "AutomaticFailoverEnabled": spec.automatic_failover,
            "MultiAZEnabled": spec.multi_az,
            "CacheSubnetGroupName": spec.subnet_group,
            "SecurityGroupIds": [redis_sg],
            "Port": spec.port,
            "SnapshotRetentionLimit": max(spec.min_snapshot_retention_days, 1),
            # Advisory (elasticache_encryption_enabled): encrypted at rest and in transit.
            "AtRestEncryptionEnabled": True,
            "TransitEncryptionEnabled": True,
            "Tags": _tags(lab, spec.replication_group),
        }
        if parameter_group:
            request["CacheParameterGroupName"] = parameter_group
        elasticache.create_replication_group(**request)
        log(f"elasticache: creating replication group {spec.replication_group} ({request['NumCacheClusters']} nodes)")
    if wait:
        elasticache.get_waiter("replication_group_available").wait(
            ReplicationGroupId=spec.replication_group, WaiterConfig={"Delay": 15, "MaxAttempts": 80}
        )
    if spec.snapshot_name:
        try:
            elasticache.describe_snapshots(SnapshotName=spec.snapshot_name)
        except elasticache.exceptions.SnapshotNotFoundFault:
            elasticache.create_snapshot(
                SnapshotName=spec.snapshot_name,
                ReplicationGroupId=spec.replication_group,
                Tags=_tags(lab, spec.snapshot_name),
            )
            log(f"elasticache: snapshot {spec.snapshot_name} requested")


def _parameter_group(elasticache: Any, lab: LabSpec, spec: ElastiCacheSpec, log: Log) -> str:
    name = spec.parameter_group
    assert name is not None
    try:
        elasticache.describe_cache_parameter_groups(CacheParameterGroupName=name)
    except elasticache.exceptions.CacheParameterGroupNotFoundFault:
        elasticache.create_cache_parameter_group(
            CacheParameterGroupName=name,
            CacheParameterGroupFamily=spec.parameter_group_families[0],
            Description=f"{lab.lab.name}: {spec.eviction_policy}",
            Tags=_tags(lab, name),
        )
        log(f"elasticache: created parameter group {name}")
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=name,
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": spec.eviction_policy}],
    )
    return name
