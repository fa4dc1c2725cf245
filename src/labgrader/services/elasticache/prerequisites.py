"""Verdicts the ElastiCache checks share about their prerequisites: the lab's replication group must exist (else
`fail` naming elasticache_replication_group_available, with the commands that create it) and be settled, the
manual snapshot finished (else `pending`)."""

from __future__ import annotations

from typing import Any

from labgrader.engine.verdict import fail, pending
from labgrader.services.elasticache import evaluation as ev
from labgrader.services.elasticache import hints as elasticache_hints
from labgrader.services.elasticache.lookups import Lookups


def require_group(lookups: Lookups, region: str, judging: str) -> dict[str, Any]:
    """The lab's replication group, or `fail` naming it as the missing prerequisite of what is being judged."""
    group = lookups.replication_group()
    if group is None:
        name = lookups.spec.replication_group
        fail(
            f"ElastiCache replication group {name} was not found in {region}, so its {judging} cannot be judged "
            "(prerequisite: elasticache_replication_group_available).",
            call="elasticache.describe_replication_groups",
            observed="ReplicationGroupNotFoundFault",
            expected=name,
            hint=elasticache_hints.create_replication_group_hint(lookups),
        )
    return group


def snapshot_in_progress(lookups: Lookups, snapshot: dict[str, Any] | None, days: int, expected: str) -> None:
    """`pending` while the lab's manual snapshot is still being made: the same verdict in every check judging it."""
    status = (snapshot or {}).get("SnapshotStatus")
    if snapshot is not None and status in ev.SNAPSHOT_IN_PROGRESS:
        pending(
            f"Manual snapshot {snapshot.get('SnapshotName')} of {lookups.spec.replication_group} is still {status} "
            f"and automatic snapshots are kept for {days} day(s); expected it available in a few minutes.",
            call="elasticache.describe_snapshots",
            observed=f"SnapshotRetentionLimit {days}, snapshot {snapshot.get('SnapshotName')} {status}",
            expected=expected,
        )


def require_settled(group: dict[str, Any], judging: str) -> None:
    """`pending` while the group is still being created (members, roles and endpoints appear at the end)."""
    status = ev.group_status(group)
    if status == "creating":
        pending(
            f"ElastiCache replication group {group.get('ReplicationGroupId')} is still creating; its {judging} is "
            "judged once it is available.",
            call="elasticache.describe_replication_groups",
            observed=status,
            expected="available",
        )
