from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_subnet_group_multi_az",
    points=2,
    objective="The lab's cache subnet group has subnets in enough distinct Availability Zones, and the replication group uses it.",
    hint=Hint(
        note="Give subnet group {lab.elasticache.subnet_group} subnets in {lab.elasticache.min_subnet_azs} "
        "Availability Zones of the lab's VPC."
    ),
    requires=("elasticache",),
    aws_actions=(
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        # the hint's lookups (elasticache_hints.subnets_in_zones): the VPC's subnets, its range, the region's AZs
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:DescribeAvailabilityZones",
    ),
)
def elasticache_subnet_group_multi_az(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    name = spec.subnet_group
    call = "elasticache.describe_cache_subnet_groups"
    subnet_group = elasticache_lookups.subnet_group()
    if subnet_group is None:
        fail(
            f"Cache subnet group {name} was not found in {target.region}; expected it with subnets in "
            f"{spec.min_subnet_azs} Availability Zones.",
            call=call,
            observed="CacheSubnetGroupNotFoundFault",
            expected=name,
            hint=hints.subnet_group_hint(elasticache_lookups),
        )
    subnets = ev.subnet_zones(subnet_group)
    zones = ev.distinct_zones(subnet_group)
    observed = {subnet: zone or "AZ not reported" for subnet, zone in subnets.items()}
    layout = ", ".join(f"{subnet} in {zone}" for subnet, zone in observed.items()) or "no subnets"
    if len(zones) < spec.min_subnet_azs:
        fail(
            f"Cache subnet group {name} spans {len(zones)} Availability Zone(s) ({layout}); expected at least "
            f"{spec.min_subnet_azs}.",
            call=call,
            observed=observed,
            expected=f">= {spec.min_subnet_azs} distinct AZs",
            hint=hints.subnet_group_hint(elasticache_lookups),
        )
    used = ev.subnet_groups_of(elasticache_lookups.member_clusters())
    if used and name not in used:
        fail(
            f"ElastiCache replication group {spec.replication_group} runs in subnet group {', '.join(sorted(used))}, "
            f"not the lab's {name}.",
            call="elasticache.describe_cache_clusters",
            observed=sorted(used),
            expected=name,
            hint=hints.recreate_replication_group_hint(elasticache_lookups, "The subnet group is chosen at creation"),
        )
    return passed(
        f"Cache subnet group {name} spans {len(zones)} Availability Zones ({layout}).",
        call=call,
        observed=observed,
        expected=f">= {spec.min_subnet_azs} distinct AZs",
    )
