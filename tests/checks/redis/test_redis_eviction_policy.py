from __future__ import annotations

import pytest

from labgrader.engine.verdict import NotApplicable
from tests.checks.elasticache.aws_docs import AWS_TARGET
from tests.conftest import load_check

CHECK = "redis_eviction_policy"


@pytest.mark.sandbox
def test_passes_on_the_reference_solution(redis_reference):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["call"] == "CONFIG GET maxmemory-policy"
    assert result.evidence["observed"] == "allkeys-lru"


@pytest.mark.sandbox
def test_fails_when_left_at_the_default(solved, local_target, grade, changed_setting, run_hint):
    changed_setting("maxmemory-policy", "noeviction")  # redis-server's default, as the sandbox starts
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == f"Redis at {local_target.redis_url} has maxmemory-policy noeviction; expected allkeys-lru."
    assert result.hint == 'redis-cli -u "$REDIS_URL" CONFIG SET maxmemory-policy allkeys-lru'
    run_hint(result)
    assert grade(solved, local_target, only={CHECK}).get(CHECK).status == "pass"


@pytest.mark.sandbox
def test_errors_when_redis_is_down(redis_unreachable):
    assert redis_unreachable.get(CHECK).status == "error"


class Request:
    """A `request` that refuses every fixture: on AWS the check asks for none (no CONFIG, no second look at the
    parameter group)."""

    def getfixturevalue(self, name: str) -> object:
        raise AssertionError(f"on AWS the check must not ask for {name}")


def test_on_aws_the_parameter_group_check_alone_judges_the_policy(solved):
    # One mistake, one penalty: elasticache_parameter_group_eviction_policy reads the same maxmemory-policy.
    with pytest.raises(NotApplicable) as raised:
        load_check(CHECK)(lab=solved, target=AWS_TARGET, request=Request())
    assert raised.value.status == "skip"
    assert raised.value.message == (
        "the eviction policy is judged once, by elasticache_parameter_group_eviction_policy (ElastiCache refuses "
        "CONFIG, so the policy is the parameter group's maxmemory-policy)"
    )
