from __future__ import annotations

from labgrader.api import Hint, Inventory, Passed, check
from labgrader.api import cleanup_judge as judge


@check(
    "cleanup_security_groups_deleted",
    points=2,
    objective="No security group of the lab is left (the Redis and app groups, in the lab's VPC, or tagged with the lab tag).",
    hint=Hint(
        ("labgrader cleanup --target {target} --delete --yes",),
        "Or run the delete commands that labgrader cleanup prints.",
    ),
    requires=("ec2",),
    aws_actions=("ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"),
)
def cleanup_security_groups_deleted(cleanup_inventory: Inventory) -> Passed:
    return judge.kind_check(cleanup_inventory, "cleanup_security_groups_deleted")
