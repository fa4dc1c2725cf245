from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed, require_group, snapshot_in_progress
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_snapshot_present",
    points=2,
    objective="The replication group is backed up: automatic snapshots kept for the lab's minimum number of days, or the lab's manual snapshot available.",
    hint="aws elasticache modify-replication-group --replication-group-id {lab.elasticache.replication_group} --snapshot-retention-limit {lab.elasticache.min_snapshot_retention_days} --apply-immediately",
    requires=("elasticache",),
    aws_actions=("elasticache:DescribeReplicationGroups", "elasticache:DescribeSnapshots"),
)
def elasticache_snapshot_present(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    name = spec.replication_group
    group = require_group(elasticache_lookups, target.region, "snapshots")
    days = ev.retention_days(group)
    wanted = f"SnapshotRetentionLimit >= {spec.min_snapshot_retention_days} or a manual snapshot available"
    if days >= spec.min_snapshot_retention_days:
        return passed(
            f"ElastiCache replication group {name} keeps automatic snapshots for {days} day(s).",
            call="elasticache.describe_replication_groups",
            observed=f"SnapshotRetentionLimit {days}",
            expected=wanted,
        )
    snapshot = elasticache_lookups.manual_snapshot()
    label = spec.snapshot_name or f"of {name}"
    call = "elasticache.describe_snapshots"
    retention = Hint(
        tuple(
            hints.modify_group_commands(name, f"--snapshot-retention-limit {max(spec.min_snapshot_retention_days, 1)}")
        ),
        "Or take a manual snapshot: aws elasticache create-snapshot --replication-group-id "
        f"{name} --snapshot-name {spec.snapshot_name or name + '-snap'}",
    )
    if snapshot is None:
        fail(
            f"ElastiCache replication group {name} keeps automatic snapshots for {days} day(s) and no manual "
            f"snapshot {label} of it exists{elasticache_lookups.foreign_snapshot_note()}; expected {wanted}.",
            call=call,
            observed=f"SnapshotRetentionLimit {days}, no manual snapshot",
            expected=wanted,
            hint=retention,
        )
    status = snapshot.get("SnapshotStatus")
    observed = f"SnapshotRetentionLimit {days}, snapshot {snapshot.get('SnapshotName')} {status}"
    snapshot_in_progress(elasticache_lookups, snapshot, days, wanted)
    if status != "available":
        fail(
            f"Manual snapshot {snapshot.get('SnapshotName')} of {name} is {status} and automatic snapshots are kept "
            f"for {days} day(s); expected {wanted}.",
            call=call,
            observed=observed,
            expected=wanted,
            hint=retention,
        )
    return passed(
        f"Manual snapshot {snapshot.get('SnapshotName')} of {name} is available.",
        call=call,
        observed=observed,
        expected=wanted,
    )
