from __future__ import annotations

import pytest

CHECK = "cleanup_elasticache_groups_deleted"
pytestmark = pytest.mark.sandbox


def test_passes_once_the_reference_cleanup_ran(scenario):
    cleaned = scenario("cleaned")
    result = cleaned.run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert f"subnet group {cleaned.spec.elasticache.subnet_group}" in result.message
    # The sandbox has cache parameter groups: the reference cleanup deleted the lab's, and the check looked.
    assert f"parameter group {cleaned.spec.elasticache.parameter_group}" in result.message
    assert "not_checked" not in result.evidence


def test_fails_when_the_subnet_group_is_left(scenario, fix):
    left = scenario("subnet_group")
    result = left.run.get(CHECK)
    group = left.facts["group"]
    assert result.status == "fail"
    assert f"ElastiCache subnet group {group} of lab {left.spec.lab.name} is still there" in result.message
    assert result.hint == (
        f"aws elasticache delete-cache-subnet-group --cache-subnet-group-name {group} --region us-east-1"
    )
    assert fix(left, CHECK).status == "pass"


def test_a_default_subnet_group_is_never_the_labs(scenario):
    result = scenario("default_subnet_group").run.get(CHECK)
    assert result.status == "pass", result.message


def test_fails_when_the_parameter_group_is_left(scenario, fix):
    left = scenario("parameter_group")
    result = left.run.get(CHECK)
    group = left.facts["group"]
    assert result.status == "fail"
    assert f"parameter group {group} of lab {left.spec.lab.name} is still there" in result.message
    assert result.hint == (
        f"aws elasticache delete-cache-parameter-group --cache-parameter-group-name {group} --region us-east-1"
    )
    assert fix(left, CHECK).status == "pass"


def test_errors_when_the_endpoint_is_down(unreachable_run):
    result = unreachable_run.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
