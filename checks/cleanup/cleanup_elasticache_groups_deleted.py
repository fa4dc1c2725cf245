from __future__ import annotations

from labgrader.cleanup import judge
from labgrader.cleanup.model import Inventory
from labgrader.engine.check import check
from labgrader.engine.verdict import Hint, Passed


@check(
    "cleanup_elasticache_groups_deleted",
    points=2,
    objective="No cache subnet group or cache parameter group of the lab is left (default groups are ignored).",
    hint=Hint(
        ("labgrader cleanup --target {target} --delete --yes",),
        "Or run the delete commands that labgrader cleanup prints.",
    ),
    requires=("elasticache",),
    aws_actions=(
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:DescribeCacheParameterGroups",
        "tag:GetResources",
    ),
)
def cleanup_elasticache_groups_deleted(cleanup_inventory: Inventory) -> Passed:
    return judge.kind_check(cleanup_inventory, "cleanup_elasticache_groups_deleted")
