from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, not_applicable, passed, require_group
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_multi_az_enabled",
    points=2,
    objective="Multi-AZ is enabled on the replication group and its nodes sit in different Availability Zones.",
    hint="aws elasticache modify-replication-group --replication-group-id {lab.elasticache.replication_group} --multi-az-enabled --automatic-failover-enabled --apply-immediately",
    requires=("elasticache",),
    aws_actions=(
        "elasticache:DescribeReplicationGroups",
        # a subnet group in one AZ: the hint extends it first (elasticache_hints.subnet_group_hint's lookups)
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:DescribeAvailabilityZones",
    ),
)
def elasticache_multi_az_enabled(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    if not spec.multi_az:
        not_applicable("not part of this lab (the lab spec sets multi_az = false)")
    group = require_group(elasticache_lookups, target.region, "Multi-AZ setting")
    name = spec.replication_group
    call = "elasticache.describe_replication_groups"
    state = ev.multi_az(group)
    zones = ev.member_zones(group)
    placement = ", ".join(f"{member} in {zone}" for member, zone in sorted(zones.items())) or "not reported"
    if state != "enabled":
        # Multi-AZ is its own setting: a group with automatic failover on can still have it off.
        failover = ev.automatic_failover(group)
        # In the order AWS accepts: a replica, automatic failover, subnets in two AZs, then Multi-AZ.
        commands = hints.replica_commands(elasticache_lookups, group)
        if failover != "enabled":
            commands += hints.modify_group_commands(name, "--automatic-failover-enabled")
        if hints.subnet_group_in_one_zone(elasticache_lookups):
            commands += hints.subnet_group_hint(elasticache_lookups).commands
        commands += hints.modify_group_commands(name, "--multi-az-enabled")
        fail(
            f"ElastiCache replication group {name} has Multi-AZ {state} (automatic failover {failover}); "
            "expected Multi-AZ enabled.",
            call=call,
            observed=state,
            expected="enabled",
            hint=Hint(tuple(commands)),
        )
    if len(zones) >= 2 and len(set(zones.values())) < 2:
        fail(
            f"ElastiCache replication group {name} has Multi-AZ enabled but every node is in "
            f"{next(iter(zones.values()))} ({placement}); expected the replica in another Availability Zone.",
            call=call,
            observed=placement,
            expected="nodes in at least 2 Availability Zones",
            hint=hints.recreate_replication_group_hint(
                elasticache_lookups,
                "Where the nodes run is chosen at creation",
                hints.spread_zones(elasticache_lookups),
            ),
        )
    return passed(
        f"ElastiCache replication group {name} has Multi-AZ enabled ({placement}).",
        call=call,
        observed=state,
        expected="enabled",
        extra={"placement": zones},
    )
