from __future__ import annotations

from labgrader.api import Hint, Inventory, Passed, check
from labgrader.api import cleanup_judge as judge


@check(
    "cleanup_no_billable_leftovers",
    points=2,
    objective="Nothing of the lab still costs money (estimated per hour and per month from the shipped price table).",
    hint=Hint(
        ("labgrader cleanup --target {target} --delete --yes",),
        "Or run the delete commands that labgrader cleanup prints.",
    ),
    requires=("dynamodb", "elasticache", "ec2"),
    aws_actions=(
        "dynamodb:ListTables",
        "dynamodb:DescribeTable",
        "tag:GetResources",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:ListBackups",
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        "elasticache:DescribeSnapshots",
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:DescribeCacheParameterGroups",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
    ),
)
def cleanup_no_billable_leftovers(cleanup_inventory: Inventory) -> Passed:
    return judge.billable_check(cleanup_inventory)
