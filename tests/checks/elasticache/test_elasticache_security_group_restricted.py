from __future__ import annotations

import pytest

from tests.checks.elasticache.conftest import OPEN_6379

CHECK = "elasticache_security_group_restricted"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "admits port 6379 only from lab-app-sg and the replication group uses it" in result.message
    assert result.evidence["observed"][0].startswith("tcp 6379 from sg-")
    assert result.evidence["observed"][0].endswith("(lab-app-sg)")


def test_fails_with_6379_open_to_the_world_and_quotes_the_rule(local_target, grade, lab_setup, run_hint):
    built = lab_setup(extra_rules=(OPEN_6379,))
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == (
        f"Security group {built.spec.elasticache.security_group} ({built.redis_sg}) admits port 6379 open to the whole "
        "Internet: rule 'tcp 6379 from 0.0.0.0/0'; expected tcp 6379 only from "
        f"{built.spec.elasticache.app_security_group}."
    )
    assert result.hint == (
        f"aws ec2 revoke-security-group-ingress --group-id {built.redis_sg} --ip-permissions "
        "'IpProtocol=tcp,FromPort=6379,ToPort=6379,IpRanges=[{CidrIp=0.0.0.0/0}]'"
    )
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


@pytest.mark.parametrize(
    ("rule", "quoted"),
    [
        (
            {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            "tcp 0-65535 from ::/0",
        ),
        ({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "all traffic from 0.0.0.0/0"),
        (
            {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]},
            "tcp 6379 from 203.0.113.0/24",
        ),
    ],
)
def test_fails_with_any_other_source_reaching_the_port(local_target, grade, lab_setup, rule, quoted, run_hint):  # noqa: PLR0917
    built = lab_setup(extra_rules=(rule,))
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"rule '{quoted}'" in result.message
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_a_world_rule_on_another_port_is_not_this_checks_business(local_target, grade, lab_setup):
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    built = lab_setup(extra_rules=(ssh,))
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message


def test_fails_when_the_app_group_is_not_admitted(local_target, grade, lab_setup, run_hint):
    built = lab_setup(app_rule=False)
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"has no rule admitting tcp 6379 from {built.spec.elasticache.app_security_group}" in result.message
    # The ids the grader found, not placeholders.
    assert result.hint_commands == [
        f"aws ec2 authorize-security-group-ingress --group-id {built.redis_sg} --protocol tcp --port 6379 "
        f"--source-group {built.app_sg}"
    ]
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_group_uses_another_security_group(local_target, grade, lab_setup, run_hint):
    built = lab_setup(group_sg="app")
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert (
        f"uses security group(s) {built.app_sg} ({built.spec.elasticache.app_security_group}), not "
        f"{built.spec.elasticache.security_group} ({built.redis_sg})"
    ) in result.message
    assert f"--security-group-ids {built.redis_sg}" in result.hint
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_security_group_is_missing_and_its_hint_creates_it(
    local_target, grade, lab_setup, clients, run_hint
):
    built = lab_setup(create_group=False)
    clients.client("ec2").delete_security_group(GroupId=built.redis_sg)
    name = built.spec.elasticache.security_group
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"Security group {name} was not found in us-east-1" in result.message
    assert result.hint_commands[0] == (
        f"aws ec2 create-security-group --group-name {name} --description 'Redis from the app' --vpc-id {built.vpc}"
    )
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
