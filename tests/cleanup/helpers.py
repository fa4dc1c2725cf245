"""Helpers of the cleanup tests: a private sandbox per test module (cleanup deletes things: never the shared one),
a lab spec with unique names and its own lab tag per test, and builders for exactly one kind of leftover."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labgrader import paths
from labgrader.cleanup import take_inventory
from labgrader.cleanup.execute import Executor
from labgrader.cleanup.plan import build
from labgrader.sandbox import manager
from labgrader.solve import solve
from labgrader.spec import CleanupSpec, LabSpec, load_spec
from labgrader.targets import open_target
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients

NODE_TYPE = "cache.t4g.micro"


@contextmanager
def private_sandbox(home: Path) -> Iterator[Target]:
    """A sandbox of its own (own LABGRADER_HOME): cleanup tests delete things, other tests rely on the shared one."""
    manager.up(home)
    try:
        with open_target("local", load_spec(paths.default_lab_spec()), sandbox_home=home) as target:
            yield target
    finally:
        manager.down(home)


def fresh_lab(suffix: str | None = None) -> LabSpec:
    base = load_spec(paths.default_lab_spec())
    suffix = suffix or uuid.uuid4().hex[:6]
    assert base.dynamodb is not None
    assert base.elasticache is not None
    name = f"week8-{suffix}"
    return base.model_copy(
        update={
            "lab": base.lab.model_copy(update={"name": name}),
            "dynamodb": base.dynamodb.model_copy(
                update={"table": f"LabProducts-{suffix}", "dataset": None, "exercises": None}
            ),
            "elasticache": base.elasticache.model_copy(
                update={
                    "replication_group": f"lab-redis-{suffix}",
                    "subnet_group": f"lab-redis-subnets-{suffix}",
                    "security_group": f"lab-redis-sg-{suffix}",
                    "app_security_group": f"lab-app-sg-{suffix}",
                    "parameter_group": f"lab-redis-params-{suffix}",
                    "snapshot_name": f"lab-redis-snap-{suffix}",
                }
            ),
            "redis": None,
            "cache_aside": None,
            "latency": None,
            "cleanup": CleanupSpec(tag_key="lab", tag_value=name),
        }
    )


def spec_toml(spec: LabSpec) -> str:
    """The spec's names as a lab-spec TOML file (what `labgrader cleanup --lab` reads)."""
    assert spec.dynamodb is not None
    assert spec.elasticache is not None
    assert spec.dynamodb.sort_key is not None
    cache = spec.elasticache
    key, value = spec.cleanup_tag
    return f"""
[lab]
name = "{spec.lab.name}"
region = "us-east-1"

[dynamodb]
table = "{spec.dynamodb.table}"
partition_key = {{ name = "{spec.dynamodb.partition_key.name}", type = "S" }}
sort_key = {{ name = "{spec.dynamodb.sort_key.name}", type = "S" }}

[elasticache]
replication_group = "{cache.replication_group}"
subnet_group = "{cache.subnet_group}"
security_group = "{cache.security_group}"
app_security_group = "{cache.app_security_group}"
parameter_group = "{cache.parameter_group}"
snapshot_name = "{cache.snapshot_name}"

[cleanup]
tag_key = "{key}"
tag_value = "{value}"
"""


def tags(spec: LabSpec) -> list[dict[str, str]]:
    key, value = spec.cleanup_tag
    return [{"Key": key, "Value": value}]


def build_lab(spec: LabSpec, target: Target) -> None:
    """The whole lab, as the reference solution builds it."""
    solve(spec, target, log=lambda _line: None, wait=False)


def clean_lab(spec: LabSpec, target: Target) -> list[Any]:
    """The reference cleanup: the inventory's delete plan, carried out."""
    inventory = take_inventory(spec, target)
    return Executor(AwsClients(target), target.name, log=lambda _line: None).run(build(inventory))


def wait_gone(call: Any, timeout: float = 10.0, **params: Any) -> None:
    """Poll a describe call until it raises (the resource is gone): the sandbox completes deletions in ~1 s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            call(**params)
        except Exception:  # noqa: BLE001 - NotFound of whatever service: gone
            return
        time.sleep(0.1)
    raise AssertionError(f"{params} still there after {timeout} s")


# --- one kind of leftover each --------------------------------------------------------------------------------


def make_table(spec: LabSpec, clients: AwsClients, **extra: Any) -> None:
    from labgrader.solve.dynamodb import create_table_request

    assert spec.dynamodb is not None
    request = create_table_request(spec.dynamodb)
    clients.client("dynamodb").create_table(**request, Tags=tags(spec), **extra)


def make_backup(spec: LabSpec, clients: AwsClients) -> str:
    """A backup of the lab's table, the table itself deleted (the backup outlives it, and bills)."""
    assert spec.dynamodb is not None
    make_table(spec, clients)
    dynamodb = clients.client("dynamodb")
    arn = dynamodb.create_backup(TableName=spec.dynamodb.table, BackupName=f"{spec.dynamodb.table}-bak")
    dynamodb.delete_table(TableName=spec.dynamodb.table)
    return str(arn["BackupDetails"]["BackupArn"])


def make_replication_group(
    spec: LabSpec, clients: AwsClients, *, name: str | None = None, node_type: str = NODE_TYPE, tagged: bool = True
) -> str:
    assert spec.elasticache is not None
    group = name or spec.elasticache.replication_group
    clients.client("elasticache").create_replication_group(
        ReplicationGroupId=group,
        ReplicationGroupDescription="test",
        Engine="redis",
        CacheNodeType=node_type,
        NumCacheClusters=2,
        **({"Tags": tags(spec)} if tagged else {}),
    )
    return group


def make_cluster(spec: LabSpec, clients: AwsClients) -> str:
    """A stand-alone cluster named like the primary `--retain-primary-cluster` keeps (untagged: the name decides)."""
    assert spec.elasticache is not None
    cluster = f"{spec.elasticache.replication_group}-001"
    clients.client("elasticache").create_cache_cluster(
        CacheClusterId=cluster, CacheNodeType="cache.t3.micro", Engine="redis", NumCacheNodes=1
    )
    return cluster


def make_snapshot(spec: LabSpec, clients: AwsClients) -> str:
    """The lab's manual snapshot, its replication group deleted (the snapshot outlives it)."""
    assert spec.elasticache is not None
    elasticache = clients.client("elasticache")
    group = make_replication_group(spec, clients)
    name = str(spec.elasticache.snapshot_name)
    elasticache.create_snapshot(SnapshotName=name, ReplicationGroupId=group, Tags=tags(spec))
    elasticache.delete_replication_group(ReplicationGroupId=group)
    wait_gone(elasticache.describe_replication_groups, ReplicationGroupId=group)
    return name


def make_vpc(clients: AwsClients, cidr: str, spec: LabSpec | None = None) -> str:
    ec2 = clients.client("ec2")
    extra = {"TagSpecifications": [{"ResourceType": "vpc", "Tags": tags(spec)}]} if spec else {}
    return str(ec2.create_vpc(CidrBlock=cidr, **extra)["Vpc"]["VpcId"])


def make_subnet_group(spec: LabSpec, clients: AwsClients) -> str:
    assert spec.elasticache is not None
    ec2 = clients.client("ec2")
    vpc = make_vpc(clients, "10.20.0.0/16")
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in ((1, "a"), (2, "b"))
    ]
    clients.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=spec.elasticache.subnet_group,
        CacheSubnetGroupDescription="test",
        SubnetIds=subnets,
        Tags=tags(spec),
    )
    return spec.elasticache.subnet_group


def make_security_groups(spec: LabSpec, clients: AwsClients, vpc: str) -> dict[str, str]:
    """The two lab security groups in `vpc` (untagged: their names in the lab's VPC decide), Redis open to the app."""
    assert spec.elasticache is not None
    assert spec.elasticache.app_security_group is not None
    ec2 = clients.client("ec2")
    ids = {}
    for name in (spec.elasticache.security_group, spec.elasticache.app_security_group):
        ids[name] = str(ec2.create_security_group(GroupName=name, Description="test", VpcId=vpc)["GroupId"])
    ec2.authorize_security_group_ingress(
        GroupId=ids[spec.elasticache.security_group],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 6379,
                "ToPort": 6379,
                "UserIdGroupPairs": [{"GroupId": ids[spec.elasticache.app_security_group]}],
            }
        ],
    )
    return ids


# --- scenarios: one way of leaving the lab behind each, and the checks that must fail for it ---------------------

TABLES = "cleanup_dynamodb_tables_deleted"
CLUSTERS = "cleanup_elasticache_deleted"
SNAPSHOTS = "cleanup_elasticache_snapshots_deleted"
GROUPS = "cleanup_elasticache_groups_deleted"
SECURITY_GROUPS = "cleanup_security_groups_deleted"
BILLABLE = "cleanup_no_billable_leftovers"
CHECKS = (TABLES, CLUSTERS, SNAPSHOTS, GROUPS, SECURITY_GROUPS, BILLABLE)

Facts = dict[str, Any]


def _cleaned(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    build_lab(spec, target)
    outcomes = clean_lab(spec, target)
    assert outcomes
    assert all(outcome.ok for outcome in outcomes), [outcome.message for outcome in outcomes if not outcome.ok]
    return {"outcomes": outcomes}


def _table(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    make_table(spec, clients)
    return {}


def _backup(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    return {"arn": make_backup(spec, clients)}


def _protected_table(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    make_table(spec, clients, DeletionProtectionEnabled=True)
    return {}


def _foreign_table(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    from labgrader.solve.dynamodb import create_table_request

    assert spec.dynamodb is not None
    request = create_table_request(spec.dynamodb)
    clients.client("dynamodb").create_table(**request, Tags=[{"Key": "lab", "Value": "another-lab"}])
    return {}


def _replication_group(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    return {"group": make_replication_group(spec, clients)}


def _kept_primary(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    return {"cluster": make_cluster(spec, clients)}


def _other_groups(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    assert spec.elasticache is not None
    make_replication_group(spec, clients, name=f"{spec.elasticache.replication_group}-old", tagged=False)
    make_replication_group(spec, clients, name=f"shop-cache-{spec.lab.name[-6:]}", tagged=False)
    clients.client("elasticache").create_replication_group(
        ReplicationGroupId=spec.elasticache.replication_group,
        ReplicationGroupDescription="another lab's group of the same name",
        CacheNodeType="cache.t3.micro",
        Tags=[{"Key": "lab", "Value": "another-lab"}],
    )
    return {}


def _snapshot(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    return {"snapshot": make_snapshot(spec, clients)}


def _final_snapshot(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    elasticache = clients.client("elasticache")
    group = make_replication_group(spec, clients)
    final = f"final-{spec.lab.name}"
    elasticache.create_snapshot(SnapshotName=final, ReplicationGroupId=group)  # untagged, another name
    elasticache.delete_replication_group(ReplicationGroupId=group)
    wait_gone(elasticache.describe_replication_groups, ReplicationGroupId=group)
    return {"final": final, "group": group}


def _subnet_group(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    return {"group": make_subnet_group(spec, clients)}


def _parameter_group(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    assert spec.elasticache is not None
    name = str(spec.elasticache.parameter_group)
    clients.client("elasticache").create_cache_parameter_group(
        CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="test", Tags=tags(spec)
    )
    return {"group": name}


def _default_subnet_group(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    ec2 = clients.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    clients.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName="default", CacheSubnetGroupDescription="default", SubnetIds=[subnet], Tags=tags(spec)
    )
    return {}


def _security_groups(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    assert spec.elasticache is not None
    ids = make_security_groups(spec, clients, make_vpc(clients, "10.40.0.0/16", spec))
    return {"redis": ids[spec.elasticache.security_group], "app": ids[str(spec.elasticache.app_security_group)]}


def _blocking_rule(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    facts = _security_groups(spec, clients, target)
    rule = {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [{"GroupId": facts["redis"]}]}
    clients.client("ec2").authorize_security_group_egress(GroupId=facts["app"], IpPermissions=[rule])
    return {**facts, "rule": rule}


def _groups_elsewhere(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    lab_vpc = make_vpc(clients, "10.42.0.0/16", spec)  # the lab's VPC, without the lab's groups
    make_security_groups(spec, clients, make_vpc(clients, "10.43.0.0/16"))  # same names, untagged VPC elsewhere
    ec2 = clients.client("ec2")
    ec2.create_security_group(GroupName=f"other-sg-{spec.lab.name}", Description="not the lab's", VpcId=lab_vpc)
    return {}


def _tagged_security_group(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    name = f"bastion-sg-{spec.lab.name}"
    group = clients.client("ec2").create_security_group(
        GroupName=name,
        Description="tagged",
        VpcId=make_vpc(clients, "10.44.0.0/16"),
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags(spec)}],
    )["GroupId"]
    return {"name": name, "id": group}


def _unknown_price(spec: LabSpec, clients: AwsClients, target: Target) -> Facts:
    return {"group": make_replication_group(spec, clients, node_type="cache.r7g.xlarge")}


SCENARIOS: dict[str, tuple[Any, frozenset[str]]] = {
    # name: (builder, the checks that must fail; every other cleanup check passes)
    "cleaned": (_cleaned, frozenset()),
    "table": (_table, frozenset({TABLES})),  # on-demand, empty, no PITR: free
    "backup": (_backup, frozenset({TABLES, BILLABLE})),
    "protected_table": (_protected_table, frozenset({TABLES})),
    "foreign_table": (_foreign_table, frozenset()),
    "replication_group": (_replication_group, frozenset({CLUSTERS, BILLABLE})),
    "kept_primary": (_kept_primary, frozenset({CLUSTERS, BILLABLE})),
    "other_groups": (_other_groups, frozenset()),
    "unknown_price": (_unknown_price, frozenset({CLUSTERS, BILLABLE})),
    "snapshot": (_snapshot, frozenset({SNAPSHOTS, BILLABLE})),
    "final_snapshot": (_final_snapshot, frozenset({SNAPSHOTS, BILLABLE})),
    "subnet_group": (_subnet_group, frozenset({GROUPS})),
    "default_subnet_group": (_default_subnet_group, frozenset()),
    "parameter_group": (_parameter_group, frozenset({GROUPS})),
    "security_groups": (_security_groups, frozenset({SECURITY_GROUPS})),
    "blocking_rule": (_blocking_rule, frozenset({SECURITY_GROUPS})),
    "groups_elsewhere": (_groups_elsewhere, frozenset()),
    "tagged_security_group": (_tagged_security_group, frozenset({SECURITY_GROUPS})),
}
