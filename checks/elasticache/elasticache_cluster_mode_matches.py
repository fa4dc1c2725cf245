from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed, pending, require_group, require_settled
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_cluster_mode_matches",
    points=2,
    objective="The replication group's cluster mode is the lab's, with the matching endpoint (primary/reader, or configuration).",
    hint=Hint(note="Cluster mode is chosen at creation: delete the replication group and create it again."),
    requires=("elasticache",),
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def elasticache_cluster_mode_matches(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    group = require_group(elasticache_lookups, target.region, "cluster mode")
    require_settled(group, "cluster mode and endpoints")
    name = spec.replication_group
    call = "elasticache.describe_replication_groups"
    mode = ev.cluster_mode(group)
    found = ev.endpoints(group)
    observed = {"cluster_mode": mode, "endpoints": found}
    if mode == "compatible" and spec.cluster_mode == "enabled":
        pending(
            f"ElastiCache replication group {name} is in cluster mode compatible (migrating); expected enabled.",
            call=call,
            observed=observed,
            expected=spec.cluster_mode,
        )
    problems = ev.cluster_mode_problems(group, spec.cluster_mode)
    if problems:
        fail(
            f"ElastiCache replication group {name}: {'; '.join(problems)}.",
            call=call,
            observed=observed,
            expected=f"cluster mode {spec.cluster_mode}",
            hint=hints.recreate_replication_group_hint(elasticache_lookups, "Cluster mode is chosen at creation"),
        )
    shown = ", ".join(f"{kind} {address}" for kind, address in found.items())
    return passed(
        f"ElastiCache replication group {name} runs with cluster mode {mode} ({shown}).",
        call=call,
        observed=observed,
        expected=f"cluster mode {spec.cluster_mode}",
    )
