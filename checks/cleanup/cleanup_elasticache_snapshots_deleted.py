from __future__ import annotations

from labgrader.api import Hint, Inventory, Passed, check
from labgrader.api import cleanup_judge as judge


@check(
    "cleanup_elasticache_snapshots_deleted",
    points=2,
    objective="No manual ElastiCache snapshot of the lab is left (they outlive the cluster and bill for storage).",
    hint=Hint(
        ("labgrader cleanup --target {target} --delete --yes",),
        "Or run the delete commands that labgrader cleanup prints.",
    ),
    requires=("elasticache",),
    aws_actions=("elasticache:DescribeSnapshots", "tag:GetResources"),
)
def cleanup_elasticache_snapshots_deleted(cleanup_inventory: Inventory) -> Passed:
    return judge.kind_check(cleanup_inventory, "cleanup_elasticache_snapshots_deleted")
