"""Corrections to moto's ElastiCache model, applied inside the sandbox's moto server only.

Each correction makes moto answer the way AWS does for a request a student really sends; none invents state.
tests/sandbox/test_moto_patches.py proves each one against the sandbox, and tests/sandbox/test_moto_upstream.py
fails (strict xfail → XPASS) as soon as upstream moto fixes the bug itself, so the correction can be dropped.
"""

from __future__ import annotations

import functools
from typing import Any

_APPLIED = False


def apply() -> None:
    global _APPLIED  # noqa: PLW0603 - patching a library is process-global by nature; apply once
    if _APPLIED:
        return
    from moto.elasticache import models  # noqa: PLC0415 - moto is imported only inside the sandbox server

    _honour_num_cache_clusters(models)
    _subnet_group_availability_zones(models)
    _list_replication_group_members()
    _reenable_dynamodb_streams()
    _complete_deletions(models)
    _delete_cache_subnet_group(models)
    _compare_mixed_types_as_false()
    _APPLIED = True


# A deleted replication group or cache cluster reads `deleting` this long on the sandbox, then is gone.
DELETION_SECONDS = 1.0


def _complete_deletions(models: Any) -> None:
    """moto keeps a deleted replication group (and a deleted cache cluster) in `deleting` forever; AWS removes it
    after a few minutes, and then DescribeReplicationGroups answers ReplicationGroupNotFoundFault. A student who
    deleted everything must get a clean cleanup verdict on the sandbox, not an eternal `pending`.

    After DeleteReplicationGroup / DeleteCacheCluster the sandbox answers `deleting` for DELETION_SECONDS, then
    drops the resource and its tags the next time moto reads its table, as AWS does after its minutes.
    Proven by tests/cleanup/test_moto_corrections.py; tests/cleanup/test_moto_upstream.py XPASSes once upstream moto
    completes deletions itself.
    """
    import threading  # noqa: PLC0415 - only the sandbox server needs them
    import time  # noqa: PLC0415

    class Expiring(dict):  # type: ignore[type-arg]
        """moto's table of groups (or clusters) that forgets a deleted entry once its deletion is due."""

        def __init__(self, tagging: Any, entries: dict[str, Any]) -> None:
            super().__init__(entries)
            self._tagging = tagging
            self._lock = threading.RLock()

        def _purge(self) -> None:
            now = time.monotonic()
            with self._lock:
                for key, value in list(super().items()):
                    gone_at = getattr(value, "labgrader_gone_at", None)
                    if gone_at is not None and gone_at <= now:
                        super().pop(key, None)
                        self._tagging.delete_all_tags_for_resource(value.arn)

        def __contains__(self, key: object) -> bool:
            self._purge()
            return super().__contains__(key)

        def __getitem__(self, key: str) -> Any:
            self._purge()
            return super().__getitem__(key)

        def get(self, key: str, default: Any = None) -> Any:
            self._purge()
            return super().get(key, default)

        def __iter__(self) -> Any:
            self._purge()
            return iter(list(super().keys()))

        def __len__(self) -> int:
            self._purge()
            return super().__len__()

        def keys(self) -> Any:
            self._purge()
            return list(super().keys())

        def values(self) -> Any:
            self._purge()
            return list(super().values())

        def items(self) -> Any:
            self._purge()
            return list(super().items())

    original_init = models.ElastiCacheBackend.__init__

    @functools.wraps(original_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.replication_groups = Expiring(self.tagging_service, self.replication_groups)
        self.cache_clusters = Expiring(self.tagging_service, self.cache_clusters)

    def due_for_deletion(original: Any) -> Any:
        @functools.wraps(original)
        def delete(self: Any, *args: Any, **kwargs: Any) -> Any:
            resource = original(self, *args, **kwargs)
            if getattr(resource, "labgrader_gone_at", None) is None:
                resource.labgrader_gone_at = time.monotonic() + DELETION_SECONDS
            return resource

        return delete

    models.ElastiCacheBackend.__init__ = init
    for name in ("delete_replication_group", "delete_cache_cluster"):
        setattr(models.ElastiCacheBackend, name, due_for_deletion(getattr(models.ElastiCacheBackend, name)))


def _delete_cache_subnet_group(models: Any) -> None:
    """moto has no DeleteCacheSubnetGroup (its server answers HTTP 500), so a student's cleanup could never remove
    the subnet group on the sandbox. As on AWS: an unused subnet group is deleted, one a replication group or cache
    cluster still uses (even one being deleted) is refused with CacheSubnetGroupInUse, an unknown name answers
    CacheSubnetGroupNotFoundFault. Skipped as soon as moto has the operation itself.
    """
    if hasattr(models.ElastiCacheBackend, "delete_cache_subnet_group"):
        return
    from moto.core.responses import EmptyResult  # noqa: PLC0415 - moto is imported only inside the sandbox
    from moto.elasticache import exceptions, responses  # noqa: PLC0415

    class CacheSubnetGroupInUse(exceptions.ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    def delete_cache_subnet_group(self: Any, cache_subnet_group_name: str) -> None:
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise exceptions.CacheSubnetGroupNotFound(cache_subnet_group_name)
        users = [*self.replication_groups.values(), *self.cache_clusters.values()]
        if any(getattr(user, "cache_subnet_group_name", None) == cache_subnet_group_name for user in users):
            raise CacheSubnetGroupInUse(f"Cache subnet group {cache_subnet_group_name} is currently in use.")
        group = self.cache_subnet_groups.pop(cache_subnet_group_name)
        self.tagging_service.delete_all_tags_for_resource(group.arn)

    def respond(self: Any) -> Any:
        self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    models.ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    setattr(responses.ElastiCacheResponse, "delete_cache_subnet_group", respond)  # noqa: B010 - a new operation


def _honour_num_cache_clusters(models: Any) -> None:
    """moto issue #8932: cluster mode disabled ignores NumCacheClusters and always builds one member.

    AWS builds NumCacheClusters members: one primary and NumCacheClusters - 1 replicas. moto derives the count from
    ReplicasPerNodeGroup only, so we pass it the equivalent replica count when that parameter was not given.
    """
    original = models.ReplicationGroup._set_node_members_clusters_disabled

    @functools.wraps(original)
    def set_members(self: Any, *args: Any, **kwargs: Any) -> Any:
        requested = kwargs.get("num_cache_clusters") or 1
        if not kwargs.get("replicas_per_node_group") and requested > 1:
            kwargs["replicas_per_node_group"] = requested - 1
        return original(self, *args, **kwargs)

    models.ReplicationGroup._set_node_members_clusters_disabled = set_members


def _subnet_group_availability_zones(models: Any) -> None:
    """moto stores each subnet's AZ as a bare string where the API shape wants {"Name": az}: DescribeCacheSubnetGroups
    then returns `SubnetAvailabilityZone: {}`. AWS always names the AZ; graders judge Multi-AZ subnet groups by it.
    """
    original_init = models.CacheSubnetGroup.__init__

    @functools.wraps(original_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for subnet in self.subnets:
            zone = subnet.get("subnet_availability_zone")
            if isinstance(zone, str):
                subnet["subnet_availability_zone"] = {"Name": zone}

    models.CacheSubnetGroup.__init__ = init


def _list_replication_group_members() -> None:
    """AWS lists every member of a replication group in DescribeCacheClusters, with the subnet group, VPC security
    groups and parameter group it runs with: that is where a grader reads which security group the nodes use
    (DescribeReplicationGroups has no such field). moto lists only clusters made with CreateCacheCluster.

    The members are derived from the live replication groups at each call (no state of their own): they vanish with
    their group, keep its status, and are left out when `ShowCacheClustersNotInReplicationGroups` is set, as on AWS.
    Fields moto never recorded (a parameter group the student did not name, an engine version) stay absent.
    """
    from moto.core.responses import PaginatedResult  # noqa: PLC0415 - moto is imported only inside the sandbox
    from moto.elasticache import responses  # noqa: PLC0415

    original = responses.ElastiCacheResponse.describe_cache_clusters

    def member_clusters(backend: Any) -> dict[str, dict[str, Any]]:
        members: dict[str, dict[str, Any]] = {}
        for group in backend.replication_groups.values():
            for node_group in group.node_groups:
                for node in node_group["node_group_members"]:
                    members[node["cache_cluster_id"]] = _member_cluster(backend, group, node)
        return members

    @functools.wraps(original)
    def describe_cache_clusters(self: Any) -> Any:
        if self._get_bool_param("ShowCacheClustersNotInReplicationGroups"):
            return original(self)
        backend = self.elasticache_backend
        members = {
            cluster_id: member
            for cluster_id, member in member_clusters(backend).items()
            if cluster_id not in backend.cache_clusters
        }
        wanted = self._get_param("CacheClusterId")
        if wanted:
            if wanted in members:
                return PaginatedResult({"CacheClusters": [members[wanted]]})
            return original(self)
        return PaginatedResult({"CacheClusters": [*backend.describe_cache_clusters(), *members.values()]})

    responses.ElastiCacheResponse.describe_cache_clusters = describe_cache_clusters  # type: ignore[method-assign]


def _member_cluster(backend: Any, group: Any, node: dict[str, Any]) -> dict[str, Any]:
    """One member of `group` shaped as DescribeCacheClusters' CacheCluster (only fields moto knows)."""
    cluster_id = node["cache_cluster_id"]
    member: dict[str, Any] = {
        "CacheClusterId": cluster_id,
        "CacheNodeType": group.cache_node_type,
        "Engine": group.engine,
        "CacheClusterStatus": group.status,
        "NumCacheNodes": 1,
        "PreferredAvailabilityZone": node.get("preferred_availability_zone"),
        "CacheClusterCreateTime": group.replication_group_create_time,
        "CacheSecurityGroups": [],
        "CacheSubnetGroupName": group.cache_subnet_group_name,
        "SecurityGroups": [{"SecurityGroupId": sg, "Status": "active"} for sg in group.security_group_ids or []],
        "ReplicationGroupId": group.replication_group_id,
        "SnapshotRetentionLimit": group.snapshot_retention_limit,
        "SnapshotWindow": group.snapshot_window,
        "AuthTokenEnabled": group.auth_token_enabled,
        "TransitEncryptionEnabled": group.transit_encryption_enabled,
        "AtRestEncryptionEnabled": group.at_rest_encryption_enabled,
        "ARN": f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:cluster:{cluster_id}",
    }
    if group.engine_version:
        member["EngineVersion"] = group.engine_version
    if group.cache_parameter_group_name:
        member["CacheParameterGroup"] = {
            "CacheParameterGroupName": group.cache_parameter_group_name,
            "ParameterApplyStatus": "in-sync",
            "CacheNodeIdsToReboot": [],
        }
    return {key: value for key, value in member.items() if value is not None}


def _reenable_dynamodb_streams() -> None:
    """AWS lets a table whose stream was disabled enable a new one (new LatestStreamArn; the old stream stays
    readable for 24 h): the only way to change a stream's view type. moto refuses a stream on any table that ever
    had one ("Cannot enable stream") because the disabled stream's label is still set.
    """
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto is imported only inside the sandbox

    original = DynamoDBBackend.update_table_streams

    @functools.wraps(original)
    def update_table_streams(self: Any, table: Any, stream_specification: dict[str, Any]) -> None:
        enabling = stream_specification.get("StreamEnabled") or stream_specification.get("StreamViewType")
        if enabling and not (table.stream_specification or {}).get("StreamEnabled"):
            table.latest_stream_label = None  # a disabled stream does not block a new one
        original(self, table, stream_specification)

    DynamoDBBackend.update_table_streams = update_table_streams  # type: ignore[method-assign]


def _compare_mixed_types_as_false() -> None:
    """In a DynamoDB condition or filter, `<`, `<=`, `>`, `>=` and BETWEEN between a String and a Number are false
    on AWS (the item does not match). moto compares the Python values and answers HTTP 500 on the TypeError, so a
    Scan filtering on a number the student stored as a string broke instead of matching nothing.
    """
    from moto.dynamodb import comparisons  # noqa: PLC0415 - moto is imported only inside the sandbox

    for name in ("OpLessThan", "OpGreaterThan", "OpLessThanOrEqual", "OpGreaterThanOrEqual", "FuncBetween"):
        cls = getattr(comparisons, name)
        original = cls.expr

        def expr(self: Any, item: Any, _original: Any = original) -> bool:
            try:
                return bool(_original(self, item))
            except TypeError:
                return False

        cls.expr = functools.wraps(original)(expr)
