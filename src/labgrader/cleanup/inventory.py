"""The inventory: what of the lab still exists, scoped to the lab.

Scope rule (the same for listing and for deleting): a resource is the lab's when it carries the lab tag
(`lab=<lab name>`, spec.cleanup_tag), or when it has a name the spec gives it and does not carry the tag key with
another value (another lab's resource). Security groups are named per VPC, so a name alone counts only inside the
lab's VPC: the VPC tagged with the lab tag or holding the lab's subnet group, else the default VPC. Cache clusters
outside a replication group count when named after the lab's group (`lab-redis`, `lab-redis-001`: the primary kept
by `--retain-primary-cluster`), snapshots when named in the spec or taken of the lab's group or clusters. `default`
subnet/security groups and `default.*` parameter groups are never the lab's. Nothing else is looked at.

Tags of DynamoDB and ElastiCache resources come from one Resource Groups Tagging API listing per region (every
resource carrying the lab tag key, whatever its value); security groups carry theirs in DescribeSecurityGroups.
Each part (DynamoDB, clusters, snapshots, subnet/parameter groups, security groups) is listed on its own: a part
that cannot be listed is recorded as an error for the checks that depend on it, the others still report.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions
import botocore.loaders
from botocore.config import Config

from labgrader.cleanup.model import DELETE_ORDER, PARTS, Inventory, Kind, Leftover, Part, PartError
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients

# Per call: ≤ 3 s to connect, ≤ 10 s to answer, 3 attempts; a region that has not answered after
# REGION_DEADLINE_S is reported as an error rather than waited for.
SCAN_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "total_max_attempts": 3},
    user_agent_extra="labgrader-cleanup",
)
UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
)
MAX_REGION_WORKERS = 8
REGION_DEADLINE_S = 120.0
# DescribeRegions' opt-in states of a region the account can use.
ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})


@dataclass(frozen=True)
class Scope:
    """The lab's names and tag: what the inventory may report and the delete plan may touch."""

    lab: str
    tag_key: str
    tag_value: str
    table: str | None = None
    replication_group: str | None = None
    snapshot: str | None = None
    subnet_group: str | None = None
    parameter_group: str | None = None
    # The Redis security group first, then the app's: the order they are deleted in.
    security_groups: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: LabSpec) -> Scope:
        key, value = spec.cleanup_tag
        cache = spec.elasticache
        groups = (cache.security_group, cache.app_security_group) if cache else ()
        return cls(
            lab=spec.lab.name,
            tag_key=key,
            tag_value=value,
            table=spec.dynamodb.table if spec.dynamodb else None,
            replication_group=cache.replication_group if cache else None,
            snapshot=cache.snapshot_name if cache else None,
            subnet_group=cache.subnet_group if cache else None,
            parameter_group=cache.parameter_group if cache else None,
            security_groups=tuple(name for name in groups if name),
        )

    @property
    def tag(self) -> str:
        return f"{self.tag_key}={self.tag_value}"

    def claims(self, tag: str | None, *, named: bool, because: str = "named in the lab spec") -> str | None:
        """Why a resource is the lab's, or None: `tag` is the value of its lab tag key (None: no such tag)."""
        if tag == self.tag_value:
            return f"tagged {self.tag}"
        if named and tag is None:
            return because
        return None

    def lab_cluster(self, cluster_id: str | None) -> bool:
        """A cache cluster named after the lab's replication group: `lab-redis` or `lab-redis-001`."""
        group = self.replication_group
        if not group or not cluster_id:
            return False
        return cluster_id == group or re.fullmatch(rf"{re.escape(group)}-\d{{3,4}}", cluster_id) is not None

    def looked_for(self) -> dict[str, list[str]]:
        tag = f"tag {self.tag}"
        group = self.replication_group
        return {
            "cleanup_dynamodb_tables_deleted": [
                *([f"table {self.table} and its backups"] if self.table else []),
                tag,
            ],
            "cleanup_elasticache_deleted": [
                *([f"replication group {group}, cache clusters {group} and {group}-NNN"] if group else []),
                tag,
            ],
            "cleanup_elasticache_snapshots_deleted": [
                *([f"snapshot {self.snapshot}"] if self.snapshot else []),
                *([f"manual snapshots of {group}"] if group else []),
                tag,
            ],
            "cleanup_elasticache_groups_deleted": [
                *([f"subnet group {self.subnet_group}"] if self.subnet_group else []),
                *([f"parameter group {self.parameter_group}"] if self.parameter_group else []),
                tag,
            ],
            "cleanup_security_groups_deleted": [
                *(
                    [f"security groups {', '.join(self.security_groups)} in the lab's VPC"]
                    if self.security_groups
                    else []
                ),
                tag,
            ],
        }


# Service models parsed once per process: a boto3 session per region (thread safety) would otherwise re-read them
# (client creation drops from ~0.3 s to ~0.02 s per scan).
_MODELS = botocore.loaders.create_loader()


def scan_clients(
    target: Target, config: Config = SCAN_CONFIG, on_call: Callable[[str], None] | None = None
) -> AwsClients:
    """AwsClients of `target` with the cleanup's per-call timeouts, sharing the parsed service models."""
    clients = AwsClients(target, config, on_call=on_call)
    clients.session._session.register_component("data_loader", _MODELS)
    return clients


def _tags(pairs: Sequence[dict[str, Any]] | None) -> dict[str, str]:
    return {str(pair.get("Key")): str(pair.get("Value", "")) for pair in pairs or []}


def _code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _gone(exc: BaseException) -> bool:
    """The resource vanished between listing and describing it (AWS deletes on its own schedule)."""
    code = _code(exc)
    return "NotFound" in code or code in {"ResourceNotFoundException", "TableNotFoundException"}


def _paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key) or []


@dataclass
class RegionResult:
    region: str
    leftovers: list[Leftover] = field(default_factory=list)
    errors: list[PartError] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)


class RegionScan:
    """The inventory of one region: each part's list calls once, tags from one tagging-API listing."""

    def __init__(self, scope: Scope, clients: AwsClients, region: str, target: Target) -> None:
        self.scope = scope
        self.clients = clients
        self.region = region
        self.target = target
        self.result = RegionResult(region)
        self._subnet_group_vpcs: set[str] = set()
        self._tagged: dict[str, str] | BaseException | None = None
        self._lab_tables: set[str] = set()

    def client(self, service: str) -> Any:
        return self.clients.client(service, self.region)

    def run(self) -> RegionResult:
        parts: dict[Part, Callable[[], None]] = {
            "dynamodb": self._dynamodb,
            "elasticache": self._clusters,
            "snapshots": self._snapshots,
            "groups": self._groups,
            "security_groups": self._security_groups,
        }
        service: dict[Part, str] = {"dynamodb": "dynamodb", "security_groups": "ec2"}
        unreachable: dict[str, BaseException] = {}
        for part, look in parts.items():
            needed = service.get(part, "elasticache")
            if not self.target.provides(needed):
                self.result.not_checked.append(f"{part} in {self.region}: {self.target.unavailable[needed]}")
                continue
            if needed in unreachable:
                # Same endpoint, same answer: don't wait for its timeouts once more.
                self.result.errors.append(PartError(self.region, part, unreachable[needed]))
                continue
            try:
                look()
            except Exception as exc:  # noqa: BLE001 - any failure to list means "could not look": reported per part
                self.result.errors.append(PartError(self.region, part, exc))
                if isinstance(exc, UNREACHABLE):
                    unreachable[needed] = exc
        return self.result

    def _add(self, kind: Kind, name: str, state: str, reason: str, label: str = "", **details: Any) -> None:
        self.result.leftovers.append(
            Leftover(kind, name, self.region, state or "unknown", reason, label, dict(details))
        )

    # --- DynamoDB ---------------------------------------------------------------------------------------------

    def _tag_values(self) -> dict[str, str]:
        """ARN → value of the lab tag key, for every DynamoDB and ElastiCache resource carrying that key: one
        GetResources listing per region instead of a ListTags call per resource."""
        if isinstance(self._tagged, BaseException):
            raise self._tagged
        if self._tagged is None:
            tagging = self.client("resourcegroupstaggingapi")
            try:
                mappings = list(
                    _paginate(
                        tagging,
                        "get_resources",
                        "ResourceTagMappingList",
                        TagFilters=[{"Key": self.scope.tag_key}],
                        ResourceTypeFilters=["dynamodb", "elasticache"],
                    )
                )
            except Exception as exc:
                self._tagged = exc
                raise
            self._tagged = {str(m["ResourceARN"]): _tags(m.get("Tags")).get(self.scope.tag_key, "") for m in mappings}
        return self._tagged

    def _dynamodb(self) -> None:
        dynamodb = self.client("dynamodb")
        by_name = {arn.split(":table/", 1)[1]: value for arn, value in self._tag_values().items() if ":table/" in arn}
        for name in _paginate(dynamodb, "list_tables", "TableNames"):
            reason = self.scope.claims(by_name.get(name), named=name == self.scope.table)
            if reason is None:
                continue
            try:
                table = dynamodb.describe_table(TableName=name)["Table"]
            except botocore.exceptions.ClientError as exc:
                if _gone(exc):
                    continue
                raise
            self._lab_tables.add(name)
            details = _table_details(table)
            details["pitr"] = self._pitr(dynamodb, name)
            self._add("dynamodb_table", name, str(table.get("TableStatus", "")), reason, **details)
        self._backups(dynamodb)

    def _pitr(self, dynamodb: Any, name: str) -> bool:
        """Point-in-time recovery on (it bills per GB-month as long as the table lives)."""
        try:
            described = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        except botocore.exceptions.ClientError as exc:
            if _gone(exc):
                return False
            raise
        status = described.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        return bool(status == "ENABLED")

    def _backups(self, dynamodb: Any) -> None:
        tables = set(self._lab_tables) | ({self.scope.table} if self.scope.table else set())
        if not tables:
            return
        params: dict[str, Any] = {"BackupType": "USER"}
        while True:
            page = dynamodb.list_backups(**params)
            for backup in page.get("BackupSummaries") or []:
                status = str(backup.get("BackupStatus", ""))
                if backup.get("TableName") not in tables or status == "DELETED":
                    continue
                self._add(
                    "dynamodb_backup",
                    str(backup["BackupArn"]),
                    status,
                    f"backup of the lab's table {backup['TableName']}",
                    label=f"{backup.get('BackupName', '?')} (of table {backup['TableName']})",
                    size_bytes=backup.get("BackupSizeBytes"),
                    table=backup["TableName"],
                )
            last = page.get("LastEvaluatedBackupArn")
            if not last:
                return
            params["ExclusiveStartBackupArn"] = last

    # --- ElastiCache ------------------------------------------------------------------------------------------

    def _tag_of(self, arn: str | None) -> str | None:
        return self._tag_values().get(arn) if arn else None

    def _clusters(self) -> None:
        elasticache = self.client("elasticache")
        for group in _paginate(elasticache, "describe_replication_groups", "ReplicationGroups"):
            group_id = str(group["ReplicationGroupId"])
            reason = self.scope.claims(self._tag_of(group.get("ARN")), named=group_id == self.scope.replication_group)
            if reason is None:
                continue
            members = group.get("MemberClusters") or [
                member["CacheClusterId"]
                for node_group in group.get("NodeGroups") or []
                for member in node_group.get("NodeGroupMembers") or []
            ]
            self._add(
                "elasticache_replication_group",
                group_id,
                str(group.get("Status", "")),
                reason,
                node_type=group.get("CacheNodeType"),
                nodes=len(members),
                engine=group.get("Engine"),
            )
        # AWS leaves replication-group members out on request; moto ignores the parameter, so filter here too.
        clusters = _paginate(
            elasticache, "describe_cache_clusters", "CacheClusters", ShowCacheClustersNotInReplicationGroups=True
        )
        for cluster in clusters:
            if cluster.get("ReplicationGroupId"):
                continue
            cluster_id = str(cluster["CacheClusterId"])
            reason = self.scope.claims(
                self._tag_of(cluster.get("ARN")),
                named=self.scope.lab_cluster(cluster_id),
                because=f"named after the lab's replication group {self.scope.replication_group}",
            )
            if reason is None:
                continue
            self._add(
                "elasticache_cache_cluster",
                cluster_id,
                str(cluster.get("CacheClusterStatus", "")),
                reason,
                node_type=cluster.get("CacheNodeType"),
                nodes=int(cluster.get("NumCacheNodes") or 1),
                engine=cluster.get("Engine"),
            )

    def _snapshots(self) -> None:
        elasticache = self.client("elasticache")
        for snapshot in _paginate(elasticache, "describe_snapshots", "Snapshots"):
            if str(snapshot.get("SnapshotSource") or "manual").lower() != "manual":
                continue  # automatic snapshots go with their cluster; manual ones outlive it (and bill)
            name = str(snapshot["SnapshotName"])
            tag = self._tag_of(snapshot.get("ARN"))
            source_group = snapshot.get("ReplicationGroupId")
            source = source_group or snapshot.get("CacheClusterId")
            reason = self.scope.claims(tag, named=name == self.scope.snapshot)
            if reason is None and (
                (self.scope.replication_group and source_group == self.scope.replication_group)
                or self.scope.lab_cluster(snapshot.get("CacheClusterId"))
            ):
                reason = self.scope.claims(tag, named=True, because=f"a snapshot of the lab's {source}")
            if reason is None:
                continue
            self._add(
                "elasticache_snapshot",
                name,
                str(snapshot.get("SnapshotStatus", "")),
                reason,
                size_bytes=_snapshot_bytes(snapshot),
                node_type=snapshot.get("CacheNodeType"),
                node_groups=int(snapshot.get("NumNodeGroups") or 1),
                source=source,
            )

    def _groups(self) -> None:
        elasticache = self.client("elasticache")
        for group in _paginate(elasticache, "describe_cache_subnet_groups", "CacheSubnetGroups"):
            name = str(group["CacheSubnetGroupName"])
            if name == "default":
                continue
            reason = self.scope.claims(self._tag_of(group.get("ARN")), named=name == self.scope.subnet_group)
            if reason is None:
                continue
            if group.get("VpcId"):
                self._subnet_group_vpcs.add(str(group["VpcId"]))
            self._add("elasticache_subnet_group", name, "available", reason, vpc_id=group.get("VpcId"))
        for group in _paginate(elasticache, "describe_cache_parameter_groups", "CacheParameterGroups"):
            name = str(group["CacheParameterGroupName"])
            if name.startswith("default."):
                continue
            reason = self.scope.claims(self._tag_of(group.get("ARN")), named=name == self.scope.parameter_group)
            if reason is not None:
                self._add(
                    "elasticache_parameter_group",
                    name,
                    "available",
                    reason,
                    family=group.get("CacheParameterGroupFamily"),
                )

    # --- EC2 security groups ----------------------------------------------------------------------------------

    def _security_groups(self) -> None:
        ec2 = self.client("ec2")
        groups_failed = next((e for e in self.result.errors if e.part == "groups"), None)
        tag_filter = [{"Name": f"tag:{self.scope.tag_key}", "Values": [self.scope.tag_value]}]
        found: dict[str, dict[str, Any]] = {
            group["GroupId"]: group
            for group in _paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=tag_filter)
        }
        lab_vpcs: set[str] = set()
        vpc_basis = ""
        if self.scope.security_groups and groups_failed is None:
            tagged_vpcs = {vpc["VpcId"] for vpc in ec2.describe_vpcs(Filters=tag_filter).get("Vpcs") or []}
            lab_vpcs = tagged_vpcs | self._subnet_group_vpcs
            vpc_basis = "the lab's VPC"
            if not lab_vpcs:
                default = [{"Name": "is-default", "Values": ["true"]}]
                lab_vpcs = {vpc["VpcId"] for vpc in ec2.describe_vpcs(Filters=default).get("Vpcs") or []}
                vpc_basis = "the default VPC (no lab VPC is left)"
            name_filter = [{"Name": "group-name", "Values": list(self.scope.security_groups)}]
            for group in _paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=name_filter):
                found.setdefault(group["GroupId"], group)
        for group_id, group in sorted(found.items()):
            name = str(group.get("GroupName", ""))
            if name == "default":
                continue
            named = name in self.scope.security_groups and group.get("VpcId") in lab_vpcs
            reason = self.scope.claims(
                _tags(group.get("Tags")).get(self.scope.tag_key),
                named=named,
                because=f"named in the lab spec, in {vpc_basis}",
            )
            if reason is None:
                continue
            role = self.scope.security_groups.index(name) if name in self.scope.security_groups else 9
            self._add(
                "ec2_security_group",
                group_id,
                "available",
                reason,
                label=f"{name} ({group_id})",
                group_name=name,
                vpc_id=group.get("VpcId"),
                order=role,
                references=_references(group),
            )
        if groups_failed is not None:
            # Without the subnet group's VPC the lab's VPC is unknown: a name alone could not be judged.
            self.result.errors.append(PartError(self.region, "security_groups", groups_failed.error))


def _table_details(table: dict[str, Any]) -> dict[str, Any]:
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
    rcu = wcu = 0
    if billing == "PROVISIONED":
        # lab-facts: BillingModeSummary can be missing on provisioned tables; indexes bill their own capacity.
        for part in [table, *(table.get("GlobalSecondaryIndexes") or [])]:
            throughput = part.get("ProvisionedThroughput") or {}
            rcu += int(throughput.get("ReadCapacityUnits") or 0)
            wcu += int(throughput.get("WriteCapacityUnits") or 0)
    return {
        "billing_mode": billing,
        "rcu": rcu,
        "wcu": wcu,
        "size_bytes": int(table.get("TableSizeBytes") or 0),
        "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
    }


_SIZE = re.compile(r"^\s*([\d.]+)\s*([KMGT]?i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _snapshot_bytes(snapshot: dict[str, Any]) -> int | None:
    """The snapshot's size from its nodes' `CacheSize` ("5 MB"), or None when AWS (or moto) does not say."""
    sizes = [node.get("CacheSize") for node in snapshot.get("NodeSnapshots") or []]
    total = 0
    for size in sizes:
        match = _SIZE.match(str(size or ""))
        if not match:
            return None
        unit = (match.group(2) or "").upper().replace("I", "")
        total += int(float(match.group(1)) * _UNITS.get(unit, 1))
    return total if sizes else None


def _references(group: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules of `group` that name another security group (they may block that group's deletion)."""
    found = []
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        for rule in group.get(key) or []:
            for pair in rule.get("UserIdGroupPairs") or []:
                if pair.get("GroupId") and pair["GroupId"] != group.get("GroupId"):
                    permission = {k: rule[k] for k in ("IpProtocol", "FromPort", "ToPort") if rule.get(k) is not None}
                    permission["UserIdGroupPairs"] = [{"GroupId": pair["GroupId"]}]
                    found.append({"direction": direction, "group_id": pair["GroupId"], "permission": permission})
    return found


def enabled_regions(target: Target) -> list[str]:
    """Every region the account has enabled (EC2 DescribeRegions; opted-out regions are left out)."""
    ec2 = scan_clients(target).client("ec2")
    regions = ec2.describe_regions(AllRegions=False).get("Regions") or []
    return sorted(
        str(region["RegionName"])
        for region in regions
        if region.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN
    )


def scan(
    spec: LabSpec,
    target: Target,
    regions: Sequence[str] | None = None,
    *,
    max_workers: int = MAX_REGION_WORKERS,
    deadline_s: float = REGION_DEADLINE_S,
    config: Config = SCAN_CONFIG,
) -> Inventory:
    """The lab's leftovers in `regions` (default: the target's region), regions scanned concurrently (bounded)."""
    scope = Scope.of(spec)
    chosen = tuple(regions or (target.region,))
    inventory = Inventory(
        lab=spec.lab.name,
        tag=(scope.tag_key, scope.tag_value),
        regions=chosen,
        looked_for=scope.looked_for(),
    )
    started = time.monotonic()

    def one(region: str) -> RegionResult:
        # One boto3 session per region: sessions are not thread-safe, clients made from one are.
        clients = scan_clients(dataclasses.replace(target, region=region), config, inventory.record_call)
        return RegionScan(scope, clients, region, target).run()

    results: list[RegionResult] = []
    if len(chosen) == 1:
        results.append(one(chosen[0]))
    else:
        pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(chosen))), thread_name_prefix="cleanup")
        futures = {pool.submit(one, region): region for region in chosen}
        done, late = wait(futures, timeout=deadline_s)
        pool.shutdown(wait=False, cancel_futures=True)
        for future in done:
            results.append(future.result())
        for future in late:
            region = futures[future]
            timeout = botocore.exceptions.ReadTimeoutError(endpoint_url=f"{region} (no answer within {deadline_s:g} s)")
            results.append(RegionResult(region, errors=[PartError(region, part, timeout) for part in PARTS]))
    order = {region: index for index, region in enumerate(chosen)}
    for result in sorted(results, key=lambda r: order[r.region]):
        # In the order they are deleted in: the table reads as the plan does.
        inventory.leftovers.extend(
            sorted(
                result.leftovers,
                key=lambda item: (DELETE_ORDER.index(item.kind), int(item.details.get("order", 0)), item.name),
            )
        )
        inventory.errors.extend(result.errors)
        inventory.not_checked.extend(n for n in result.not_checked if n not in inventory.not_checked)
    inventory.duration_s = time.monotonic() - started
    return inventory
