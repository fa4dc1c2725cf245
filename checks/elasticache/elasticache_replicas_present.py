from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed, require_group, require_settled
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_replicas_present",
    points=3,
    objective="The replication group has one primary and at least the lab's number of replicas (NodeGroupMembers[].CurrentRole).",
    hint="aws elasticache increase-replica-count --replication-group-id {lab.elasticache.replication_group} --new-replica-count {lab.elasticache.min_replicas} --apply-immediately",
    requires=("elasticache",),
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def elasticache_replicas_present(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    group = require_group(elasticache_lookups, target.region, "primary and replicas")
    require_settled(group, "primary and replicas")
    name = spec.replication_group
    shards = ev.shard_roles(group)
    observed = ev.describe_roles(shards)
    expected = f"1 primary and at least {spec.min_replicas} replica(s) per node group"
    problems = ev.role_problems(group, spec.min_replicas)
    if problems:
        fail(
            f"ElastiCache replication group {name}: {'; '.join(problems)}.",
            call="elasticache.describe_replication_groups",
            observed=observed,
            expected=expected,
            hint=Hint(tuple(hints.replica_commands(elasticache_lookups, group)))
            if hints.replica_commands(elasticache_lookups, group)
            else None,
        )
    members = [
        f"primary {shard.primaries[0]}, replicas {', '.join(shard.replicas)}"
        if shard.primaries
        else f"{', '.join(shard.unlabelled)}: one primary, the rest replicas (cluster mode reports no CurrentRole)"
        for shard in shards
    ]
    return passed(
        f"ElastiCache replication group {name} has {observed} ({'; '.join(members)}).",
        call="elasticache.describe_replication_groups",
        observed=observed,
        expected=expected,
    )
