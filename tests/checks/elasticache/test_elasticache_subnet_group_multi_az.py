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


def test_fails_with_subnets_in_one_zone_and_its_hint_adds_a_subnet_in_another(local_target, grade, lab_setup, run_hint):
    built = lab_setup(zones=("us-east-1a", "us-east-1a"), multi_az=False)  # AWS refuses Multi-AZ in one AZ
    name = built.spec.elasticache.subnet_group
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == (
        f"Cache subnet group {name} spans 1 Availability Zone(s) ({built.subnets[0]} in us-east-1a, "
        f"{built.subnets[1]} in us-east-1a); expected at least 2."
    )
    # No subnet of the VPC is in a second AZ: the hint creates one (a free /24 of the VPC), then adds it.
    create, modify = result.hint_commands
    assert (
        create == f"aws ec2 create-subnet --vpc-id {built.vpc} --availability-zone us-east-1b --cidr-block 10.20.0.0/24"
    )
    assert modify.startswith(
        f"aws elasticache modify-cache-subnet-group --cache-subnet-group-name {name} --subnet-ids "
        f'{built.subnets[0]} {built.subnets[1]} "$(aws ec2 describe-subnets --filters Name=vpc-id,Values={built.vpc} '
    )
    assert "these commands create one, then extend subnet group" in result.hint_note
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_subnet_group_is_missing_and_its_hint_creates_it(
    local_target, grade, lab_setup, clients, run_hint
):
    built = lab_setup(create_group=False)
    name = built.spec.elasticache.subnet_group
    clients.client("elasticache").delete_cache_subnet_group(CacheSubnetGroupName=name)
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"Cache subnet group {name} was not found in us-east-1" in result.message
    # The lab's VPC (found by the lab's security groups) and its subnets in two AZs, looked up by the grader.
    assert result.hint_commands == [
        f"aws elasticache create-cache-subnet-group --cache-subnet-group-name {name} "
        f"--cache-subnet-group-description 'Redis subnets in 2 AZs' --subnet-ids {' '.join(built.subnets)}"
    ]
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_group_runs_in_another_subnet_group(local_target, grade, lab_setup, clients, run_hint):
    built = lab_setup()
    # A well-formed subnet group of the same VPC that the replication group does not use: the lab's.
    labs = unique("lab-redis-subnets")
    clients.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=labs, CacheSubnetGroupDescription="redis", SubnetIds=built.subnets
    )
    spec = replace_section(built.spec, "elasticache", subnet_group=labs)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"runs in subnet group {built.spec.elasticache.subnet_group}, not the lab's {labs}" in result.message
    assert "The subnet group is chosen at creation" in result.hint_note
    run_hint(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
