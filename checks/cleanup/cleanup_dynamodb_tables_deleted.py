from __future__ import annotations

from labgrader.api import Hint, Inventory, Passed, check
from labgrader.api import cleanup_judge as judge


@check(
    "cleanup_dynamodb_tables_deleted",
    points=2,
    objective="No DynamoDB table of the lab (named in the spec or tagged with the lab tag) and none of its on-demand backups is left.",
    hint=Hint(
        ("labgrader cleanup --target {target} --delete --yes",),
        "Or run the delete commands that labgrader cleanup prints.",
    ),
    requires=("dynamodb",),
    aws_actions=(
        "dynamodb:ListTables",
        "dynamodb:DescribeTable",
        "tag:GetResources",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:ListBackups",
    ),
)
def cleanup_dynamodb_tables_deleted(cleanup_inventory: Inventory) -> Passed:
    return judge.kind_check(cleanup_inventory, "cleanup_dynamodb_tables_deleted")
