from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, not_applicable, passed, pending, require_group
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_automatic_failover_enabled",
    points=3,
    objective="Automatic failover is enabled on the replication group (the AutomaticFailover field).",
    hint="aws elasticache modify-replication-group --replication-group-id {lab.elasticache.replication_group} --automatic-failover-enabled --apply-immediately",
    requires=("elasticache",),
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def elasticache_automatic_failover_enabled(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    if not spec.automatic_failover:
        not_applicable("not part of this lab (the lab spec sets automatic_failover = false)")
    group = require_group(elasticache_lookups, target.region, "automatic failover")
    name = spec.replication_group
    # AutomaticFailover is the state; PendingModifiedValues.AutomaticFailoverStatus only announces a change.
    state = ev.automatic_failover(group)
    call = "elasticache.describe_replication_groups"
    if state == "enabling":
        pending(
            f"ElastiCache replication group {name} is still enabling automatic failover; expected enabled.",
            call=call,
            observed=state,
            expected="enabled",
        )
    if state != "enabled":
        replicas = sum(shard.counts()[1] for shard in ev.shard_roles(group))
        need = f" (it has {replicas} replicas, and failover needs one)" if replicas < 1 else ""
        # AWS refuses failover without a replica: the replica first.
        commands = hints.replica_commands(elasticache_lookups, group)
        commands += hints.modify_group_commands(name, "--automatic-failover-enabled")
        fail(
            f"ElastiCache replication group {name} has automatic failover {state}; expected enabled{need}.",
            call=call,
            observed=state,
            expected="enabled",
            hint=Hint(tuple(commands)),
        )
    return passed(
        f"ElastiCache replication group {name} has automatic failover enabled.",
        call=call,
        observed=state,
        expected="enabled",
    )
