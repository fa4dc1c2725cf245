from __future__ import annotations

from labgrader.cleanup import judge
from labgrader.cleanup.model import Inventory
from labgrader.engine.check import check
from labgrader.engine.verdict import Hint, Passed


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
