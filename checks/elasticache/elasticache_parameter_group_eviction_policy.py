from __future__ import annotations

from labgrader.check import check
from labgrader.elasticache_api import Lookups
from labgrader.evaluate import elasticache as ev
from labgrader.targets import Target
from labgrader.verdict import Passed, fail, passed, pending


@check(
    "elasticache_parameter_group_eviction_policy",
    points=2,
    objective="The replication group runs with the lab's parameter group (a family the lab allows) whose maxmemory-policy is the lab's eviction policy.",
    hint="aws elasticache modify-cache-parameter-group --cache-parameter-group-name {lab.elasticache.parameter_group} --parameter-name-values ParameterName=maxmemory-policy,ParameterValue={lab.elasticache.eviction_policy}",
    requires=("elasticache",),
    aws_actions=(
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        "elasticache:DescribeCacheParameterGroups",
        "elasticache:DescribeCacheParameters",
    ),
)
def elasticache_parameter_group_eviction_policy(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    wanted = spec.parameter_group
    name, source = elasticache_lookups.parameter_group_in_use()
    if name is None:
        fail(
            f"ElastiCache replication group {spec.replication_group} reports no parameter group and the lab spec "
            "names none; expected a custom parameter group with maxmemory-policy "
            f"{spec.eviction_policy}.",
            call="elasticache.describe_cache_clusters",
            observed=None,
            expected=spec.eviction_policy,
        )
    modify = (
        f"aws elasticache modify-cache-parameter-group --cache-parameter-group-name {wanted or name} "
        f"--parameter-name-values ParameterName=maxmemory-policy,ParameterValue={spec.eviction_policy}"
    )
    use = (
        f"aws elasticache modify-replication-group --replication-group-id {spec.replication_group} "
        f"--cache-parameter-group-name {wanted} --apply-immediately"
    )
    create = (
        f"aws elasticache create-cache-parameter-group --cache-parameter-group-name {wanted} "
        f"--cache-parameter-group-family {spec.parameter_group_families[0]} --description 'lab eviction policy'"
    )
    if wanted and name != wanted:
        default = (
            f" (a default group: its maxmemory-policy is {ev.DEFAULT_EVICTION_POLICY} and cannot be modified)"
            if ev.is_default_parameter_group(name)
            else ""
        )
        # The lab's group may exist already (made, then not attached): creating it again would stop the commands.
        steps = [modify, use] if elasticache_lookups.parameter_group(wanted) is not None else [create, modify, use]
        fail(
            f"ElastiCache replication group {spec.replication_group} runs with parameter group {name}{default}, not "
            f"the lab's {wanted}.",
            call="elasticache.describe_cache_clusters",
            observed=name,
            expected=wanted,
            hint=" && ".join(steps),
        )
    group = elasticache_lookups.parameter_group(name)
    if group is None:
        fail(
            f"Cache parameter group {name} (named by {source}) was not found in {target.region}.",
            call="elasticache.describe_cache_parameter_groups",
            observed="CacheParameterGroupNotFoundFault",
            expected=name,
            hint=f"{create} && {modify} && {use}",
        )
    family = group.get("CacheParameterGroupFamily")
    if family not in spec.parameter_group_families:
        fail(
            f"Cache parameter group {name} has family {family}; the lab expects one of "
            f"{', '.join(spec.parameter_group_families)}.",
            call="elasticache.describe_cache_parameter_groups",
            observed=family,
            expected=spec.parameter_group_families,
            hint=f"A group's family is fixed: {create} && {modify} && {use}",
        )
    values = elasticache_lookups.parameters(name)
    policy = values.get("maxmemory-policy")
    call = "elasticache.describe_cache_parameters"
    if policy != spec.eviction_policy:
        default = ev.is_default_parameter_group(name)
        fail(
            f"Cache parameter group {name} has maxmemory-policy {policy}"
            + (" (default groups cannot be modified)" if default else "")
            + f"; expected {spec.eviction_policy}.",
            call=call,
            observed=policy,
            expected=spec.eviction_policy,
            hint=f"{create} && {modify} && {use}" if default else modify,
        )
    applying = {
        group_name: status
        for group_name, status in ev.parameter_groups_of(elasticache_lookups.member_clusters()).items()
        if status != "in-sync"
    }
    if applying:
        pending(
            f"Cache parameter group {name} has maxmemory-policy {policy}, but the nodes are still "
            f"{', '.join(sorted(set(applying.values())))}; expected in-sync.",
            call="elasticache.describe_cache_clusters",
            observed=applying,
            expected="in-sync",
        )
    return passed(
        f"ElastiCache replication group {spec.replication_group} runs with parameter group {name} ({family}) whose "
        f"maxmemory-policy is {policy}.",
        call=call,
        observed=policy,
        expected=spec.eviction_policy,
        extra={"parameter_group": name, "family": family},
    )
