"""ElastiCache verdicts judged on what belongs to the lab: every security group attached to the nodes, snapshots of
the lab's group only, one verdict for a snapshot in progress, cluster mode from the node groups."""

from __future__ import annotations

from typing import Any

import pytest

from labgrader.services.elasticache import evaluation as ev
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, cli_output
from tests.checks.elasticache.conftest import OPEN_6379
from tests.conftest import load_check, replace_section, unique

SG_CHECK = "elasticache_security_group_restricted"
SNAPSHOT_CHECK = "elasticache_snapshot_present"


def attach_second_group(clients: Any, built: Any, rules: list[dict[str, Any]]) -> tuple[str, str]:
    """Create the lab's replication group with the lab's security group and a second one (as the console pre-selects
    the VPC's default group); (its id, its name)."""
    ec2 = clients.client("ec2")
    name = unique("default-like")
    second = ec2.create_security_group(GroupName=name, Description="second", VpcId=built.vpc)["GroupId"]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=second, IpPermissions=rules)
    clients.client("elasticache").create_replication_group(
        ReplicationGroupId=built.spec.elasticache.replication_group,
        ReplicationGroupDescription="test",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        CacheSubnetGroupName=built.spec.elasticache.subnet_group,
        SecurityGroupIds=[built.redis_sg, second],
        SnapshotRetentionLimit=1,
    )
    return second, name


@pytest.mark.sandbox
def test_another_attached_group_open_to_the_world_fails_naming_it(local_target, grade, lab_setup, clients, run_hint):
    built = lab_setup(create_group=False)
    second, name = attach_second_group(clients, built, [OPEN_6379])
    result = grade(built.spec, local_target, only={SG_CHECK}).get(SG_CHECK)
    assert result.status == "fail", result.message
    assert result.message.startswith(
        f"Security group {name} ({second}), also attached to the nodes of ElastiCache replication group "
        f"{built.spec.elasticache.replication_group}, admits port 6379 from 'tcp 6379 from 0.0.0.0/0'"
    )
    assert result.hint.startswith(f"aws ec2 revoke-security-group-ingress --group-id {second} ")
    run_hint(result)
    assert grade(built.spec, local_target, only={SG_CHECK}).get(SG_CHECK).status == "pass"


@pytest.mark.sandbox
def test_another_attached_group_with_a_too_wide_range_fails(local_target, grade, lab_setup, clients):
    wide = {"IpProtocol": "tcp", "FromPort": 6000, "ToPort": 7000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    built = lab_setup(create_group=False)
    _second, name = attach_second_group(clients, built, [wide])
    result = grade(built.spec, local_target, only={SG_CHECK}).get(SG_CHECK)
    assert result.status == "fail"
    assert f"{name}" in result.message
    assert "'tcp 6000-7000 from 10.0.0.0/8'" in result.message


@pytest.mark.sandbox
def test_another_attached_group_admitting_only_its_own_members_or_a_subnet_passes(
    local_target, grade, lab_setup, clients
):
    """The default group's rule (all traffic from itself) and a /24 of the VPC are not an exposure."""
    subnet = {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "IpRanges": [{"CidrIp": "10.20.1.0/24"}]}
    built = lab_setup(create_group=False)
    attach_second_group(clients, built, [subnet])
    result = grade(built.spec, local_target, only={SG_CHECK}).get(SG_CHECK)
    assert result.status == "pass", result.message


@pytest.mark.sandbox
def test_a_snapshot_of_another_group_with_the_lab_s_name_does_not_count(local_target, grade, lab_setup, clients):
    """A final snapshot left by a deleted group, say: it is not this group's backup."""
    built = lab_setup(retention=0)
    other = lab_setup(retention=0)
    name = built.spec.elasticache.snapshot_name
    clients.client("elasticache").create_snapshot(
        ReplicationGroupId=other.spec.elasticache.replication_group, SnapshotName=name
    )
    result = grade(built.spec, local_target, only={SNAPSHOT_CHECK}).get(SNAPSHOT_CHECK)
    assert result.status == "fail"
    assert (
        f"no manual snapshot {name} of it exists; snapshot {name} exists but was taken of replication group "
        f"{other.spec.elasticache.replication_group}, not of {built.spec.elasticache.replication_group}"
    ) in result.message


def test_a_snapshot_in_progress_is_pending_in_every_check_judging_it(solved):
    """The documented my-cluster group (retention 0) and its member's snapshot, caught while still creating: pending
    where it is judged, and judged once (the Redis persistence check leaves ElastiCache's snapshots to it)."""
    from tests.corpus.test_corpus_replay import NoFixtures, verdict

    group = cli_output("elasticache", "describe-replication-groups")["ReplicationGroups"][0]
    snapshots = cli_output("elasticache", "describe-snapshots")["Snapshots"]
    snapshot = {**next(s for s in snapshots if s["SnapshotName"] == "my-cluster"), "SnapshotStatus": "creating"}
    spec = replace_section(solved, "elasticache", replication_group="my-cluster", snapshot_name="my-cluster")

    def lookups() -> Lookups:
        made = Lookups(None, spec)  # type: ignore[arg-type]  # every look is the document
        made._memo.update({"replication_group": (True, group), "named_snapshot": (True, snapshot)})
        return made

    present = verdict(load_check(SNAPSHOT_CHECK), elasticache_lookups=lookups(), target=AWS_TARGET)
    persisted = verdict(load_check("redis_persistence_configured"), lab=spec, target=AWS_TARGET, request=NoFixtures())
    assert present[0] == "pending"
    assert "my-cluster" in present[1]
    assert persisted[0] == "skip"
    assert "judged once, by elasticache_snapshot_present" in persisted[1]


@pytest.mark.parametrize(
    ("source", "observed"),
    [
        ("0.0.0.0/0", True),
        ("::/0", True),
        ("10.0.0.0/8", True),
        ("172.16.0.0/12", True),
        ("10.20.0.0/16", False),
        ("10.20.1.0/24", False),
        ("2001:db8::/32", True),
        ("2001:db8:1234:5600::/56", False),
        ("not-a-cidr", True),
    ],
)
def test_too_wide_means_wider_than_a_vpc(source, observed):
    kind = "ipv6" if ":" in source else "ipv4"
    assert ev.IngressRule("tcp", 6379, 6379, kind, source).too_wide is observed
