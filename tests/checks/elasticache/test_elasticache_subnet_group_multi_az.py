from __future__ import annotations

import pytest

from tests.conftest import replace_section, unique

CHECK = "elasticache_subnet_group_multi_az"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "lab-redis-subnets spans 2 Availability Zones" in result.message
    assert "in us-east-1a" in result.message
    assert "in us-east-1b" in result.message


def test_fails_with_subnets_in_one_zone(local_target, grade, lab_setup):
    built = lab_setup(zones=("us-east-1a", "us-east-1a"), multi_az=False)  # AWS refuses Multi-AZ in one AZ
    name = built.spec.elasticache.subnet_group
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == (
        f"Cache subnet group {name} spans 1 Availability Zone(s) ({built.subnets[0]} in us-east-1a, "
        f"{built.subnets[1]} in us-east-1a); expected at least 2."
    )
    assert result.hint == (
        f"aws elasticache modify-cache-subnet-group --cache-subnet-group-name {name} --subnet-ids "
        f"{built.subnets[0]} {built.subnets[1]} <subnet in another AZ>"
    )


def test_fails_when_the_subnet_group_is_missing(solved, local_target, grade):
    spec = replace_section(solved, "elasticache", subnet_group=unique("no-such-subnets"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"Cache subnet group {spec.elasticache.subnet_group} was not found in us-east-1" in result.message
    assert result.hint.startswith(
        f"aws elasticache create-cache-subnet-group --cache-subnet-group-name {spec.elasticache.subnet_group}"
    )


def test_fails_when_the_group_runs_in_another_subnet_group(local_target, grade, lab_setup):
    built = lab_setup()
    other = lab_setup(create_group=False)  # a well-formed subnet group the replication group does not use
    spec = replace_section(built.spec, "elasticache", subnet_group=other.spec.elasticache.subnet_group)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert (
        f"runs in subnet group {built.spec.elasticache.subnet_group}, not the lab's "
        f"{other.spec.elasticache.subnet_group}"
    ) in result.message


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
