"""ElastiCache test fixtures: a whole lab setup of one's own on the sandbox (VPC, subnets, both security groups,
subnet group, replication group, snapshot) under unique names, built the way a student would with boto3, with one
thing changed per mutation test; and the week-8 spec renamed to grade it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from labgrader.engine import catalog, runner
from labgrader.engine.results import RunResult
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.conftest import closed_port, replace_section, unique

ELASTICACHE_IDS = frozenset(entry.id for entry in catalog.CATALOG if entry.section == "elasticache")

OPEN_6379 = {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@dataclass(frozen=True)
class Built:
    spec: LabSpec
    vpc: str
    subnets: list[str]
    redis_sg: str
    app_sg: str


def build(
    clients: AwsClients,
    base: LabSpec,
    *,
    zones: tuple[str, ...] = ("us-east-1a", "us-east-1b"),
    nodes: int = 2,
    failover: bool = True,
    multi_az: bool = True,
    retention: int = 1,
    snapshot: bool = False,
    extra_rules: tuple[dict[str, Any], ...] = (),
    app_rule: bool = True,
    group_sg: str = "redis",
    encryption: bool = True,
    create_group: bool = True,
) -> Built:
    ec2 = clients.client("ec2")
    elasticache = clients.client("elasticache")
    names = {
        "rg": unique("lab-redis"),
        "subnets": unique("lab-redis-subnets"),
        "sg": unique("lab-redis-sg"),
        "app": unique("lab-app-sg"),
        "snap": unique("lab-redis-snap"),
    }
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones, start=1)
    ]
    redis_sg = ec2.create_security_group(GroupName=names["sg"], Description="redis", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName=names["app"], Description="app", VpcId=vpc)["GroupId"]
    rules = list(extra_rules)
    if app_rule:
        rules.append({"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [{"GroupId": app_sg}]})
    if rules:
        ec2.authorize_security_group_ingress(GroupId=redis_sg, IpPermissions=rules)
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName=names["subnets"], CacheSubnetGroupDescription="redis", SubnetIds=subnets
    )
    if create_group:
        elasticache.create_replication_group(
            ReplicationGroupId=names["rg"],
            ReplicationGroupDescription="test",
            Engine="redis",
            CacheNodeType="cache.t4g.micro",
            NumCacheClusters=nodes,
            AutomaticFailoverEnabled=failover,
            MultiAZEnabled=multi_az,
            CacheSubnetGroupName=names["subnets"],
            SecurityGroupIds=[{"redis": redis_sg, "app": app_sg}[group_sg]],
            # The reference solution's parameter group (the `solved` fixture made it): only the lab group's own
            # name is backed by the sandbox's Redis nodes, so this changes nothing there.
            CacheParameterGroupName=base.elasticache.parameter_group,
            SnapshotRetentionLimit=retention,
            AtRestEncryptionEnabled=encryption,
            TransitEncryptionEnabled=encryption,
        )
        if snapshot:
            elasticache.create_snapshot(ReplicationGroupId=names["rg"], SnapshotName=names["snap"])
    spec = replace_section(
        base,
        "elasticache",
        replication_group=names["rg"],
        subnet_group=names["subnets"],
        security_group=names["sg"],
        app_security_group=names["app"],
        snapshot_name=names["snap"],
    )
    return Built(spec, vpc, subnets, redis_sg, app_sg)


@pytest.fixture
def lab_setup(solved: LabSpec, clients: AwsClients) -> Callable[..., Built]:
    """lab_setup(failover=False) → a complete ElastiCache setup of this test's own with that one change."""

    def make(**changes: Any) -> Built:
        return build(clients, solved, **changes)

    return make


@pytest.fixture(scope="session")
def elasticache_reference(solved: LabSpec, local_target: Target, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """Every ElastiCache check graded once on the reference solution (one run: the lookups are shared)."""
    return runner.grade(solved, local_target, out_dir=tmp_path_factory.mktemp("ec-reference"), only=ELASTICACHE_IDS)


@pytest.fixture(scope="session")
def elasticache_unreachable(
    solved: LabSpec, local_target: Target, tmp_path_factory: pytest.TempPathFactory
) -> RunResult:
    """Every ElastiCache check graded once with the control plane unreachable (a closed loopback port)."""
    down = dataclasses.replace(local_target, endpoint_url=f"http://127.0.0.1:{closed_port()}")
    return runner.grade(solved, down, out_dir=tmp_path_factory.mktemp("ec-down"), only=ELASTICACHE_IDS)
