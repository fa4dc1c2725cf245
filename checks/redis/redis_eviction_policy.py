from __future__ import annotations

import pytest
import redis

from labgrader.api import Hint, LabSpec, Lookups, Passed, Target, check, fail, not_applicable, passed, redact_url
from labgrader.api import elasticache_hints as hints


@check(
    "redis_eviction_policy",
    points=2,
    objective="The lab's Redis evicts with the lab's policy when memory is full (CONFIG GET maxmemory-policy self-hosted; the parameter group on AWS, which refuses CONFIG).",
    hint=Hint(
        ('redis-cli -u "$REDIS_URL" CONFIG SET maxmemory-policy {lab.redis.eviction_policy}',),
        "On AWS, CONFIG is refused: set maxmemory-policy in the replication group's parameter group.",
    ),
    requires=("redis",),
    aws_actions=(
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        "elasticache:DescribeCacheParameters",
    ),
)
def redis_eviction_policy(lab: LabSpec, target: Target, request: pytest.FixtureRequest) -> Passed:
    assert lab.redis is not None
    wanted = lab.redis.eviction_policy
    if wanted is None:
        not_applicable("not part of this lab (the lab spec's [redis] section sets no eviction_policy)")
    if target.provides("redis-admin"):
        primary: redis.Redis = request.getfixturevalue("redis_primary")
        where = redact_url(request.getfixturevalue("redis_url"))
        policy = primary.config_get("maxmemory-policy").get("maxmemory-policy")
        if policy != wanted:
            fail(
                f"Redis at {where} has maxmemory-policy {policy}; expected {wanted}.",
                call="CONFIG GET maxmemory-policy",
                observed=policy,
                expected=wanted,
                hint=f'redis-cli -u "$REDIS_URL" CONFIG SET maxmemory-policy {wanted}',
            )
        return passed(
            f"Redis at {where} has maxmemory-policy {policy}.",
            call="CONFIG GET maxmemory-policy",
            observed=policy,
            expected=wanted,
        )
    # ElastiCache refuses CONFIG (lab-facts): the policy lives in the parameter group the nodes run with.
    lookups: Lookups = request.getfixturevalue("elasticache_lookups")
    name, source = lookups.parameter_group_in_use()
    if name is None:
        fail(
            f"ElastiCache replication group {lookups.spec.replication_group} reports no parameter group, so its "
            f"eviction policy cannot be {wanted}.",
            call="elasticache.describe_cache_clusters",
            observed=None,
            expected=wanted,
        )
    policy = lookups.parameters(name).get("maxmemory-policy")
    fixed = lookups.spec.parameter_group or f"{lookups.spec.replication_group}-params"
    if policy != wanted:
        fail(
            f"ElastiCache parameter group {name} (used by {source}) has maxmemory-policy {policy}; expected {wanted}.",
            call="elasticache.describe_cache_parameters",
            observed=policy,
            expected=wanted,
            hint=(
                Hint(
                    (
                        *hints.parameter_group_commands(lookups, fixed, lookups.spec.parameter_group_families[0]),
                        *hints.modify_group_commands(
                            lookups.spec.replication_group, f"--cache-parameter-group-name {fixed}"
                        ),
                    ),
                    f"Default parameter groups cannot be modified: these commands create {fixed} with "
                    f"maxmemory-policy {wanted} and attach it.",
                )
                if name.startswith("default.")
                else f"aws elasticache modify-cache-parameter-group --cache-parameter-group-name {name} "
                f"--parameter-name-values ParameterName=maxmemory-policy,ParameterValue={wanted}"
            ),
        )
    return passed(
        f"ElastiCache parameter group {name} (used by {source}) has maxmemory-policy {policy} (CONFIG is refused "
        "there: the policy is judged from the API).",
        call="elasticache.describe_cache_parameters",
        observed=policy,
        expected=wanted,
    )
