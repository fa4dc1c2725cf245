"""Cache parameter groups on the sandbox: moto has none (its server answers HTTP 500 to every parameter group call).

Added to the sandbox's moto server (labgrader.sandbox.moto.apply): CreateCacheParameterGroup,
DescribeCacheParameterGroups, DescribeCacheParameters (Marker pagination, MaxRecords 20..100 as on AWS),
ModifyCacheParameterGroup, ResetCacheParameterGroup and DeleteCacheParameterGroup, with the default groups
(`default.redis7` ...) that exist in every region and cannot be modified or deleted. A replication group made without
a parameter group runs with its family's default group, as on AWS.

The sandbox's real Redis nodes (primary and replica) back the replication group named like the sandbox's sentinel
master (`lab-redis`): the `maxmemory-policy` of the parameter group attached to that group is applied to both nodes
with CONFIG SET when the group is created, when another parameter group is attached, and when the attached group is
modified or reset. maxmemory-policy is a dynamic parameter on ElastiCache (ChangeType immediate), so the nodes report
`in-sync` at once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from labgrader.sandbox import data_plane

# (name, default value, data type, allowed values, modifiable, change type, minimum engine version, description):
# the redis7 family's parameters as DescribeCacheParameters lists them (alphabetical, as AWS answers).
_REDIS7: tuple[tuple[str, str, str, str, bool, str, str, str], ...] = (
    ("acllog-max-len", "128", "integer", "1-10000", True, "immediate", "6.0.0", "Maximum length of the ACL log"),
    ("active-defrag-cycle-max", "75", "integer", "1-75", True, "immediate", "4.0.10", "Maximal defrag CPU effort"),
    ("active-defrag-cycle-min", "5", "integer", "1-75", True, "immediate", "4.0.10", "Minimal defrag CPU effort"),
    ("active-defrag-ignore-bytes", "104857600", "integer", "1048576-", True, "immediate", "4.0.10",
     "Minimum fragmentation waste to start active defrag"),
    ("active-defrag-max-scan-fields", "1000", "integer", "1-1000000", True, "immediate", "4.0.10",
     "Maximum fields processed per main dictionary scan"),
    ("active-defrag-threshold-lower", "10", "integer", "1-100", True, "immediate", "4.0.10",
     "Minimum fragmentation percentage to start active defrag"),
    ("active-defrag-threshold-upper", "100", "integer", "1-100", True, "immediate", "4.0.10",
     "Fragmentation percentage at which defrag uses maximum effort"),
    ("active-expire-effort", "1", "integer", "1-10", True, "immediate", "6.0.0", "Effort of the expire cycle"),
    ("activedefrag", "no", "string", "yes,no", True, "immediate", "4.0.10", "Active memory defragmentation"),
    ("activerehashing", "yes", "string", "yes,no", True, "requires-reboot", "2.8.6", "Incremental rehashing"),
    ("appendfsync", "everysec", "string", "always,everysec,no", True, "immediate", "2.8.6", "fsync policy of the AOF"),
    ("appendonly", "no", "string", "yes,no", True, "immediate", "2.8.6", "Append-only file persistence"),
    ("client-output-buffer-limit-normal-hard-limit", "0", "integer", "0-", True, "immediate", "2.8.6",
     "Hard output buffer limit of normal clients"),
    ("client-output-buffer-limit-normal-soft-limit", "0", "integer", "0-", True, "immediate", "2.8.6",
     "Soft output buffer limit of normal clients"),
    ("client-output-buffer-limit-normal-soft-seconds", "0", "integer", "0-", True, "immediate", "2.8.6",
     "Seconds over the soft limit before a normal client is closed"),
    ("client-output-buffer-limit-pubsub-hard-limit", "33554432", "integer", "0-", True, "immediate", "2.8.6",
     "Hard output buffer limit of pub/sub clients"),
    ("client-output-buffer-limit-pubsub-soft-limit", "8388608", "integer", "0-", True, "immediate", "2.8.6",
     "Soft output buffer limit of pub/sub clients"),
    ("client-output-buffer-limit-pubsub-soft-seconds", "60", "integer", "0-", True, "immediate", "2.8.6",
     "Seconds over the soft limit before a pub/sub client is closed"),
    ("client-query-buffer-limit", "1073741824", "integer", "1048576-1073741824", True, "immediate", "4.0.10",
     "Maximum query buffer of one client"),
    ("close-on-replica-write", "yes", "string", "yes,no", True, "immediate", "2.8.23",
     "Close clients that write to a replica"),
    ("cluster-allow-pubsubshard-when-down", "yes", "string", "yes,no", True, "immediate", "7.0.0",
     "Serve sharded pub/sub while the cluster is down"),
    ("cluster-allow-reads-when-down", "no", "string", "yes,no", True, "immediate", "6.0.0",
     "Serve reads while the cluster is down"),
    ("cluster-enabled", "no", "string", "yes,no", False, "requires-reboot", "3.2.4", "Cluster mode"),
    ("cluster-require-full-coverage", "no", "string", "yes,no", True, "immediate", "3.2.4",
     "Stop serving when a hash slot is not covered"),
    ("databases", "16", "integer", "1-1200000", True, "requires-reboot", "2.8.6", "Number of logical databases"),
    ("hash-max-listpack-entries", "128", "integer", "0-", True, "immediate", "7.0.0",
     "Maximum entries of a listpack-encoded hash"),
    ("hash-max-listpack-value", "64", "integer", "0-", True, "immediate", "7.0.0",
     "Maximum value size in a listpack-encoded hash"),
    ("hash-max-ziplist-entries", "128", "integer", "0-", True, "immediate", "2.8.6",
     "Maximum entries of a small-encoded hash (older name)"),
    ("hash-max-ziplist-value", "64", "integer", "0-", True, "immediate", "2.8.6",
     "Maximum value size in a small-encoded hash (older name)"),
    ("hll-sparse-max-bytes", "3000", "integer", "1-16000", True, "immediate", "2.8.6",
     "Sparse HyperLogLog size limit"),
    ("latency-tracking", "no", "string", "yes,no", True, "immediate", "7.0.0", "Per-command latency tracking"),
    ("lazyfree-lazy-eviction", "no", "string", "yes,no", True, "immediate", "4.0.10", "Free evicted keys lazily"),
    ("lazyfree-lazy-expire", "no", "string", "yes,no", True, "immediate", "4.0.10", "Free expired keys lazily"),
    ("lazyfree-lazy-server-del", "no", "string", "yes,no", True, "immediate", "4.0.10",
     "Free implicitly deleted keys lazily"),
    ("lazyfree-lazy-user-del", "no", "string", "yes,no", True, "immediate", "6.0.0", "DEL behaves like UNLINK"),
    ("lazyfree-lazy-user-flush", "no", "string", "yes,no", True, "immediate", "6.2.0", "FLUSH runs asynchronously"),
    ("lfu-decay-time", "1", "integer", "0-", True, "immediate", "4.0.10", "Minutes to halve an LFU counter"),
    ("lfu-log-factor", "10", "integer", "1-", True, "immediate", "4.0.10", "LFU counter logarithm factor"),
    ("list-compress-depth", "0", "integer", "0-", True, "immediate", "3.2.4", "Uncompressed nodes at list ends"),
    ("list-max-listpack-size", "-2", "integer", "-5,-4,-3,-2,-1,1-", True, "immediate", "7.0.0",
     "Size of each list node"),
    ("list-max-ziplist-size", "-2", "integer", "-5,-4,-3,-2,-1,1-", True, "immediate", "3.2.4",
     "Size of each list node (older name)"),
    ("lua-replicate-commands", "yes", "string", "yes,no", True, "immediate", "3.2.4", "Replicate Lua effects"),
    ("lua-time-limit", "5000", "integer", "5000", False, "immediate", "2.8.6", "Maximum Lua script time in ms"),
    ("maxclients", "65000", "integer", "1-65000", False, "requires-reboot", "2.8.6", "Maximum connected clients"),
    ("maxmemory-policy", "volatile-lru", "string",
     "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction",
     True, "immediate", "2.8.6", "Which keys to evict when maxmemory is reached"),
    ("maxmemory-samples", "3", "integer", "1-", True, "immediate", "2.8.6", "Keys sampled per eviction"),
    ("min-replicas-max-lag", "10", "integer", "0-", True, "immediate", "2.8.6",
     "Maximum replica lag for min-replicas-to-write"),
    ("min-replicas-to-write", "0", "integer", "0-", True, "immediate", "2.8.6",
     "Replicas that must be connected for the primary to accept writes"),
    ("notify-keyspace-events", "", "string", "", True, "immediate", "2.8.6", "Keyspace notifications to publish"),
    ("proto-max-bulk-len", "536870912", "integer", "1048576-536870912", True, "immediate", "4.0.10",
     "Maximum size of one bulk request"),
    ("rename-commands", "", "string", "", True, "immediate", "2.8.6", "Renamed commands"),
    ("repl-backlog-size", "1048576", "integer", "16384-", True, "immediate", "2.8.6", "Replication backlog size"),
    ("repl-backlog-ttl", "3600", "integer", "0-", True, "immediate", "2.8.6",
     "Seconds before the backlog of a disconnected replica is freed"),
    ("replica-allow-chaining", "no", "string", "no", False, "immediate", "2.8.6", "Replicas of replicas"),
    ("replica-ignore-maxmemory", "yes", "string", "yes", False, "immediate", "5.0.0",
     "Replicas ignore maxmemory (evictions come from the primary)"),
    ("replica-lazy-flush", "yes", "string", "yes", False, "immediate", "4.0.10",
     "Replicas flush their dataset asynchronously on full sync"),
    ("reserved-memory-percent", "25", "integer", "0-100", True, "immediate", "2.8.6",
     "Percentage of memory reserved for non-data use"),
    ("set-max-intset-entries", "512", "integer", "0-", True, "immediate", "2.8.6",
     "Maximum entries of an intset-encoded set"),
    ("slowlog-log-slower-than", "10000", "integer", "-", True, "immediate", "2.8.6",
     "Microseconds above which a command is logged"),
    ("slowlog-max-len", "128", "integer", "0-", True, "immediate", "2.8.6", "Length of the slow log"),
    ("stream-node-max-bytes", "4096", "integer", "0-", True, "immediate", "5.0.0",
     "Maximum bytes of a stream node"),
    ("stream-node-max-entries", "100", "integer", "0-", True, "immediate", "5.0.0",
     "Maximum entries of a stream node"),
    ("tcp-keepalive", "300", "integer", "0-", True, "immediate", "2.8.6", "TCP keepalive interval in seconds"),
    ("timeout", "0", "integer", "0,20-", True, "immediate", "2.8.6", "Idle seconds before a client is closed"),
    ("tracking-table-max-keys", "1000000", "integer", "1-100000000", True, "immediate", "6.0.0",
     "Maximum keys of the client-tracking table"),
    ("zset-max-listpack-entries", "128", "integer", "0-", True, "immediate", "7.0.0",
     "Maximum entries of a listpack-encoded sorted set"),
    ("zset-max-listpack-value", "64", "integer", "0-", True, "immediate", "7.0.0",
     "Maximum member size in a listpack-encoded sorted set"),
    ("zset-max-ziplist-entries", "128", "integer", "0-", True, "immediate", "2.8.6",
     "Maximum entries of a small-encoded sorted set (older name)"),
    ("zset-max-ziplist-value", "64", "integer", "0-", True, "immediate", "2.8.6",
     "Maximum member size in a small-encoded sorted set (older name)"),
)  # fmt: skip

# The Redis-compatible families AWS offers; the sandbox gives each the redis7 parameter list (close enough for the
# lab: every one has maxmemory-policy with the same default). Each has a default group, and redis7 its cluster one.
FAMILIES = ("redis5.0", "redis6.x", "redis7", "valkey7", "valkey8")
DEFAULT_PREFIX = "default."
MAX_RECORDS_RANGE = (20, 100)
_NAME = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$")


def _integer_allowed(value: str, allowed: str) -> bool:
    """`value` is an integer within AllowedValues ("1-75", "0,20-", "-5,-4,1-", "-" for any)."""
    if not re.fullmatch(r"-?\d+", value):
        return False
    number = int(value)
    for token in (allowed or "-").split(","):
        if re.fullmatch(r"-?\d+", token):
            if number == int(token):
                return True
            continue
        bounds = re.fullmatch(r"(-?\d+)?-(-?\d+)?", token)
        if (
            bounds
            and (bounds[1] is None or number >= int(bounds[1]))
            and (bounds[2] is None or number <= int(bounds[2]))
        ):
            return True
    return False


def default_group_name(family: str) -> str:
    return f"{DEFAULT_PREFIX}{family}"


def family_for(engine: str | None, engine_version: str | None) -> str:
    """The parameter group family of an engine version (AWS's defaults when none is given: Redis 7.1, Valkey 8)."""
    engine = (engine or "redis").lower()
    version = engine_version or ("8.0" if engine == "valkey" else "7.1")
    major = version.split(".")[0]
    if engine == "valkey":
        return "valkey7" if major == "7" else "valkey8"
    return {"5": "redis5.0", "6": "redis6.x"}.get(major, "redis7")


@dataclass
class ParameterGroup:
    name: str
    family: str
    description: str
    arn: str
    values: dict[str, str] = field(default_factory=dict)  # the parameters the student changed (Source "user")

    @property
    def is_default(self) -> bool:
        return self.name.startswith(DEFAULT_PREFIX)

    def describe(self) -> dict[str, Any]:
        return {
            "CacheParameterGroupName": self.name,
            "CacheParameterGroupFamily": self.family,
            "Description": self.description,
            "IsGlobal": False,
            "ARN": self.arn,
        }

    def parameters(self) -> list[dict[str, Any]]:
        out = []
        cluster_on = self.name.endswith(".cluster.on")
        for name, default, data_type, allowed, modifiable, change, minimum, text in _REDIS7:
            value = "yes" if name == "cluster-enabled" and cluster_on else default
            parameter: dict[str, Any] = {
                "ParameterName": name,
                "ParameterValue": self.values.get(name, value),
                "Description": text,
                "Source": "user" if name in self.values else "system",
                "DataType": data_type,
                "IsModifiable": modifiable,
                "MinimumEngineVersion": minimum,
                "ChangeType": change,
            }
            if allowed:
                parameter["AllowedValues"] = allowed
            out.append(parameter)
        return out

    def value(self, name: str) -> str | None:
        return next((p["ParameterValue"] for p in self.parameters() if p["ParameterName"] == name), None)


def install(models: Any) -> None:
    """Add the parameter group operations to moto's ElastiCache backend and response handler."""
    from moto.core.responses import ActionResult, EmptyResult  # noqa: PLC0415 - moto loads only in the sandbox
    from moto.elasticache import exceptions, responses  # noqa: PLC0415

    if hasattr(responses.ElastiCacheResponse, "create_cache_parameter_group"):
        return  # upstream moto has them now: tests/sandbox/test_moto_upstream.py says so (XPASS)

    class CacheParameterGroupNotFound(exceptions.ElastiCacheException):
        code = "CacheParameterGroupNotFound"

        def __init__(self, name: str) -> None:
            super().__init__(f"CacheParameterGroup {name} not found.")

    class CacheParameterGroupAlreadyExists(exceptions.ElastiCacheException):
        code = "CacheParameterGroupAlreadyExists"

        def __init__(self, name: str) -> None:
            super().__init__(f"Cache parameter group {name} already exists.")

    class InvalidCacheParameterGroupState(exceptions.ElastiCacheException):
        code = "InvalidCacheParameterGroupState"

    invalid = exceptions.InvalidParameterValueException

    def arn(backend: Any, name: str) -> str:
        return f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"

    def groups(backend: Any) -> dict[str, ParameterGroup]:
        table: dict[str, ParameterGroup] | None = getattr(backend, "labgrader_parameter_groups", None)
        if table is None:
            table = {}
            for family in FAMILIES:
                names = [default_group_name(family)]
                if family == "redis7":
                    names.append(f"{default_group_name(family)}.cluster.on")
                for name in names:
                    description = f"Default parameter group for {family}"
                    table[name] = ParameterGroup(name, family, description, arn(backend, name))
            backend.labgrader_parameter_groups = table
        return table

    def get_group(backend: Any, name: str | None) -> ParameterGroup:
        group = groups(backend).get((name or "").lower())  # AWS stores the names in lowercase
        if group is None:
            raise CacheParameterGroupNotFound(str(name))
        return group

    def users(backend: Any, name: str) -> list[Any]:
        """Replication groups and cache clusters running with the group, those being deleted included (as on AWS:
        the group can be deleted once they are gone)."""
        found = [*backend.replication_groups.values(), *backend.cache_clusters.values()]
        return [user for user in found if (getattr(user, "cache_parameter_group_name", None) or "").lower() == name]

    def apply_attached(backend: Any, group: ParameterGroup) -> None:
        for replication_group in backend.replication_groups.values():
            if replication_group.cache_parameter_group_name == group.name and replication_group.status != "deleting":
                data_plane.set_maxmemory_policy(replication_group.replication_group_id, group.value("maxmemory-policy"))

    def validated(group: ParameterGroup, changes: list[dict[str, Any]]) -> dict[str, str]:
        catalogue = {entry[0]: entry for entry in _REDIS7}
        values: dict[str, str] = {}
        for change in changes:
            name = str(change.get("ParameterName") or "")
            value = str(change.get("ParameterValue") or "")
            entry = catalogue.get(name)
            if entry is None:
                raise invalid(f"Unrecognized parameter name: {name}")
            if not entry[4]:
                raise invalid(f"Parameter {name} is not modifiable.")
            allowed = entry[3]
            if entry[2] == "string" and allowed and value not in allowed.split(","):
                raise invalid(f"Invalid value for parameter {name}: {value}. Allowed values: {allowed}")
            if entry[2] == "integer" and not _integer_allowed(value, allowed):
                raise invalid(f"Invalid value for parameter {name}: {value}. Allowed values: {allowed}")
            values[name] = value
        return values

    def create(self: Any) -> Any:
        backend = self.elasticache_backend
        name = (self._get_param("CacheParameterGroupName") or "").lower()  # AWS stores the names in lowercase
        family = self._get_param("CacheParameterGroupFamily") or ""
        table = groups(backend)
        if name in table:
            raise CacheParameterGroupAlreadyExists(name)
        if family not in FAMILIES:
            raise invalid(f"The parameter CacheParameterGroupFamily is not a valid family: {family}.")
        if name.startswith(DEFAULT_PREFIX) or not _NAME.match(name):
            raise invalid(
                f"The parameter CacheParameterGroupName is not a valid identifier: {name}. Identifiers must begin "
                "with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a "
                "hyphen or contain two consecutive hyphens."
            )
        group = ParameterGroup(name, family, self._get_param("Description") or "", arn(backend, name))
        table[name] = group
        tags = self._get_param("Tags", [])
        if tags:
            backend.tagging_service.tag_resource(group.arn, tags)
        return ActionResult({"CacheParameterGroup": group.describe()})

    def page(self: Any, items: list[Any], key: str) -> Any:
        max_records = self._get_int_param("MaxRecords")
        low, high = MAX_RECORDS_RANGE
        if max_records is not None and not low <= max_records <= high:
            raise invalid(f"MaxRecords must be between {low} and {high}.")
        size = max_records or high
        marker = self._get_param("Marker")
        start = 0
        if marker:
            if not marker.isdigit():
                raise invalid(f"Invalid marker: {marker}")
            start = int(marker)
        result: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            result["Marker"] = str(start + size)
        return result

    def describe_groups(self: Any) -> Any:
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        found = [get_group(backend, name)] if name else list(groups(backend).values())
        return ActionResult(page(self, [g.describe() for g in found], "CacheParameterGroups"))

    def describe_parameters(self: Any) -> Any:
        group = get_group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
        source = self._get_param("Source")
        if source not in (None, "user", "system", "engine-default"):
            raise invalid(f"Invalid source: {source}. Valid values: user, system, engine-default.")
        parameters = group.parameters()
        if source == "user":
            parameters = [p for p in parameters if p["Source"] == "user"]
        elif source in ("system", "engine-default"):
            parameters = [p for p in parameters if p["Source"] == "system"]
        result = page(self, parameters, "Parameters")
        result["CacheNodeTypeSpecificParameters"] = []
        return ActionResult(result)

    def refuse_default(group: ParameterGroup, verb: str) -> None:
        if group.is_default:
            raise invalid(f"Cannot {verb} a default parameter group: {group.name}.")

    def modify(self: Any) -> Any:
        backend = self.elasticache_backend
        group = get_group(backend, self._get_param("CacheParameterGroupName"))
        refuse_default(group, "modify")
        changes = self._get_param("ParameterNameValues", [])
        if not changes:
            raise invalid("At least one parameter name and value must be provided.")
        group.values.update(validated(group, changes))
        apply_attached(backend, group)
        return ActionResult({"CacheParameterGroupName": group.name})

    def reset(self: Any) -> Any:
        backend = self.elasticache_backend
        group = get_group(backend, self._get_param("CacheParameterGroupName"))
        refuse_default(group, "modify")
        names = [str(p.get("ParameterName")) for p in self._get_param("ParameterNameValues", [])]
        reset_all = self._get_bool_param("ResetAllParameters")
        if reset_all and names:
            raise exceptions.InvalidParameterCombinationException(
                "ResetAllParameters cannot be combined with ParameterNameValues."
            )
        if not reset_all and not names:
            raise invalid("Either ResetAllParameters or ParameterNameValues must be provided.")
        for name in list(group.values) if reset_all else names:
            group.values.pop(name, None)
        apply_attached(backend, group)
        return ActionResult({"CacheParameterGroupName": group.name})

    def delete(self: Any) -> Any:
        backend = self.elasticache_backend
        group = get_group(backend, self._get_param("CacheParameterGroupName"))
        refuse_default(group, "delete")
        if users(backend, group.name):
            raise InvalidCacheParameterGroupState(
                f"One or more cache clusters are still members of cache parameter group {group.name}, "
                "so the group cannot be deleted."
            )
        groups(backend).pop(group.name)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    handlers = {
        "create_cache_parameter_group": create,
        "describe_cache_parameter_groups": describe_groups,
        "describe_cache_parameters": describe_parameters,
        "modify_cache_parameter_group": modify,
        "reset_cache_parameter_group": reset,
        "delete_cache_parameter_group": delete,
    }
    for name, handler in handlers.items():
        setattr(responses.ElastiCacheResponse, name, handler)
    models.ElastiCacheBackend.labgrader_parameter_group = get_group
    models.ElastiCacheBackend.labgrader_apply_parameter_group = apply_attached

    original_init = models.ElastiCacheBackend.__init__

    @functools.wraps(original_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # Tags of parameter groups are listed like the others' (moto's ARN pattern leaves them out).
        self.arn_regex = re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup):.*$"
        )

    models.ElastiCacheBackend.__init__ = init
