"""The least-privilege IAM policy of a grading run, built from what each check declares it calls.

Three statements: read-only Describe/List/Get on the lab's services; reads of the lab's own table, its indexes and
stream; and the scratch-item writes, pinned with `dynamodb:LeadingKeys` to the reserved prefix so the grader can
never write a student's item. `elasticache:TestFailover` is only granted with `--disruptive`.
`labgrader cleanup --delete` deletes resources: that needs the student's own credentials, not this policy.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from labgrader import paths
from labgrader.check import CheckMeta, meta_of
from labgrader.preflight import READ_PROBES
from labgrader.scratch import SCRATCH_PREFIX
from labgrader.spec import LabSpec

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
