"""`labgrader policy --role-for`: the role a student creates grants exactly `labgrader policy`'s permissions, to the
instructor's account only (with the external id), whether made with the printed aws CLI commands or the template."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from labgrader.engine import policy
from labgrader.sandbox.state import SandboxState
from labgrader.spec import LabSpec
from tests.roster import simulated_class as sc

INSTRUCTOR = "111122223333"
AWS_CLI = Path(sys.executable).parent / "aws"


def labgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labgrader", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def student_iam(sandbox: SandboxState, account: str) -> tuple[Any, dict[str, str]]:
    """An IAM client in the student's (moto) account, and the same credentials as environment variables."""
    target = sc.account_target(sandbox.moto_url, sandbox.region, account)
    assert target.static_credentials is not None
    assert target.session_token is not None
    key, secret = target.static_credentials
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": target.session_token,
        "AWS_DEFAULT_REGION": sandbox.region,
        "AWS_ENDPOINT_URL": sandbox.moto_url,
    }
    iam = boto3.client(
        "iam",
        endpoint_url=sandbox.moto_url,
        region_name=sandbox.region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=target.session_token,
    )
    return iam, env


def assert_role_is_the_graders(iam: Any, week8: LabSpec, role: str, account: str) -> None:
    created = iam.get_role(RoleName=role)["Role"]
    assert created["Arn"] == f"arn:aws:iam::{account}:role/{role}"
    assert created["AssumeRolePolicyDocument"] == policy.trust_policy(INSTRUCTOR, "course-2026")
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert names == [role]
    document = iam.get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
    if isinstance(document, str):
        # moto's CloudFormation keeps an inline policy as Python's str() of the template's mapping (AWS: JSON).
        document = ast.literal_eval(document)
    assert document == policy.build(week8)  # exactly what `labgrader policy` prints


def test_the_template_holds_the_trust_policy_and_exactly_the_grader_policy(week8: LabSpec, tmp_path: Path) -> None:
    done = labgrader("policy", "--role-for", INSTRUCTOR, "--external-id", "course-2026", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = labgrader("policy", cwd=tmp_path)
    template = json.loads((tmp_path / "labgrader-grader-role.json").read_text(encoding="utf-8"))
    role = template["Resources"]["LabgraderGraderRole"]
    assert role["Type"] == "AWS::IAM::Role"
    assert role["Properties"]["Policies"][0]["PolicyDocument"] == json.loads(printed.stdout)
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Sid": "LabgraderInstructor",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{INSTRUCTOR}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "course-2026"}},
        }
    ]
    assert json.loads(labgrader("policy", "--role-for", INSTRUCTOR, "--template-out", "-", cwd=tmp_path).stdout)[
        "Resources"
    ]["LabgraderGraderRole"]["Properties"]["AssumeRolePolicyDocument"] == policy.trust_policy(INSTRUCTOR)


def test_the_printed_aws_commands_create_the_graders_role(
    week8: LabSpec, sandbox: SandboxState, tmp_path: Path
) -> None:
    account = sc.account_id(501)
    iam, env = student_iam(sandbox, account)
    done = labgrader("policy", "--role-for", INSTRUCTOR, "--external-id", "course-2026", cwd=tmp_path)
    commands = [line for line in done.stdout.splitlines() if line and not line.startswith("#")]
    assert [c.split()[:3] for c in commands] == [["aws", "iam", "create-role"], ["aws", "iam", "put-role-policy"],
                                                 ["aws", "iam", "get-role"]]  # fmt: skip
    env["PATH"] = f"{AWS_CLI.parent}{os.pathsep}{env.get('PATH', '')}"
    for command in commands:  # verbatim, as the student pastes them
        ran = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert ran.returncode == 0, (command[:80], ran.stderr)
    assert ran.stdout.strip() == f"arn:aws:iam::{account}:role/labgrader-grader"
    assert_role_is_the_graders(iam, week8, "labgrader-grader", account)


def test_the_template_deployed_with_cloudformation_creates_the_same_role(
    week8: LabSpec, sandbox: SandboxState, tmp_path: Path
) -> None:
    account = sc.account_id(502)
    iam, _env = student_iam(sandbox, account)
    done = labgrader("policy", "--role-for", INSTRUCTOR, "--external-id", "course-2026", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    credentials = iam._request_signer._credentials
    cloudformation = boto3.client(
        "cloudformation",
        endpoint_url=sandbox.moto_url,
        region_name=sandbox.region,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
    )
    cloudformation.create_stack(
        StackName="labgrader-grader",
        TemplateBody=(tmp_path / "labgrader-grader-role.json").read_text(encoding="utf-8"),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    assert_role_is_the_graders(iam, week8, "labgrader-grader", account)


def test_the_cleanup_permissions_cover_every_call_of_a_real_delete_plan(week8: LabSpec, sandbox: SandboxState) -> None:
    from labgrader.cleanup import plan, take_inventory
    from labgrader.targets.clients import AwsClients

    account = sc.account_id(503)
    target = sc.account_target(sandbox.moto_url, sandbox.region, account)
    sc.reference(week8, AwsClients(target), target)
    steps = plan.build(take_inventory(week8, target))
    clients = AwsClients(target)
    called = set()
    for step in steps:
        if step.action == "wait":
            continue  # waiters poll the Describe calls the grader policy grants
        client = clients.client(step.service)
        called.add(f"{step.service}:{client.meta.method_to_api_mapping[step.operation]}")
    assert {"elasticache:DeleteReplicationGroup", "ec2:DeleteSecurityGroup", "dynamodb:DeleteTable"} <= called
    assert called - policy.granted(policy.cleanup_policy()) == set()
    assert "ec2:DescribeRegions" in policy.granted(policy.cleanup_policy())  # --all-regions
