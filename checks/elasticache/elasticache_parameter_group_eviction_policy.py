from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed, pending
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


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
    # The group the fix makes the nodes use: the lab's, else the one in use unless it is a default (read-only) one.
    fixed = wanted or (name if name and not ev.is_default_parameter_group(name) else f"{spec.replication_group}-params")
    fix_family = spec.parameter_group_families[0]
    modify = hints.parameter_group_commands(elasticache_lookups, fixed, fix_family)[1]
    use = hints.modify_group_commands(spec.replication_group, f"--cache-parameter-group-name {fixed}")
    build = [*hints.parameter_group_commands(elasticache_lookups, fixed, fix_family), *use]
    if name is None:
        fail(
            f"ElastiCache replication group {spec.replication_group} reports no parameter group and the lab spec "
            "names none; expected a custom parameter group with maxmemory-policy "
            f"{spec.eviction_policy}.",
            call="elasticache.describe_cache_clusters",
            observed=None,
            expected=spec.eviction_policy,
            hint=Hint(tuple(build)),
        )
    if wanted and name != wanted:
        default = (
            f" (a default group: its maxmemory-policy is {ev.DEFAULT_EVICTION_POLICY} and cannot be modified)"
            if ev.is_default_parameter_group(name)
            else ""
        )
        # The lab's group may exist already (made, then not attached): creating it again would stop the commands.
        steps = [modify, *use] if elasticache_lookups.parameter_group(wanted) is not None else build
        fail(
            f"ElastiCache replication group {spec.replication_group} runs with parameter group {name}{default}, not "
            f"the lab's {wanted}.",
            call="elasticache.describe_cache_clusters",
            observed=name,
            expected=wanted,
            hint=Hint(tuple(steps)),
        )
    group = elasticache_lookups.parameter_group(name)
    if group is None:
        fail(
            f"Cache parameter group {name} (named by {source}) was not found in {target.region}.",
            call="elasticache.describe_cache_parameter_groups",
            observed="CacheParameterGroupNotFoundFault",
            expected=name,
            hint=Hint(tuple(build)),
        )
    group_family = group.get("CacheParameterGroupFamily")
    if group_family not in spec.parameter_group_families:
        fail(
            f"Cache parameter group {name} has family {group_family}; the lab expects one of "
            f"{', '.join(spec.parameter_group_families)}.",
            call="elasticache.describe_cache_parameter_groups",
            observed=group_family,
            expected=spec.parameter_group_families,
            hint=Hint(
                (
                    *hints.modify_group_commands(
                        spec.replication_group,
                        f"--cache-parameter-group-name default.{spec.parameter_group_families[0]}",
                    ),
                    f"aws elasticache delete-cache-parameter-group --cache-parameter-group-name {name}",
                    *build,
                ),
                f"A parameter group's family is fixed: these commands move the replication group to the default "
                f"group for a moment, delete {name} and create it again with family {spec.parameter_group_families[0]}.",
            ),
        )
    values = elasticache_lookups.parameters(name)
    policy = values.get("maxmemory-policy")
    call = "elasticache.describe_cache_parameters"
    if policy != spec.eviction_policy:
        is_default = ev.is_default_parameter_group(name)
        fail(
            f"Cache parameter group {name} has maxmemory-policy {policy}"
            + (" (default groups cannot be modified)" if is_default else "")
            + f"; expected {spec.eviction_policy}.",
            call=call,
            observed=policy,
            expected=spec.eviction_policy,
            hint=Hint(tuple(build)) if is_default else modify,
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
        f"ElastiCache replication group {spec.replication_group} runs with parameter group {name} ({group_family}) whose "
        f"maxmemory-policy is {policy}.",
        call=call,
        observed=policy,
        expected=spec.eviction_policy,
        extra={"parameter_group": name, "family": group_family},
    )
