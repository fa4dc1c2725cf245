from __future__ import annotations

from labgrader.api import Hint, Inventory, Passed, check
from labgrader.api import cleanup_judge as judge


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
