from __future__ import annotations

from labgrader.api import Hint, Inventory, Passed, check
from labgrader.api import cleanup_judge as judge


@check(
    "cleanup_elasticache_deleted",
    points=2,
    objective="No ElastiCache replication group or stand-alone cache cluster of the lab is left (they bill per node-hour).",
    hint=Hint(
        ("labgrader cleanup --target {target} --delete --yes",),
        "Or run the delete commands that labgrader cleanup prints.",
    ),
    requires=("elasticache",),
    aws_actions=(
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        "tag:GetResources",
    ),
)
def cleanup_elasticache_deleted(cleanup_inventory: Inventory) -> Passed:
    return judge.kind_check(cleanup_inventory, "cleanup_elasticache_deleted")
