from __future__ import annotations

import pytest

from labgrader.cleanup.model import FREE, Inventory, Leftover
from labgrader.verdict import CheckFailed
from tests.conftest import load_check

CHECK = "cleanup_elasticache_groups_deleted"
pytestmark = pytest.mark.sandbox


def test_passes_once_the_reference_cleanup_ran_and_says_what_the_sandbox_cannot_show(scenario):
    cleaned = scenario("cleaned")
    result = cleaned.run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert f"subnet group {cleaned.spec.elasticache.subnet_group}" in result.message
    # moto has no cache parameter groups: stated, never faked as checked.
    assert "parameter groups: not checkable on the sandbox" in result.message
    assert result.evidence["not_checked"]


def test_fails_when_the_subnet_group_is_left(scenario):
    left = scenario("subnet_group")
    result = left.run.get(CHECK)
    group = left.facts["group"]
    assert result.status == "fail"
    assert f"ElastiCache subnet group {group} of lab {left.spec.lab.name} is still there" in result.message
    assert result.hint == (
        f"aws elasticache delete-cache-subnet-group --cache-subnet-group-name {group} --region us-east-1"
    )


def test_a_default_subnet_group_is_never_the_labs(scenario):
    result = scenario("default_subnet_group").run.get(CHECK)
    assert result.status == "pass", result.message


def test_fails_when_the_parameter_group_is_left():
    # moto has no parameter groups, so this way of failing (AWS only) is judged from a crafted inventory.
    command = (
        "aws elasticache delete-cache-parameter-group --cache-parameter-group-name lab-redis-params --region us-east-1"
    )
    group = Leftover(
        "elasticache_parameter_group",
        "lab-redis-params",
        "us-east-1",
        "available",
        "named in the lab spec",
        cost=FREE,
        commands=(command,),
    )
    inventory = Inventory("week8", ("lab", "week8"), ("us-east-1",), leftovers=[group])
    with pytest.raises(CheckFailed, match="parameter group lab-redis-params of lab week8 is still there") as raised:
        load_check(CHECK)(cleanup_inventory=inventory)
    assert raised.value.hint == command


def test_errors_when_the_endpoint_is_down(unreachable_run):
    result = unreachable_run.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
