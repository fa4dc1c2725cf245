from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed, pending
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_replication_group_available",
    points=3,
    objective="The lab's ElastiCache replication group exists, runs an engine the lab allows and is available.",
    hint=Hint(
        (
            "aws elasticache wait replication-group-available --replication-group-id {lab.elasticache.replication_group}",
        ),
        "Wait until replication group {lab.elasticache.replication_group} is available, then grade again.",
    ),
    requires=("elasticache",),
    aws_actions=(
        "elasticache:DescribeReplicationGroups",
        # the create hint (elasticache_hints.create_replication_group_commands) looks up the lab's VPC, security
        # groups and, for a missing subnet group, subnets and AZs; the prerequisite fails of the other ElastiCache
        # checks and of the Redis endpoint print the same hint, from the run's shared lookups
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:DescribeAvailabilityZones",
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:DescribeCacheParameterGroups",
    ),
)
def elasticache_replication_group_available(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    name = spec.replication_group
    group = elasticache_lookups.replication_group()
    if group is None:
        close = ev.near_matches(name, elasticache_lookups.replication_group_ids())
        found = f"; found {', '.join(close)} there instead" if close else ""
        fail(
            f"ElastiCache replication group {name} was not found in {target.region}{found}; expected it to exist.",
            call="elasticache.describe_replication_groups",
            observed=close or "ReplicationGroupNotFoundFault",
            expected=name,
            hint=hints.create_replication_group_hint(elasticache_lookups),
        )
    status = ev.group_status(group)
    engine = group.get("Engine")
    if engine is not None and engine not in spec.engines:
        fail(
            f"ElastiCache replication group {name} runs {engine}; the lab expects {' or '.join(spec.engines)}.",
            call="elasticache.describe_replication_groups",
            observed=engine,
            expected=spec.engines,
            hint=hints.recreate_replication_group_hint(elasticache_lookups, "The engine is chosen at creation"),
        )
    if status in ev.PENDING_STATUSES:
        pending(
            f"ElastiCache replication group {name} is {status}; expected available.",
            call="elasticache.describe_replication_groups",
            observed=status,
            expected="available",
        )
    if status != "available":
        fail(
            f"ElastiCache replication group {name} is {status}; expected available.",
            call="elasticache.describe_replication_groups",
            observed=status,
            expected="available",
            hint=hints.recreate_replication_group_hint(
                elasticache_lookups,
                f"A group that is {status} does not recover by itself (aws elasticache describe-events tells why)",
            ),
        )
    runs = f" ({engine})" if engine else ""
    return passed(
        f"ElastiCache replication group {name}{runs} exists in {target.region} and is available.",
        call="elasticache.describe_replication_groups",
        observed=status,
        expected="available",
    )
