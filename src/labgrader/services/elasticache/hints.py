"""The ElastiCache checks' fixes: commands that run as printed, with the ids the grader looked up.

Nothing to fill in: the VPC, subnets and security groups are the lab's as the grader found them (by name, through
the run's Lookups); what is missing, the commands create first (a subnet in another Availability Zone, the security
groups, the parameter group, the subnet group), in the order AWS accepts (a replica before automatic failover,
failover before Multi-AZ), and they wait where AWS takes time (`aws elasticache wait replication-group-available`).
"""

from __future__ import annotations

import ipaddress
import shlex
from typing import Any

import botocore.exceptions

from labgrader.engine.verdict import Hint
from labgrader.services.elasticache import evaluation as ev
from labgrader.services.elasticache.lookups import Lookups

q = shlex.quote


_COULD_NOT_LOOK = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def _ec2_answer(lookups: Lookups, key: str, call: Any) -> Any:
    """An EC2 lookup for a hint, or None when the grader may not make it (the hint then looks it up in shell)."""

    def guarded() -> Any:
        try:
            return call()
        except _COULD_NOT_LOOK:
            return None

    return lookups._once(("hint", key), guarded)


def _found(lookup: Any) -> Any:
    """What a lookup found, None when nothing or when the grader could not look (a hint is built on a miss)."""
    try:
        return lookup()
    except _COULD_NOT_LOOK:
        return None


def _missing(lookup: Any) -> bool:
    """True only when the grader looked and found nothing (a hint never re-creates what it could not see)."""
    try:
        return lookup() is None
    except _COULD_NOT_LOOK:
        return False


def wait_group_cli(name: str) -> str:
    return f"aws elasticache wait replication-group-available --replication-group-id {q(name)}"


def modify_group_commands(name: str, *options: str) -> list[str]:
    """modify-replication-group with `options`, applied now, then wait until the group is available again."""
    modify = " ".join(
        [
            "aws elasticache modify-replication-group",
            f"--replication-group-id {q(name)}",
            *options,
            "--apply-immediately",
        ]
    )
    return [modify, wait_group_cli(name)]


# --- the lab's network ------------------------------------------------------------------------------------------


def lab_vpc(lookups: Lookups) -> str | None:
    """The lab's VPC: the subnet group's, else the lab security group's, else the region's default VPC."""
    subnet_group = _found(lookups.subnet_group)
    if subnet_group and subnet_group.get("VpcId"):
        return str(subnet_group["VpcId"])
    for name in (lookups.spec.security_group, lookups.spec.app_security_group):
        group = _found(lambda n=name: lookups.lab_security_group(n)) if name else None
        if group and group.get("VpcId"):
            return str(group["VpcId"])
    answer = _ec2_answer(
        lookups, "default-vpc", lambda: lookups.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])
    )
    vpcs = (answer or {}).get("Vpcs") or []
    return str(vpcs[0]["VpcId"]) if vpcs else None


def _vpc_ref(lookups: Lookups) -> str:
    vpc = lab_vpc(lookups)
    if vpc:
        return vpc
    return "\"$(aws ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId' --output text)\""


def subnets_in_zones(lookups: Lookups, keep: list[str]) -> tuple[list[str], list[str]]:
    """(commands, subnet references) for subnets in `min_subnet_azs` distinct AZs of the lab's VPC: the subnets in
    `keep` first, then other subnets of the VPC in new AZs, then subnets the commands create in the AZs left."""
    spec = lookups.spec
    vpc = lab_vpc(lookups)
    if vpc is None:
        return [], keep
    answer = _ec2_answer(
        lookups, f"subnets-{vpc}", lambda: lookups.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    )
    subnets = (answer or {}).get("Subnets") or []
    zone_of = {s["SubnetId"]: s.get("AvailabilityZone") for s in subnets}
    chosen = list(keep)
    zones = {zone_of.get(s) for s in keep if zone_of.get(s)}
    for subnet in sorted(subnets, key=lambda s: (s.get("AvailabilityZone", ""), s["SubnetId"])):
        if len(zones) >= spec.min_subnet_azs:
            break
        if subnet["SubnetId"] not in chosen and subnet.get("AvailabilityZone") not in zones:
            chosen.append(subnet["SubnetId"])
            zones.add(subnet.get("AvailabilityZone"))
    commands: list[str] = []
    if len(zones) < spec.min_subnet_azs:
        free_zones = [z for z in available_zones(lookups) if z not in zones]
        cidrs = free_cidrs(lookups, vpc, [s.get("CidrBlock", "") for s in subnets])
        for zone, cidr in zip(free_zones[: spec.min_subnet_azs - len(zones)], cidrs, strict=False):
            commands.append(f"aws ec2 create-subnet --vpc-id {vpc} --availability-zone {zone} --cidr-block {cidr}")
            chosen.append(
                f'"$(aws ec2 describe-subnets --filters Name=vpc-id,Values={vpc} Name=cidr-block,Values={cidr} '
                "--query 'Subnets[0].SubnetId' --output text)\""
            )
    return commands, chosen


def available_zones(lookups: Lookups) -> list[str]:
    answer = _ec2_answer(lookups, "zones", lookups.ec2.describe_availability_zones)
    zones = [z["ZoneName"] for z in (answer or {}).get("AvailabilityZones") or [] if z.get("State", "available")]
    return sorted(zones)


def free_cidrs(lookups: Lookups, vpc: str, taken: list[str]) -> list[str]:
    """/24 blocks (or the VPC's size's sixteenth) of the VPC's range that no subnet of it uses."""
    answer = _ec2_answer(lookups, f"vpc-{vpc}", lambda: lookups.ec2.describe_vpcs(VpcIds=[vpc]))
    vpcs = (answer or {}).get("Vpcs") or []
    if not vpcs:
        return []
    network = ipaddress.ip_network(vpcs[0]["CidrBlock"])
    used = [ipaddress.ip_network(c) for c in taken if c]
    prefix = max(24, network.prefixlen + 4) if network.prefixlen < 28 else 28
    free = []
    for block in network.subnets(new_prefix=prefix):
        if not any(block.overlaps(u) for u in used):
            free.append(str(block))
        if len(free) >= 6:
            break
    return free


def subnet_group_hint(lookups: Lookups) -> Hint:
    """Create the lab's subnet group, or give it subnets in enough AZs (creating a subnet where the VPC has none)."""
    spec = lookups.spec
    existing = _found(lookups.subnet_group)
    keep = list(ev.subnet_zones(existing)) if existing else []
    commands, subnets = subnets_in_zones(lookups, keep)
    ids = " ".join(subnets)
    if existing is None:
        description = q(f"Redis subnets in {spec.min_subnet_azs} AZs")
        commands.append(
            f"aws elasticache create-cache-subnet-group --cache-subnet-group-name {q(spec.subnet_group)} "
            f"--cache-subnet-group-description {description} --subnet-ids {ids}"
        )
    else:
        commands.append(
            f"aws elasticache modify-cache-subnet-group --cache-subnet-group-name {q(spec.subnet_group)} "
            f"--subnet-ids {ids}"
        )
    created = any(c.startswith("aws ec2 create-subnet") for c in commands)
    note = (
        f"The lab's VPC has no subnet in a second Availability Zone: these commands create one, then "
        f"{'create' if existing is None else 'extend'} subnet group {spec.subnet_group}."
        if created
        else None
    )
    return Hint(tuple(commands), note)


# --- security groups --------------------------------------------------------------------------------------------


def security_group_ref(lookups: Lookups, name: str) -> str:
    """The group's id when the grader found it, else a shell lookup by name (for a group the hint creates)."""
    group = _found(lambda: lookups.lab_security_group(name))
    if group is not None:
        return str(group["GroupId"])
    vpc = lab_vpc(lookups)
    vpc_filter = f" Name=vpc-id,Values={vpc}" if vpc else ""
    return (
        f'"$(aws ec2 describe-security-groups --filters Name=group-name,Values={q(name)}{vpc_filter} '
        "--query 'SecurityGroups[0].GroupId' --output text)\""
    )


def security_group_commands(lookups: Lookups) -> list[str]:
    """Create the lab's missing security groups (in the lab's VPC) and let the app's group reach the Redis port."""
    spec = lookups.spec
    commands: list[str] = []
    created = False
    for name, description in ((spec.security_group, "Redis from the app"), (spec.app_security_group, "lab app")):
        if name and _missing(lambda n=name: lookups.lab_security_group(n)):
            commands.append(
                f"aws ec2 create-security-group --group-name {q(name)} --description {q(description)} "
                f"--vpc-id {_vpc_ref(lookups)}"
            )
            created = True
    if created and spec.app_security_group:
        commands.append(authorize_from_app_cli(lookups))
    return commands


def authorize_from_app_cli(lookups: Lookups) -> str:
    spec = lookups.spec
    assert spec.app_security_group is not None
    return (
        f"aws ec2 authorize-security-group-ingress --group-id {security_group_ref(lookups, spec.security_group)} "
        f"--protocol tcp --port {spec.port} --source-group {security_group_ref(lookups, spec.app_security_group)}"
    )


# --- parameter group, replication group -------------------------------------------------------------------------


def parameter_group_commands(lookups: Lookups, name: str, family: str) -> list[str]:
    """Create parameter group `name` of `family` with the lab's eviction policy."""
    spec = lookups.spec
    return [
        f"aws elasticache create-cache-parameter-group --cache-parameter-group-name {q(name)} "
        f"--cache-parameter-group-family {q(family)} --description {q('maxmemory-policy ' + spec.eviction_policy)}",
        f"aws elasticache modify-cache-parameter-group --cache-parameter-group-name {q(name)} "
        f"--parameter-name-values ParameterName=maxmemory-policy,ParameterValue={spec.eviction_policy}",
    ]


def create_replication_group_commands(lookups: Lookups, zones: list[str] | None = None) -> list[str]:
    """The lab's replication group, after whatever it needs that is missing (subnet group, security groups,
    parameter group), then wait until it is available."""
    spec = lookups.spec
    commands: list[str] = []
    if _missing(lookups.subnet_group):
        commands += subnet_group_hint(lookups).commands
    commands += security_group_commands(lookups)
    if spec.parameter_group and _missing(lambda: lookups.parameter_group(spec.parameter_group or "")):
        commands += parameter_group_commands(lookups, spec.parameter_group, spec.parameter_group_families[0])
    create = ev.create_replication_group_cli(lookups.lab).replace(
        f"--security-group-ids {ev.security_group_id_lookup(spec.security_group)}",
        f"--security-group-ids {security_group_ref(lookups, spec.security_group)}",
    )
    if zones:
        create += " --preferred-cache-cluster-a-zs " + " ".join(zones)
    return [*commands, create, wait_group_cli(spec.replication_group)]


def create_replication_group_hint(lookups: Lookups) -> Hint:
    return Hint(
        tuple(create_replication_group_commands(lookups)),
        f"These commands create replication group {lookups.spec.replication_group} as the lab sets it up (and "
        "what it needs that is missing), then wait until it is available (about 10 minutes on AWS).",
    )


def recreate_replication_group_hint(lookups: Lookups, why: str, zones: list[str] | None = None) -> Hint:
    """Delete the group, wait until it is gone, create it as the lab sets it up."""
    name = lookups.spec.replication_group
    commands = [
        f"aws elasticache delete-replication-group --replication-group-id {q(name)}",
        f"aws elasticache wait replication-group-deleted --replication-group-id {q(name)}",
        *create_replication_group_commands(lookups, zones),
    ]
    return Hint(
        tuple(commands),
        f"{why}: these commands delete replication group {name} with the data in it (take a snapshot first if "
        "you need it), wait until it is gone and create it again as the lab sets it up.",
    )


def spread_zones(lookups: Lookups) -> list[str]:
    """One Availability Zone per node, across the subnet group's AZs (the primary and its replicas apart)."""
    spec = lookups.spec
    subnet_group = _found(lookups.subnet_group)
    zones = sorted({z for z in ev.subnet_zones(subnet_group).values() if z}) if subnet_group else []
    nodes = 1 + max(spec.min_replicas, 1 if spec.automatic_failover else 0)
    return [zones[i % len(zones)] for i in range(nodes)] if len(zones) >= 2 else []


def subnet_group_in_one_zone(lookups: Lookups) -> bool:
    subnet_group = _found(lookups.subnet_group)
    return subnet_group is not None and len(ev.distinct_zones(subnet_group)) < 2


def replica_commands(lookups: Lookups, group: dict[str, Any]) -> list[str]:
    """Add replicas up to the lab's count when the group has fewer, and wait."""
    spec = lookups.spec
    replicas = min((shard.counts()[1] for shard in ev.shard_roles(group)), default=0)
    wanted = max(spec.min_replicas, 1 if spec.automatic_failover else 0)
    if replicas >= wanted:
        return []
    return [
        f"aws elasticache increase-replica-count --replication-group-id {q(spec.replication_group)} "
        f"--new-replica-count {wanted} --apply-immediately",
        wait_group_cli(spec.replication_group),
    ]
