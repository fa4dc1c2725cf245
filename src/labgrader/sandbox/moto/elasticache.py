"""The sandbox's corrections to moto's ElastiCache model (checked against moto's EC2 model where AWS checks
subnets and security groups), applied inside the sandbox's moto server only. The APIs moto lacks altogether live
beside this module: cache parameter groups (parameter_groups.py) and DescribeEvents / TestFailover (events.py).

Each correction makes moto answer the way AWS does for a request a student really sends; none invents state.
tests/sandbox/test_moto_elasticache.py proves each one against the sandbox, and tests/sandbox/test_moto_upstream.py
fails (strict xfail → XPASS) as soon as upstream moto fixes the bug itself, so the correction can be dropped.
"""

from __future__ import annotations

import functools
from typing import Any

from labgrader.sandbox.moto import events, parameter_groups


def apply() -> None:
    """Install every ElastiCache correction (once: labgrader.sandbox.moto.apply guards against a second call)."""
    from moto.elasticache import models  # noqa: PLC0415 - moto is imported only inside the sandbox server

    _honour_num_cache_clusters(models)
    _subnet_group_availability_zones(models)
    _list_replication_group_members()
    _complete_deletions(models)
    _delete_cache_subnet_group(models)
    parameter_groups.install(models)
    _validate_cache_subnet_groups(models)
    _modify_cache_subnet_group(models)
    _sharded_groups_are_cluster_mode_enabled(models)
    _validate_replication_groups(models)
    _modify_replication_group_fields(models)
    _change_replica_count(models)
    _record_deletions(models)
    events.install()


# A deleted replication group or cache cluster reads `deleting` this long on the sandbox, then is gone.
DELETION_SECONDS = 1.0


def _complete_deletions(models: Any) -> None:
    """moto keeps a deleted replication group (and a deleted cache cluster) in `deleting` forever; AWS removes it
    after a few minutes, and then DescribeReplicationGroups answers ReplicationGroupNotFoundFault. A student who
    deleted everything must get a clean cleanup verdict on the sandbox, not an eternal `pending`.

    After DeleteReplicationGroup / DeleteCacheCluster the sandbox answers `deleting` for DELETION_SECONDS, then
    drops the resource and its tags the next time moto reads its table, as AWS does after its minutes.
    Proven by tests/sandbox/test_moto_deletions.py; tests/sandbox/test_moto_upstream_deletions.py XPASSes once
    upstream moto completes deletions itself.
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


def _ec2(backend: Any) -> Any:
    from moto.ec2.models import ec2_backends  # noqa: PLC0415 - moto is imported only inside the sandbox

    return ec2_backends[backend.account_id][backend.region_name]


def _missing_subnets(backend: Any, subnet_ids: list[str]) -> list[str]:
    known = {subnet.id for subnet in _ec2(backend).describe_subnets()}
    return [subnet for subnet in subnet_ids if subnet not in known]


def _validate_cache_subnet_groups(models: Any) -> None:
    """AWS refuses a cache subnet group naming a subnet that does not exist (InvalidSubnet); moto invents one in
    us-east-1a for it, so a typo in a subnet id passed locally and failed on AWS."""
    from moto.elasticache import exceptions  # noqa: PLC0415 - moto is imported only inside the sandbox

    original = models.ElastiCacheBackend.create_cache_subnet_group

    @functools.wraps(original)
    def create(self: Any, cache_subnet_group_name: str, cache_subnet_group_description: str, subnet_ids: list[str],
               tags: Any) -> Any:  # fmt: skip
        missing = _missing_subnets(self, subnet_ids or [])
        if missing:
            raise exceptions.InvalidSubnet(missing[0])
        return original(self, cache_subnet_group_name, cache_subnet_group_description, subnet_ids, tags)

    models.ElastiCacheBackend.create_cache_subnet_group = create


def _modify_cache_subnet_group(models: Any) -> None:
    """moto has no ModifyCacheSubnetGroup (HTTP 500): the hint that adds a subnet in a second AZ could not run. As on
    AWS: the description and/or the subnet list change in place (same ARN and tags; every subnet must exist and lie
    in one VPC: InvalidSubnet), an unknown group answers CacheSubnetGroupNotFoundFault, and a group in use cannot
    move to another VPC (SubnetInUse)."""
    from moto.core.responses import ActionResult  # noqa: PLC0415 - moto is imported only inside the sandbox
    from moto.elasticache import exceptions, responses  # noqa: PLC0415

    if hasattr(responses.ElastiCacheResponse, "modify_cache_subnet_group"):
        return

    class SubnetInUse(exceptions.ElastiCacheException):
        code = "SubnetInUse"

    def modify(self: Any) -> Any:
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        group = backend.describe_cache_subnet_groups(name)[0]  # CacheSubnetGroupNotFoundFault when unknown
        description = self._get_param("CacheSubnetGroupDescription")
        subnet_ids = self._get_param("SubnetIds")
        if subnet_ids:
            missing = _missing_subnets(backend, subnet_ids)
            if missing:
                raise exceptions.InvalidSubnet(missing[0])
            rebuilt = models.CacheSubnetGroup(
                backend.account_id, backend.region_name, name, group.cache_subnet_group_description, subnet_ids, []
            )
            users = [*backend.replication_groups.values(), *backend.cache_clusters.values()]
            in_use = any(getattr(user, "cache_subnet_group_name", None) == name for user in users)
            if in_use and rebuilt.vpc_id != group.vpc_id:
                raise SubnetInUse(f"The subnet group {name} is in use: its subnets cannot move to another VPC.")
            for attribute in ("subnet_ids", "subnets", "supported_network_types", "vpc_id"):
                setattr(group, attribute, getattr(rebuilt, attribute))
        if description is not None:
            group.cache_subnet_group_description = description
        return ActionResult({"CacheSubnetGroup": group})

    setattr(responses.ElastiCacheResponse, "modify_cache_subnet_group", modify)  # noqa: B010 - a new operation


def _sharded_groups_are_cluster_mode_enabled(models: Any) -> None:
    """On AWS a replication group with more than one node group is cluster mode enabled whatever ClusterMode says:
    ClusterEnabled true, a ConfigurationEndpoint, members named <group>-0001-001, <group>-0002-001 ... moto keys
    everything on ClusterMode and, without it, reports ClusterEnabled false and the same member ids in each shard."""
    original = models.ElastiCacheBackend.create_replication_group

    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        shards = max(kwargs.get("num_node_groups") or 1, len(kwargs.get("node_group_configuration") or []))
        if shards > 1:
            kwargs["num_node_groups"] = shards
            kwargs["cluster_mode"] = "enabled"
        return original(self, *args, **kwargs)

    models.ElastiCacheBackend.create_replication_group = create


# --- replication groups: AWS's validation, the fields of ModifyReplicationGroup, replica counts ------------------


def _replicas(group: Any) -> int:
    """Read replicas of a cluster-mode-disabled group (per shard for cluster mode enabled)."""
    return min(len(node_group["node_group_members"]) for node_group in group.node_groups) - 1


def _check_configuration(
    backend: Any,
    *,
    replicas: int,
    failover: bool,
    multi_az: bool,
    subnet_group: str | None,
    security_group_ids: list[str] | None,
    parameter_group: str | None,
    family: str,
    creating: bool,
    sharded: bool = False,
) -> None:
    """AWS's refusals where the lab can go wrong, checked before the group is created or changed."""
    from moto.elasticache import exceptions  # noqa: PLC0415 - moto is imported only inside the sandbox

    if failover and replicas < 1 and not sharded:
        if creating:
            raise exceptions.InvalidParameterCombinationException(
                "Automatic failover requires at least one read replica: NumCacheClusters must be at least 2 "
                "(or ReplicasPerNodeGroup at least 1) when AutomaticFailoverEnabled is true."
            )
        raise _fault(
            "InvalidReplicationGroupState",
            "Replication group must have at least one read replica to enable autofailover.",
        )
    if multi_az and not failover:
        raise exceptions.InvalidParameterCombinationException(
            "Multi-AZ can only be enabled when automatic failover is enabled."
        )
    subnet = None
    if subnet_group:
        subnet = backend.describe_cache_subnet_groups(subnet_group)[0]  # CacheSubnetGroupNotFoundFault
        zones = {(s.get("subnet_availability_zone") or {}).get("Name") for s in subnet.subnets}
        if multi_az and len(zones) < 2:
            raise exceptions.InvalidParameterValueException(
                f"Multi-AZ requires nodes in at least two Availability Zones, but cache subnet group {subnet_group} "
                f"has subnets in {len(zones)} only ({', '.join(sorted(z for z in zones if z))})."
            )
    if security_group_ids:
        ec2 = _ec2(backend)
        unknown = [sg for sg in security_group_ids if ec2.get_security_group_from_id(sg) is None]
        if unknown:
            raise exceptions.InvalidParameterValueException(
                f"Some security group Id(s) are not valid: {', '.join(unknown)}."
            )
        if subnet is not None and subnet.vpc_id:
            elsewhere = [sg for sg in security_group_ids if ec2.get_security_group_from_id(sg).vpc_id != subnet.vpc_id]
            if elsewhere:
                raise _fault(
                    "InvalidVPCNetworkStateFault",
                    f"The security group(s) {', '.join(elsewhere)} are not in VPC {subnet.vpc_id} of cache subnet "
                    f"group {subnet_group}.",
                )
    if parameter_group:
        group = backend.labgrader_parameter_group(parameter_group)  # CacheParameterGroupNotFound
        if group.family != family:
            raise exceptions.InvalidParameterCombinationException(
                f"The parameter group {parameter_group} has family {group.family}, which does not match the "
                f"engine's family {family}."
            )


def _fault(code: str, message: str) -> Exception:
    """An ElastiCache error answered with AWS's code (for codes moto has no exception class of)."""
    from moto.elasticache import exceptions  # noqa: PLC0415 - moto is imported only inside the sandbox

    error = exceptions.ElastiCacheException(message)
    error.code = code
    return error


def _default_parameter_group(group: Any) -> str:
    family = parameter_groups.family_for(group.engine, group.engine_version)
    name = parameter_groups.default_group_name(family)
    return f"{name}.cluster.on" if group.cluster_enabled and family == "redis7" else name


def _validate_replication_groups(models: Any) -> None:
    """CreateReplicationGroup as AWS judges it: automatic failover needs a read replica, Multi-AZ needs automatic
    failover and a subnet group spanning two AZs, the subnet group, security groups and parameter group must exist
    (the parameter group of the engine's family). moto accepted all of these. The group runs with its family's
    default parameter group when it names none; the sandbox's Redis nodes take its maxmemory-policy."""
    from moto.elasticache import responses  # noqa: PLC0415 - moto is imported only inside the sandbox

    original = responses.ElastiCacheResponse.create_replication_group

    @functools.wraps(original)
    def create(self: Any) -> Any:
        backend = self.elasticache_backend
        shards = max(self._get_int_param("NumNodeGroups") or 1, len(self._get_param("NodeGroupConfiguration") or []))
        per_shard = self._get_int_param("ReplicasPerNodeGroup")
        nodes = self._get_int_param("NumCacheClusters")
        replicas = per_shard if per_shard is not None else ((nodes or 1) - 1 if shards == 1 else 0)
        engine, version = self._get_param("Engine"), self._get_param("EngineVersion")
        _check_configuration(
            backend,
            replicas=replicas,
            failover=bool(self._get_bool_param("AutomaticFailoverEnabled")),
            multi_az=bool(self._get_bool_param("MultiAZEnabled")),
            subnet_group=self._get_param("CacheSubnetGroupName"),
            security_group_ids=self._get_param("SecurityGroupIds"),
            parameter_group=self._get_param("CacheParameterGroupName"),
            family=parameter_groups.family_for(engine, version),
            creating=True,
            sharded=shards > 1 or self._get_param("ClusterMode") == "enabled",
        )
        answer = original(self)
        group = backend.replication_groups[self._get_param("ReplicationGroupId")]
        group.cache_parameter_group_name = (group.cache_parameter_group_name or _default_parameter_group(group)).lower()
        backend.labgrader_apply_parameter_group(backend.labgrader_parameter_group(group.cache_parameter_group_name))
        events.record(backend, group.replication_group_id, "replication-group", "Replication group created")
        return answer

    responses.ElastiCacheResponse.create_replication_group = create  # type: ignore[method-assign]


def _modify_replication_group_fields(models: Any) -> None:
    """moto's ModifyReplicationGroup changes only the description, engine, node type, automatic failover, Multi-AZ
    and snapshot retention, and accepts any combination. As on AWS, the sandbox also changes the security groups,
    the parameter group (its maxmemory-policy then runs on the sandbox's Redis nodes), the snapshot and maintenance
    windows, the engine version, in-transit encryption and minor version upgrades; and it refuses what AWS refuses
    (see _check_configuration) on the configuration the change would produce."""
    from moto.elasticache import responses  # noqa: PLC0415 - moto is imported only inside the sandbox

    original = responses.ElastiCacheResponse.modify_replication_group

    @functools.wraps(original)
    def modify(self: Any) -> Any:
        backend = self.elasticache_backend
        group = backend.describe_replication_groups(self._get_param("ReplicationGroupId"))[0]

        def given(name: str, current: Any, reader: Any = self._get_param) -> Any:
            value = reader(name)
            return current if value is None else value

        failover = given("AutomaticFailoverEnabled", group.automatic_failover == "enabled", self._get_bool_param)
        multi_az = given("MultiAZEnabled", group.multi_az == "enabled", self._get_bool_param)
        security_group_ids = self._get_param("SecurityGroupIds")
        parameter_group = self._get_param("CacheParameterGroupName")
        engine_version = given("EngineVersion", group.engine_version)
        _check_configuration(
            backend,
            replicas=_replicas(group),
            failover=failover,
            multi_az=multi_az,
            subnet_group=group.cache_subnet_group_name,
            security_group_ids=security_group_ids,
            parameter_group=parameter_group,
            family=parameter_groups.family_for(given("Engine", group.engine), engine_version),
            creating=False,
            sharded=group.cluster_enabled,
        )
        answer = original(self)
        if security_group_ids:
            group.security_group_ids = security_group_ids
        if parameter_group:
            group.cache_parameter_group_name = parameter_group.lower()  # as AWS stores it
            backend.labgrader_apply_parameter_group(backend.labgrader_parameter_group(parameter_group))
        group.engine_version = engine_version
        group.snapshot_window = given("SnapshotWindow", group.snapshot_window)
        group.preferred_maintenance_window = given("PreferredMaintenanceWindow", group.preferred_maintenance_window)
        group.auto_minor_version_upgrade = given(
            "AutoMinorVersionUpgrade", group.auto_minor_version_upgrade, self._get_bool_param
        )
        group.transit_encryption_enabled = given(
            "TransitEncryptionEnabled", group.transit_encryption_enabled, self._get_bool_param
        )
        group.transit_encryption_mode = given("TransitEncryptionMode", group.transit_encryption_mode)
        events.record(backend, group.replication_group_id, "replication-group", "Replication group modified")
        return answer

    responses.ElastiCacheResponse.modify_replication_group = modify  # type: ignore[method-assign]


MAX_REPLICAS = 5  # per shard, as on AWS


def _change_replica_count(models: Any) -> None:
    """moto has no IncreaseReplicaCount / DecreaseReplicaCount (HTTP 500), so the hint that adds a replica could not
    run. As on AWS: ApplyImmediately must be true; NewReplicaCount is the number of replicas wanted afterwards (per
    shard with cluster mode enabled), 0..5, above (increase) or below (decrease) the current count; decreasing can
    instead name ReplicasToRemove; a group with automatic failover keeps at least one replica; the group must exist
    (ReplicationGroupNotFoundFault) and be available. New members are named after the group like the first ones
    (<group>-003; <group>-0001-003 per shard) and placed across the subnet group's AZs.

    Control plane only: the sandbox's Redis data plane stays one primary and one replica (sentinel, failover and
    the grader's Redis checks are built on that pair)."""
    from moto.core.responses import ActionResult  # noqa: PLC0415 - moto is imported only inside the sandbox
    from moto.elasticache import exceptions, responses  # noqa: PLC0415

    if hasattr(responses.ElastiCacheResponse, "increase_replica_count"):
        return
    invalid = exceptions.InvalidParameterValueException

    def zones_of(backend: Any, group: Any) -> list[str]:
        if group.cache_subnet_group_name in backend.cache_subnet_groups:
            subnets = backend.cache_subnet_groups[group.cache_subnet_group_name].subnets
            zones = sorted({(s.get("subnet_availability_zone") or {}).get("Name") or "" for s in subnets} - {""})
            if zones:
                return zones
        return [f"{backend.region_name}a", f"{backend.region_name}b"]

    def member_id(group: Any, node_group: Any, number: int) -> str:
        if group.cluster_enabled:
            return f"{group.replication_group_id}-{node_group['node_group_id']}-{number:0>3}"
        return f"{group.replication_group_id}-{number:0>3}"

    def add_replica(group: Any, node_group: Any, zones: list[str]) -> str:
        taken = {member["cache_cluster_id"] for ng in group.node_groups for member in ng["node_group_members"]}
        number = 1
        while member_id(group, node_group, number) in taken:
            number += 1
        cluster_id = member_id(group, node_group, number)
        used = [m.get("preferred_availability_zone") for m in node_group["node_group_members"]]
        zone = min(zones, key=used.count)
        member: dict[str, Any] = {
            "cache_cluster_id": cluster_id,
            "cache_node_id": node_group["node_group_id"],
            "preferred_availability_zone": zone,
        }
        if not group.cluster_enabled:
            domain = node_group["primary_endpoint_address"].split(".", 1)[1]
            member["read_endpoint"] = {"address": f"{cluster_id}.{domain}", "port": group.port}
            member["current_role"] = "replica"
        node_group["node_group_members"].append(member)
        group.member_clusters.append(cluster_id)
        return cluster_id

    def remove(group: Any, node_group: Any, cluster_id: str) -> str:
        node_group["node_group_members"] = [
            m for m in node_group["node_group_members"] if m["cache_cluster_id"] != cluster_id
        ]
        group.member_clusters.remove(cluster_id)
        return cluster_id

    def target(self: Any) -> tuple[Any, Any, dict[str, int | None]]:
        backend = self.elasticache_backend
        group = backend.describe_replication_groups(self._get_param("ReplicationGroupId"))[0]
        if not self._get_bool_param("ApplyImmediately"):
            raise invalid("ApplyImmediately=false is not supported: use --apply-immediately.")
        if group.status != "available":
            raise _fault(
                "InvalidReplicationGroupState",
                f"Replication group {group.replication_group_id} is not in available state ({group.status}).",
            )
        wanted: int | None = self._get_int_param("NewReplicaCount")
        shards = self._get_param("ReplicaConfiguration") or []
        per_shard = {str(shard.get("NodeGroupId")): int(shard.get("NewReplicaCount")) for shard in shards}
        if wanted is not None and per_shard:
            raise exceptions.InvalidParameterCombinationException(
                "NewReplicaCount and ReplicaConfiguration cannot both be specified."
            )
        unknown = sorted(set(per_shard) - {ng["node_group_id"] for ng in group.node_groups})
        if unknown:
            raise invalid(f"Node group(s) {', '.join(unknown)} not found in {group.replication_group_id}.")
        for count in [wanted, *per_shard.values()]:
            if count is not None and not 0 <= count <= MAX_REPLICAS:
                raise invalid(f"NewReplicaCount must be between 0 and {MAX_REPLICAS}.")
        wanted_of = {ng["node_group_id"]: per_shard.get(ng["node_group_id"], wanted) for ng in group.node_groups}
        return backend, group, wanted_of

    def increase(self: Any) -> Any:
        backend, group, wanted_of = target(self)
        if all(count is None for count in wanted_of.values()):
            raise invalid("Either NewReplicaCount or ReplicaConfiguration must be provided.")
        for node_group in group.node_groups:
            wanted, current = wanted_of[node_group["node_group_id"]], len(node_group["node_group_members"]) - 1
            if wanted is not None and wanted <= current:
                raise invalid(
                    f"The new replica count ({wanted}) must be greater than the current replica count ({current})."
                )
        zones = zones_of(backend, group)
        added = []
        for node_group in group.node_groups:
            wanted = wanted_of[node_group["node_group_id"]]
            while wanted is not None and len(node_group["node_group_members"]) - 1 < wanted:
                added.append(add_replica(group, node_group, zones))
        message = f"Added cache node(s) {', '.join(added)}"
        events.record(backend, group.replication_group_id, "replication-group", message)
        return ActionResult({"ReplicationGroup": group})

    def decrease(self: Any) -> Any:
        backend, group, wanted_of = target(self)
        to_remove = self._get_param("ReplicasToRemove") or []
        counted = any(count is not None for count in wanted_of.values())
        if counted == bool(to_remove):
            raise exceptions.InvalidParameterCombinationException(
                "Specify either NewReplicaCount (or ReplicaConfiguration) or ReplicasToRemove."
            )
        primaries = {
            m["cache_cluster_id"]
            for ng in group.node_groups
            for m in ng["node_group_members"]
            if m.get("current_role", "primary" if m is ng["node_group_members"][0] else "replica") == "primary"
        }
        for cluster_id in to_remove:
            if cluster_id not in group.member_clusters:
                raise exceptions.CacheClusterNotFound(cluster_id)
            if cluster_id in primaries:
                raise invalid(f"Cache cluster {cluster_id} is the primary: only replicas can be removed.")
        for node_group in group.node_groups:
            current = len(node_group["node_group_members"]) - 1
            wanted = wanted_of[node_group["node_group_id"]]
            if wanted is not None and wanted >= current:
                raise invalid(
                    f"The new replica count ({wanted}) must be less than the current replica count ({current})."
                )
            gone = sum(m["cache_cluster_id"] in to_remove for m in node_group["node_group_members"])
            remaining = wanted if wanted is not None else current - gone
            if group.automatic_failover == "enabled" and not group.cluster_enabled and remaining < 1:
                raise exceptions.InvalidParameterCombinationException(
                    "Automatic failover is enabled: the replication group must keep at least one read replica. "
                    "Disable automatic failover (and Multi-AZ) first."
                )
        removed = []
        for node_group in group.node_groups:
            wanted = wanted_of[node_group["node_group_id"]]
            for cluster_id in [m["cache_cluster_id"] for m in node_group["node_group_members"]]:
                if cluster_id in to_remove:
                    removed.append(remove(group, node_group, cluster_id))
            while wanted is not None and len(node_group["node_group_members"]) - 1 > wanted:
                last = [m for m in node_group["node_group_members"] if m["cache_cluster_id"] not in primaries][-1]
                removed.append(remove(group, node_group, last["cache_cluster_id"]))
        message = f"Removed cache node(s) {', '.join(removed)}"
        events.record(backend, group.replication_group_id, "replication-group", message)
        return ActionResult({"ReplicationGroup": group})

    setattr(responses.ElastiCacheResponse, "increase_replica_count", increase)  # noqa: B010 - a new operation
    setattr(responses.ElastiCacheResponse, "decrease_replica_count", decrease)  # noqa: B010 - a new operation


def _record_deletions(models: Any) -> None:
    """DescribeEvents (events.py) lists a replication group's deletion, as AWS does."""
    original = models.ElastiCacheBackend.delete_replication_group

    @functools.wraps(original)
    def delete(self: Any, replication_group_id: str, *args: Any, **kwargs: Any) -> Any:
        group = original(self, replication_group_id, *args, **kwargs)
        events.record(self, replication_group_id, "replication-group", "Replication group deleted")
        return group

    models.ElastiCacheBackend.delete_replication_group = delete
