from __future__ import annotations

import json
import shlex

import pytest

CHECK = "cleanup_security_groups_deleted"
pytestmark = pytest.mark.sandbox


def test_passes_once_the_reference_cleanup_ran(scenario):
    cleaned = scenario("cleaned")
    result = cleaned.run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    cache = cleaned.spec.elasticache
    assert f"security groups {cache.security_group}, {cache.app_security_group} in the lab's VPC" in result.message


def test_fails_when_both_groups_are_left_and_deletes_the_redis_group_first(scenario):
    """Its two delete-security-group commands are run as printed, after the revoke, by
    test_a_rule_that_would_block_the_redis_group_is_revoked_first; not run twice."""
    left = scenario("security_groups")
    result = left.run.get(CHECK)
    assert result.status == "fail"
    assert result.message.startswith(f"EC2: 2 leftovers of lab {left.spec.lab.name} are still there")
    assert result.hint == (
        f"aws ec2 delete-security-group --group-id {left.facts['redis']} --region us-east-1\n"
        f"aws ec2 delete-security-group --group-id {left.facts['app']} --region us-east-1"
    )
    reasons = {item["reason"] for item in result.evidence["leftovers"]}
    assert reasons == {"named in the lab spec, in the lab's VPC"}


def test_a_rule_that_would_block_the_redis_group_is_revoked_first(scenario, fix):
    left = scenario("blocking_rule")
    result = left.run.get(CHECK)
    assert result.status == "fail"
    revoke, *deletes = result.evidence["delete_commands"]
    words = shlex.split(revoke)
    assert words[:5] == ["aws", "ec2", "revoke-security-group-egress", "--group-id", left.facts["app"]]
    assert json.loads(words[words.index("--ip-permissions") + 1]) == [left.facts["rule"]]
    assert deletes == [
        f"aws ec2 delete-security-group --group-id {left.facts['redis']} --region us-east-1",
        f"aws ec2 delete-security-group --group-id {left.facts['app']} --region us-east-1",
    ]
    assert result.hint == "\n".join(result.evidence["delete_commands"])  # the JSON's braces survive the template
    assert fix(left, CHECK).status == "pass"


def test_groups_of_the_lab_names_in_another_vpc_are_not_the_labs(scenario):
    result = scenario("groups_elsewhere").run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["leftovers"] == []


def test_a_tagged_group_of_any_name_is_the_labs(scenario):
    """Its hint (delete-security-group by id) is not run here: the tests above run that command already."""
    left = scenario("tagged_security_group")
    result = left.run.get(CHECK)
    assert result.status == "fail"
    assert f"security group {left.facts['name']} ({left.facts['id']}) of lab {left.spec.lab.name}" in result.message


def test_errors_when_the_endpoint_is_down(unreachable_run):
    result = unreachable_run.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
