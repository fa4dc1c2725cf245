"""The least-privilege IAM policy of a grading run, built from what each check declares it calls.

Three statements: read-only Describe/List/Get on the lab's services; reads of the lab's own table, its indexes and
stream; and the scratch-item writes, pinned with `dynamodb:LeadingKeys` to the reserved prefix so the grader can
never write a student's item. `elasticache:TestFailover` is only granted with `--disruptive`.
`labgrader cleanup --delete` deletes resources: that needs the student's own credentials, not this policy (or, for a
class sweep, `cleanup_policy` added to each student's grader role: `labgrader policy --cleanup`).

`--role-for INSTRUCTOR_ACCOUNT_ID` turns the policy into the role a student creates for `grade --roster`: a trust
policy for the instructor's account (with `sts:ExternalId` when given), as aws CLI commands and a CloudFormation
template.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any

from labgrader import paths
from labgrader.engine.check import CheckMeta, meta_of
from labgrader.engine.scratch import SCRATCH_PREFIX
from labgrader.spec import LabSpec
from labgrader.targets.preflight import READ_PROBES

SCRATCH_WRITES = frozenset({"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                            "dynamodb:BatchWriteItem"})  # fmt: skip
TABLE_READS = frozenset({"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
                         "dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"})  # fmt: skip
DISRUPTIVE = frozenset({"elasticache:TestFailover"})
PREFLIGHT = frozenset({"sts:GetCallerIdentity"}) | {
    f"{service}:{''.join(part.title() for part in operation.split('_'))}"
    for service, (operation, _params) in READ_PROBES.items()
}

# Actions the policy grants that a run on the sandbox cannot call, each with the reason; the policy test accepts
# exactly these as "granted but not seen".
AWS_ONLY = {
    "sts:GetCallerIdentity": "the preflight identifies the caller on the aws target only",
    "elasticache:DescribeEvents": "TestFailover's progress events, aws --disruptive only",
}


def check_metadata(checks_dir: Path | None = None) -> list[CheckMeta]:
    """The metadata of every check in `checks/`, read by importing the check modules (no pytest run)."""
    found = []
    for path in sorted((checks_dir or paths.checks_dir()).rglob("*.py")):
        if path.name.startswith(("_", "conftest", "test_")):
            continue
        spec = importlib.util.spec_from_file_location(f"labgrader_policy_{path.parent.name}_{path.stem}", path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += [meta for value in vars(module).values() if (meta := meta_of(value)) is not None]
    return found


def declared_actions(checks_dir: Path | None = None) -> set[str]:
    return {action for meta in check_metadata(checks_dir) for action in meta.aws_actions} | set(PREFLIGHT)


def build(spec: LabSpec, *, disruptive: bool = False, checks_dir: Path | None = None) -> dict[str, Any]:
    actions = declared_actions(checks_dir)
    if not disruptive:
        actions -= DISRUPTIVE
    table = spec.dynamodb.table if spec.dynamodb else "*"
    table_arn = f"arn:aws:dynamodb:*:*:table/{table}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "LabgraderDescribeListGet",
            "Effect": "Allow",
            "Action": sorted(actions - SCRATCH_WRITES - TABLE_READS - DISRUPTIVE),
            "Resource": "*",
        },
    ]
    if actions & TABLE_READS:
        statements.append(
            {
                "Sid": "LabgraderReadLabTable",
                "Effect": "Allow",
                "Action": sorted(actions & TABLE_READS),
                "Resource": [table_arn, f"{table_arn}/index/*", f"{table_arn}/stream/*"],
            }
        )
    if actions & SCRATCH_WRITES:
        statements.append(
            {
                "Sid": "LabgraderScratchItemsOnly",
                "Effect": "Allow",
                "Action": sorted(actions & SCRATCH_WRITES),
                "Resource": table_arn,
                # Every item key the grader writes must start with the reserved prefix: student items are untouchable.
                "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{SCRATCH_PREFIX}*"]}},
            }
        )
    if disruptive and spec.elasticache is not None:
        statements.append(
            {
                "Sid": "LabgraderTestFailover",
                "Effect": "Allow",
                "Action": sorted(DISRUPTIVE),
                "Resource": f"arn:aws:elasticache:*:*:replicationgroup:{spec.elasticache.replication_group}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def granted(policy: dict[str, Any]) -> set[str]:
    return {action for statement in policy["Statement"] for action in statement["Action"]}


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"


# --- the grader role a student creates (`labgrader policy --role-for INSTRUCTOR_ACCOUNT_ID`) ----------------------

DEFAULT_ROLE_NAME = "labgrader-grader"
ACCOUNT_ID = re.compile(r"\d{12}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
# The longest session the role allows; labgrader asks for 15 minutes (roster.SESSION_SECONDS).
ROLE_MAX_SESSION_S = 3600


def trust_policy(instructor_account: str, external_id: str | None = None) -> dict[str, Any]:
    """Who may assume the grader role: principals of the instructor's account, with the external id when given."""
    statement: dict[str, Any] = {
        "Sid": "LabgraderInstructor",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{instructor_account}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def role_template(
    grader_policy: dict[str, Any], instructor_account: str, external_id: str | None, role_name: str
) -> dict[str, Any]:
    """A CloudFormation template of the grader role: the trust policy and `grader_policy` inline."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"labgrader grader role: least-privilege grading access for account {instructor_account}",
        "Resources": {
            "LabgraderGraderRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role_name,
                    "MaxSessionDuration": ROLE_MAX_SESSION_S,
                    "AssumeRolePolicyDocument": trust_policy(instructor_account, external_id),
                    "Policies": [{"PolicyName": role_name, "PolicyDocument": grader_policy}],
                },
            }
        },
        "Outputs": {
            "RoleArn": {
                "Description": "Send this to your instructor",
                "Value": {"Fn::GetAtt": ["LabgraderGraderRole", "Arn"]},
            }
        },
    }


def role_commands(
    grader_policy: dict[str, Any], instructor_account: str, external_id: str | None, role_name: str, template: str
) -> str:
    """The aws CLI commands that create the grader role, runnable as they are (comments start with #)."""

    def document(value: dict[str, Any]) -> str:
        return shlex.quote(json.dumps(value, separators=(",", ":")))

    name = shlex.quote(role_name)
    return "\n".join(
        [
            "# Run in YOUR AWS account (CloudShell, or a shell with your own admin credentials):",
            f"aws iam create-role --role-name {name} --max-session-duration {ROLE_MAX_SESSION_S} "
            f"--assume-role-policy-document {document(trust_policy(instructor_account, external_id))}",
            f"aws iam put-role-policy --role-name {name} --policy-name {name} "
            f"--policy-document {document(grader_policy)}",
            "aws iam get-role --role-name "
            + name
            + " --query Role.Arn --output text  # send this ARN to your instructor",
            f"# The same role as a CloudFormation stack ({template}):",
            f"#   aws cloudformation deploy --template-file {shlex.quote(template)} --stack-name {name} "
            "--capabilities CAPABILITY_NAMED_IAM",
            "",
        ]
    )


# --- what the instructor's role needs for `cleanup --roster --delete --yes` -------------------------------------

# The calls of the cleanup's delete plan (cleanup/plan.py and execute.py), as IAM actions.
CLEANUP_DELETES = frozenset(
    {
        "elasticache:DeleteReplicationGroup",
        "elasticache:DeleteCacheCluster",
        "elasticache:DeleteSnapshot",
        "elasticache:DeleteCacheSubnetGroup",
        "elasticache:DeleteCacheParameterGroup",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:DeleteSecurityGroup",
        "dynamodb:UpdateTable",  # only to turn deletion protection off before DeleteTable
        "dynamodb:DeleteTable",
        "dynamodb:DeleteBackup",
    }
)
# Reads of the cleanup's inventory beyond the grading policy's: `--all-regions` lists the enabled regions.
CLEANUP_READS = frozenset({"ec2:DescribeRegions"})


def cleanup_policy(checks_dir: Path | None = None) -> dict[str, Any]:
    """The grader role's extra permissions for a sweep that deletes (add it to the role, next to the grader policy)."""
    cleanup_reads = {
        action for meta in check_metadata(checks_dir) if meta.id.startswith("cleanup_") for action in meta.aws_actions
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LabgraderCleanupInventory",
                "Effect": "Allow",
                "Action": sorted(cleanup_reads | CLEANUP_READS),
                "Resource": "*",
            },
            {
                "Sid": "LabgraderCleanupDelete",
                "Effect": "Allow",
                "Action": sorted(CLEANUP_DELETES),
                "Resource": "*",
            },
        ],
    }
