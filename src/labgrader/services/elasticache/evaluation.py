"""Evaluating ElastiCache and EC2 API answers against the lab spec.

Pure functions over the documents AWS returns (DescribeReplicationGroups, DescribeCacheClusters,
DescribeCacheSubnetGroups, DescribeSecurityGroups, DescribeCacheParameters, DescribeSnapshots), plus the exact CLI
commands that fix what they find. Field names follow the API reference; lab-facts.md lists the traps respected here
(AutomaticFailover, not PendingModifiedValues; roles from NodeGroupMembers[].CurrentRole; Multi-AZ separate).
"""

from __future__ import annotations

import difflib
import ipaddress
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from labgrader.spec import LabSpec

# Replication group statuses (API reference: creating | available | modifying | deleting | create-failed |
# snapshotting). The first three settle by themselves: grade again later.
PENDING_STATUSES = frozenset({"creating", "modifying", "snapshotting"})
WORLD = frozenset({"0.0.0.0/0", "::/0"})
# A source wider than this admits more than any one VPC (a VPC's IPv4 block is /16 at most, its IPv6 block /56):
# "too wide" for a cache that only the lab's app should reach.
WIDEST_IPV4_PREFIX = 16
WIDEST_IPV6_PREFIX = 56
# Manual snapshot statuses that settle by themselves (API reference: creating | available | restoring | copying |
# deleting): every check reports such a snapshot `pending`.
SNAPSHOT_IN_PROGRESS = frozenset({"creating", "copying"})
DEFAULT_EVICTION_POLICY = "volatile-lru"  # what a default.* parameter group holds and cannot change


# --- replication group ----------------------------------------------------------------------------------------


def near_matches(wanted: str, names: Iterable[str]) -> list[str]:
    """Replication group IDs a student may have meant (ElastiCache IDs are lower case)."""
    names = [n for n in names if n != wanted]
    same = [n for n in names if n.lower() == wanted.lower()]
    return same + difflib.get_close_matches(wanted, [n for n in names if n not in same], n=3, cutoff=0.7)


def group_status(group: Mapping[str, Any]) -> str:
    return str(group.get("Status") or "unknown")


@dataclass(frozen=True)
class ShardRoles:
    """The members of one node group (shard) by role."""

    node_group_id: str
    primaries: tuple[str, ...]
    replicas: tuple[str, ...]
    # Members listed without CurrentRole: cluster mode enabled groups (the API reports no per-node role there).
    unlabelled: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.primaries) + len(self.replicas) + len(self.unlabelled)

    def counts(self) -> tuple[int, int]:
        """(primaries, replicas); an unlabelled shard has one primary and the rest replicas."""
        if self.unlabelled and not self.primaries and not self.replicas:
            return 1, self.size - 1
        return len(self.primaries), len(self.replicas) + len(self.unlabelled)


def shard_roles(group: Mapping[str, Any]) -> list[ShardRoles]:
    shards = []
    for node_group in group.get("NodeGroups") or []:
        by_role: dict[str, list[str]] = {"primary": [], "replica": [], "": []}
        for member in node_group.get("NodeGroupMembers") or []:
            role = str(member.get("CurrentRole") or "")
            by_role.setdefault(role, []).append(str(member.get("CacheClusterId", "?")))
        shards.append(
            ShardRoles(
                node_group_id=str(node_group.get("NodeGroupId", "?")),
                primaries=tuple(by_role["primary"]),
                replicas=tuple(by_role["replica"]),
                unlabelled=tuple(by_role[""]),
            )
        )
    return shards


def describe_roles(shards: list[ShardRoles]) -> str:
    parts = []
    for shard in shards:
        primaries, replicas = shard.counts()
        parts.append(f"node group {shard.node_group_id}: {primaries} primary, {replicas} replica(s)")
    return "; ".join(parts) or "no node groups"


def role_problems(group: Mapping[str, Any], min_replicas: int) -> list[str]:
    """Why the group is not one primary + ≥ min_replicas replicas per shard (empty list: it is)."""
    shards = shard_roles(group)
    if not shards or all(shard.size == 0 for shard in shards):
        members = group.get("MemberClusters") or []
        return [f"it reports no node group members ({len(members)} member cluster(s))"]
    problems = []
    for shard in shards:
        primaries, replicas = shard.counts()
        if primaries != 1:
            problems.append(f"node group {shard.node_group_id} has {primaries} primaries, expected exactly 1")
        if replicas < min_replicas:
            problems.append(
                f"node group {shard.node_group_id} has {replicas} replica(s), expected at least {min_replicas}"
            )
    return problems


def member_zones(group: Mapping[str, Any]) -> dict[str, str]:
    """Cache cluster ID → PreferredAvailabilityZone of each member listed in NodeGroups."""
    zones = {}
    for node_group in group.get("NodeGroups") or []:
        for member in node_group.get("NodeGroupMembers") or []:
            zone = member.get("PreferredAvailabilityZone")
            if zone:
                zones[str(member.get("CacheClusterId", "?"))] = str(zone)
    return zones


FailoverState = Literal["enabled", "disabled", "enabling", "disabling", "not reported"]


def automatic_failover(group: Mapping[str, Any]) -> FailoverState:
    """The `AutomaticFailover` field (never PendingModifiedValues, which only holds a change still to come)."""
    value = group.get("AutomaticFailover")
    return value if value in ("enabled", "disabled", "enabling", "disabling") else "not reported"


def multi_az(group: Mapping[str, Any]) -> Literal["enabled", "disabled", "not reported"]:
    value = group.get("MultiAZ")
    return value if value in ("enabled", "disabled") else "not reported"


ClusterMode = Literal["enabled", "disabled", "compatible"]


def cluster_mode(group: Mapping[str, Any]) -> ClusterMode:
    """More than one node group (shard) is cluster mode enabled whatever the flags say (only cluster mode shards);
    else `ClusterMode` when AWS reports it (newer API versions), else `ClusterEnabled`."""
    value = group.get("ClusterMode")
    if len(group.get("NodeGroups") or []) > 1 and value != "compatible":
        return "enabled"
    if value in ("enabled", "disabled", "compatible"):
        return value  # type: ignore[no-any-return]
    return "enabled" if group.get("ClusterEnabled") else "disabled"


def endpoints(group: Mapping[str, Any]) -> dict[str, str]:
    """The group's endpoints by kind (primary, reader, configuration): "address:port"."""
    found = {}
    node_groups = group.get("NodeGroups") or []
    first = node_groups[0] if node_groups else {}
    for kind, endpoint in (
        ("primary", first.get("PrimaryEndpoint")),
        ("reader", first.get("ReaderEndpoint")),
        ("configuration", group.get("ConfigurationEndpoint")),
    ):
        if endpoint and endpoint.get("Address"):
            found[kind] = f"{endpoint['Address']}:{endpoint.get('Port', 6379)}"
    return found


def cluster_mode_problems(group: Mapping[str, Any], expected: Literal["disabled", "enabled"]) -> list[str]:
    mode = cluster_mode(group)
    found = endpoints(group)
    problems = []
    if mode != expected:
        problems.append(f"cluster mode is {mode}, expected {expected}")
    if expected == "disabled" and "primary" not in found:
        problems.append("it has no PrimaryEndpoint (cluster mode disabled groups are reached through it)")
    if expected == "enabled" and "configuration" not in found:
        problems.append("it has no ConfigurationEndpoint (cluster mode enabled clients connect with -c to it)")
    return problems


# --- member clusters (DescribeCacheClusters) --------------------------------------------------------------------


def members_of(clusters: Iterable[Mapping[str, Any]], group_id: str) -> list[Mapping[str, Any]]:
    return [c for c in clusters if c.get("ReplicationGroupId") == group_id]


def security_group_ids_of(members: Iterable[Mapping[str, Any]]) -> set[str]:
    return {
        str(sg["SecurityGroupId"]) for m in members for sg in m.get("SecurityGroups") or [] if "SecurityGroupId" in sg
    }


def subnet_groups_of(members: Iterable[Mapping[str, Any]]) -> set[str]:
    return {str(m["CacheSubnetGroupName"]) for m in members if m.get("CacheSubnetGroupName")}


def parameter_groups_of(members: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Parameter group name → its ParameterApplyStatus (in-sync, applying, pending-reboot) across the members."""
    found: dict[str, str] = {}
    for member in members:
        group = member.get("CacheParameterGroup") or {}
        name = group.get("CacheParameterGroupName")
        if name:
            status = str(group.get("ParameterApplyStatus") or "in-sync")
            if found.get(name, "in-sync") == "in-sync":
                found[str(name)] = status
    return found


# --- subnet group -----------------------------------------------------------------------------------------------


def subnet_zones(subnet_group: Mapping[str, Any]) -> dict[str, str | None]:
    """Subnet ID → the AZ name AWS reports for it (None when the answer names none)."""
    zones: dict[str, str | None] = {}
    for subnet in subnet_group.get("Subnets") or []:
        zone = (subnet.get("SubnetAvailabilityZone") or {}).get("Name")
        zones[str(subnet.get("SubnetIdentifier", "?"))] = str(zone) if zone else None
    return zones


def distinct_zones(subnet_group: Mapping[str, Any]) -> list[str]:
    return sorted({zone for zone in subnet_zones(subnet_group).values() if zone})


# --- security group ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngressRule:
    """One source of one inbound permission of a security group."""

    protocol: str  # "tcp", "udp", "icmp", "-1" (all traffic), or a protocol number
    from_port: int | None
    to_port: int | None
    kind: Literal["ipv4", "ipv6", "group", "prefix-list"]
    source: str

    def reaches(self, port: int) -> bool:
        """True if this rule lets TCP traffic to `port` in."""
        if self.protocol == "-1":
            return True
        if self.protocol.lower() not in ("tcp", "6"):
            return False
        if self.from_port is None or self.to_port is None or self.from_port == -1:
            return True
        return self.from_port <= port <= self.to_port

    @property
    def world_open(self) -> bool:
        return self.kind in ("ipv4", "ipv6") and self.source in WORLD

    @property
    def too_wide(self) -> bool:
        """An address range wider than a VPC (0.0.0.0/0 and ::/0 included); a malformed one counts as too wide."""
        if self.kind not in ("ipv4", "ipv6"):
            return False
        try:
            network = ipaddress.ip_network(self.source, strict=False)
        except ValueError:
            return True
        widest = WIDEST_IPV4_PREFIX if network.version == 4 else WIDEST_IPV6_PREFIX
        return network.prefixlen < widest

    def ports(self) -> str:
        if self.protocol == "-1":
            return "all traffic"
        if self.from_port is None or self.from_port == -1:
            return f"{self.protocol} all ports"
        if self.from_port == self.to_port:
            return f"{self.protocol} {self.from_port}"
        return f"{self.protocol} {self.from_port}-{self.to_port}"

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """'tcp 6379 from 0.0.0.0/0', 'all traffic from sg-0abc (lab-app-sg)'."""
        source = self.source
        if self.kind == "group" and names and self.source in names:
            source = f"{self.source} ({names[self.source]})"
        return f"{self.ports()} from {source}"

    def permission(self) -> str:
        """The rule in the shorthand `aws ec2 revoke-security-group-ingress --ip-permissions` takes."""
        parts = [f"IpProtocol={self.protocol}"]
        if self.protocol != "-1" and self.from_port is not None:
            parts += [f"FromPort={self.from_port}", f"ToPort={self.to_port}"]
        source = {
            "ipv4": f"IpRanges=[{{CidrIp={self.source}}}]",
            "ipv6": f"Ipv6Ranges=[{{CidrIpv6={self.source}}}]",
            "group": f"UserIdGroupPairs=[{{GroupId={self.source}}}]",
            "prefix-list": f"PrefixListIds=[{{PrefixListId={self.source}}}]",
        }[self.kind]
        return ",".join([*parts, source])


def ingress_rules(security_group: Mapping[str, Any]) -> list[IngressRule]:
    rules = []
    for permission in security_group.get("IpPermissions") or []:
        protocol = str(permission.get("IpProtocol", "-1"))
        ports = (permission.get("FromPort"), permission.get("ToPort"))
        sources: list[tuple[Literal["ipv4", "ipv6", "group", "prefix-list"], str]] = [
            *(("ipv4", str(r.get("CidrIp"))) for r in permission.get("IpRanges") or []),
            *(("ipv6", str(r.get("CidrIpv6"))) for r in permission.get("Ipv6Ranges") or []),
            *(("group", str(p.get("GroupId"))) for p in permission.get("UserIdGroupPairs") or []),
            *(("prefix-list", str(p.get("PrefixListId"))) for p in permission.get("PrefixListIds") or []),
        ]
        for kind, source in sources:
            rules.append(IngressRule(protocol, ports[0], ports[1], kind, source))
    return rules


@dataclass(frozen=True)
class PortExposure:
    """Who may reach the Redis port: rules from the app's security group, and every other rule (offending)."""

    allowed: list[IngressRule]
    offending: list[IngressRule]

    @property
    def world_open(self) -> list[IngressRule]:
        return [rule for rule in self.offending if rule.world_open]


def port_exposure(security_group: Mapping[str, Any], port: int, app_group_id: str | None) -> PortExposure:
    reaching = [rule for rule in ingress_rules(security_group) if rule.reaches(port)]
    allowed = [r for r in reaching if app_group_id is not None and r.kind == "group" and r.source == app_group_id]
    offending = [r for r in reaching if r not in allowed]
    # The open-to-the-world rules first: they are what the message quotes.
    offending.sort(key=lambda rule: not rule.world_open)
    return PortExposure(allowed, offending)


def too_wide_rules(security_group: Mapping[str, Any], port: int) -> list[IngressRule]:
    """Rules of any security group attached to the nodes that admit the port from too wide an address range
    (0.0.0.0/0, ::/0, or wider than a VPC); rules naming a security group or a prefix list are that group's owner's
    choice and not judged here."""
    rules = [rule for rule in ingress_rules(security_group) if rule.reaches(port) and rule.too_wide]
    rules.sort(key=lambda rule: not rule.world_open)
    return rules


def revoke_cli(group_id: str, rules: Iterable[IngressRule]) -> str:
    permissions = " ".join(shlex.quote(rule.permission()) for rule in rules)
    return f"aws ec2 revoke-security-group-ingress --group-id {group_id} --ip-permissions {permissions}"


# --- parameter group --------------------------------------------------------------------------------------------


def parameter_values(pages: Iterable[Mapping[str, Any]]) -> dict[str, str | None]:
    """ParameterName → ParameterValue over every page of DescribeCacheParameters."""
    values: dict[str, str | None] = {}
    for page in pages:
        for parameter in page.get("Parameters") or []:
            name = parameter.get("ParameterName")
            if name:
                value = parameter.get("ParameterValue")
                values[str(name)] = str(value) if value is not None else None
    return values


def is_default_parameter_group(name: str) -> bool:
    return name.startswith("default.")


# --- snapshots --------------------------------------------------------------------------------------------------


def retention_days(group: Mapping[str, Any]) -> int:
    return int(group.get("SnapshotRetentionLimit") or 0)


def member_cluster_ids(group: Mapping[str, Any]) -> set[str]:
    """The group's member cache clusters (MemberClusters, and the members listed per node group)."""
    ids = {str(member) for member in group.get("MemberClusters") or []}
    for node_group in group.get("NodeGroups") or []:
        ids.update(
            str(m["CacheClusterId"]) for m in node_group.get("NodeGroupMembers") or [] if m.get("CacheClusterId")
        )
    return ids


def snapshot_owner(snapshot: Mapping[str, Any]) -> str:
    """`replication group X` or `cache cluster Y`: what a snapshot was taken of."""
    if snapshot.get("ReplicationGroupId"):
        return f"replication group {snapshot['ReplicationGroupId']}"
    if snapshot.get("CacheClusterId"):
        return f"cache cluster {snapshot['CacheClusterId']}"
    return "no replication group or cache cluster"


def snapshot_of_group(snapshot: Mapping[str, Any], group_id: str, member_ids: Iterable[str]) -> bool:
    """True when the snapshot was taken of the group or one of its member clusters (a snapshot of another group,
    or a final snapshot left by a deleted one, is not this group's backup)."""
    if snapshot.get("ReplicationGroupId"):
        return bool(snapshot["ReplicationGroupId"] == group_id)
    return str(snapshot.get("CacheClusterId") or "") in set(member_ids)


# --- encryption -------------------------------------------------------------------------------------------------


def encryption_gaps(group: Mapping[str, Any]) -> list[str]:
    gaps = []
    if not group.get("AtRestEncryptionEnabled"):
        gaps.append("at-rest encryption is off")
    if not group.get("TransitEncryptionEnabled"):
        gaps.append("in-transit encryption (TLS) is off")
    return gaps


# --- hints: the exact CLI, with the lab's names -----------------------------------------------------------------


def security_group_id_lookup(name: str) -> str:
    """Shell that prints a security group's ID by name (hints can't know IDs of groups that may not exist)."""
    return (
        f"$(aws ec2 describe-security-groups --filters Name=group-name,Values={shlex.quote(name)} "
        "--query 'SecurityGroups[0].GroupId' --output text)"
    )


def create_replication_group_cli(lab: LabSpec) -> str:
    spec = lab.elasticache
    assert spec is not None
    nodes = 1 + max(spec.min_replicas, 1 if spec.automatic_failover else 0)
    parts = [
        "aws elasticache create-replication-group",
        f"--replication-group-id {spec.replication_group}",
        f"--replication-group-description {shlex.quote(f'{lab.lab.name} cache')}",
        f"--engine {spec.engines[0]}",
        f"--cache-node-type {spec.node_type}",
    ]
    if spec.cluster_mode == "enabled":
        parts += ["--num-node-groups 1", f"--replicas-per-node-group {max(spec.min_replicas, 1)}"]
    else:
        parts.append(f"--num-cache-clusters {nodes}")
    if spec.automatic_failover:
        parts.append("--automatic-failover-enabled")
    if spec.multi_az:
        parts.append("--multi-az-enabled")
    parts += [
        f"--cache-subnet-group-name {spec.subnet_group}",
        f"--security-group-ids {security_group_id_lookup(spec.security_group)}",
    ]
    if spec.parameter_group:
        parts.append(f"--cache-parameter-group-name {spec.parameter_group}")
    if spec.min_snapshot_retention_days:
        parts.append(f"--snapshot-retention-limit {spec.min_snapshot_retention_days}")
    # As the reference solution: encrypted at rest (chosen at creation only) and in transit.
    parts += ["--at-rest-encryption-enabled", "--transit-encryption-enabled", f"--port {spec.port}"]
    return " ".join(parts)
