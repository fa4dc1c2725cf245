from __future__ import annotations

import pytest
import redis

from labgrader.api import Hint, LabSpec, Passed, Target, check, fail, not_applicable, passed, redact_url


@check(
    "redis_eviction_policy",
    points=2,
    objective="The lab's Redis evicts with the lab's policy when memory is full (CONFIG GET maxmemory-policy; on ElastiCache, which refuses CONFIG, elasticache_parameter_group_eviction_policy judges it).",
    hint=Hint(('redis-cli -u "$REDIS_URL" CONFIG SET maxmemory-policy {lab.redis.eviction_policy}',)),
    requires=("redis",),
)
def redis_eviction_policy(lab: LabSpec, target: Target, request: pytest.FixtureRequest) -> Passed:
    assert lab.redis is not None
    wanted = lab.redis.eviction_policy
    if wanted is None:
        not_applicable("not part of this lab (the lab spec's [redis] section sets no eviction_policy)")
    if not target.provides("redis-admin"):
        # ElastiCache refuses CONFIG (lab-facts): the policy lives in the parameter group, which
        # elasticache_parameter_group_eviction_policy judges; judging it here too would charge one mistake twice.
        not_applicable(
            "the eviction policy is judged once, by elasticache_parameter_group_eviction_policy (ElastiCache refuses "
            "CONFIG, so the policy is the parameter group's maxmemory-policy)"
        )
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
