"""DescribeEvents and TestFailover on the sandbox: moto has neither (its server answers HTTP 500), and hints print
both (`aws elasticache describe-events ...` for a replication group that is not available, `test-failover`).

Events: the sandbox's corrections record what they do to a replication group (created, modified, replicas added or
removed, deleted, a test failover and its steps), in the shape DescribeEvents returns; DescribeEvents filters them as
AWS does (SourceIdentifier, SourceType, StartTime/EndTime or Duration in minutes, the last hour by default) and pages
them with Marker (MaxRecords 20..100).

TestFailover, as on AWS: the group must exist (ReplicationGroupNotFoundFault), be available and have automatic
failover enabled (InvalidReplicationGroupState), and the node group must exist and have a replica
(NodeGroupNotFoundFault / InvalidReplicationGroupState). The control plane then reports the replica as the primary,
with AWS's events ("Test Failover API called for node group 0001", "Failover from primary node ... to replica node
... completed", "Recovering cache nodes ..." and "Finished recovery for cache nodes ..."). For the replication group
the sandbox's Redis nodes back (named like the sentinel's master, `lab-redis`) the failover is real: SENTINEL
FAILOVER, the old primary rejoins as a replica, then the original primary process is promoted again, under the lock
grading runs share. That last step stands in for AWS's primary endpoint, which follows the new primary: the sandbox has
no endpoint name to move, so its primary endpoint ($REDIS_URL) stays on the node that serves as primary.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from labgrader.sandbox import data_plane

DEFAULT_DURATION_MIN = 60
MAX_DURATION_MIN = 20160  # 14 days, as on AWS
_LOCK = threading.Lock()


def record(backend: Any, source_id: str, source_type: str, message: str) -> None:
    """Add one event to the backend's log (moto backends are per account and region, as events are)."""
    with _LOCK:
        log: list[dict[str, Any]] = backend.__dict__.setdefault("labgrader_events", [])
        log.append(
            {"SourceIdentifier": source_id, "SourceType": source_type, "Message": message, "Date": datetime.now(UTC)}
        )


def install() -> None:
    from moto.core.responses import ActionResult  # noqa: PLC0415 - moto is imported only inside the sandbox
    from moto.elasticache import exceptions, responses  # noqa: PLC0415

    invalid = exceptions.InvalidParameterValueException

    class InvalidReplicationGroupState(exceptions.ElastiCacheException):
        code = "InvalidReplicationGroupState"

    class NodeGroupNotFound(exceptions.ElastiCacheException):
        code = "NodeGroupNotFoundFault"

    def moment(value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value.astimezone(UTC) if isinstance(value, datetime) else None
        text = str(value)
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            try:
                return datetime.fromtimestamp(float(text), UTC)
            except ValueError:
                raise invalid(f"Invalid timestamp: {text}") from None

    def describe_events(self: Any) -> Any:
        now = datetime.now(UTC)
        start, end = moment(self._get_param("StartTime")), moment(self._get_param("EndTime"))
        duration = self._get_int_param("Duration")
        if duration is not None and not 0 <= duration <= MAX_DURATION_MIN:
            raise invalid(f"Duration must be between 0 and {MAX_DURATION_MIN} minutes.")
        if start is None:
            minutes = DEFAULT_DURATION_MIN if duration is None else duration
            start = (end or now) - timedelta(minutes=minutes)
        end = end or now
        source_id, source_type = self._get_param("SourceIdentifier"), self._get_param("SourceType")
        if source_id and not source_type:
            raise exceptions.InvalidParameterCombinationException(
                "SourceType must be specified when SourceIdentifier is specified."
            )
        with _LOCK:
            events = list(self.elasticache_backend.__dict__.get("labgrader_events", []))
        found = [
            event
            for event in reversed(events)  # newest first, as AWS lists them
            if start <= event["Date"] <= end
            and (not source_type or event["SourceType"] == source_type)
            and (not source_id or event["SourceIdentifier"] == source_id)
        ]
        max_records = self._get_int_param("MaxRecords")
        if max_records is not None and not 20 <= max_records <= 100:
            raise invalid("MaxRecords must be between 20 and 100.")
        size = max_records or 100
        marker = self._get_param("Marker")
        offset = int(marker) if marker and str(marker).isdigit() else 0
        result: dict[str, Any] = {"Events": found[offset : offset + size]}
        if offset + size < len(found):
            result["Marker"] = str(offset + size)
        return ActionResult(result)

    def test_failover(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        group = backend.describe_replication_groups(group_id)[0]  # ReplicationGroupNotFoundFault
        node_group_id = self._get_param("NodeGroupId")
        node_group = next((ng for ng in group.node_groups if ng["node_group_id"] == node_group_id), None)
        if node_group is None:
            raise NodeGroupNotFound(f"NodeGroup {node_group_id} not found in replication group {group_id}.")
        if group.status != "available":
            raise InvalidReplicationGroupState(f"Replication group {group_id} is not in available state.")
        if group.automatic_failover != "enabled":
            raise InvalidReplicationGroupState(
                f"Replication group {group_id} does not have automatic failover enabled."
            )
        members = node_group["node_group_members"]
        primary = next((m for m in members if m.get("current_role") == "primary"), members[0])
        replica = next((m for m in members if m is not primary), None)
        if replica is None:
            raise InvalidReplicationGroupState(f"Node group {node_group_id} of {group_id} has no replica.")
        record(backend, group_id, "replication-group", f"Test Failover API called for node group {node_group_id}")
        data_plane.fail_over_and_back(group_id)
        old, new = primary["cache_cluster_id"], replica["cache_cluster_id"]
        if not group.cluster_enabled:
            primary["current_role"], replica["current_role"] = "replica", "primary"
        record(
            backend, group_id, "replication-group", f"Failover from primary node {old} to replica node {new} completed"
        )
        record(backend, old, "cache-cluster", f"Recovering cache nodes {primary['cache_node_id']}")
        record(backend, old, "cache-cluster", f"Finished recovery for cache nodes {primary['cache_node_id']}")
        return ActionResult({"ReplicationGroup": group})

    if not hasattr(responses.ElastiCacheResponse, "describe_events"):
        setattr(responses.ElastiCacheResponse, "describe_events", describe_events)  # noqa: B010 - a new operation
    if not hasattr(responses.ElastiCacheResponse, "test_failover"):
        setattr(responses.ElastiCacheResponse, "test_failover", test_failover)  # noqa: B010 - a new operation
