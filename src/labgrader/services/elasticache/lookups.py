"""The lab's ElastiCache and EC2 resources as the API describes them: each looked up at most once per grading run
and shared by every check that needs it (the ElastiCache checks and, on AWS, the Redis checks that judge
persistence and eviction from the API because ElastiCache refuses CONFIG and BGSAVE).

A failed lookup is remembered too: with the endpoint down, the first check pays the timeout and the others report
the same error at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import botocore.exceptions
import pytest

from labgrader.services.elasticache import evaluation as ev
from labgrader.spec import ElastiCacheSpec, LabSpec
from labgrader.targets.clients import AwsClients

T = TypeVar("T")
_RUN_KEY = pytest.StashKey["Lookups"]()
_REMEMBERED = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
_UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.NoCredentialsError,
)


class Lookups:
    def __init__(self, aws: AwsClients, lab: LabSpec) -> None:
        assert lab.elasticache is not None
        self.aws = aws
        self.lab = lab
        self.spec: ElastiCacheSpec = lab.elasticache
        self._memo: dict[Any, tuple[bool, Any]] = {}
        self._unreachable: Exception | None = None

    @property
    def elasticache(self) -> Any:
        return self.aws.client("elasticache")

    @property
    def ec2(self) -> Any:
        return self.aws.client("ec2")

    def _once(self, key: Any, compute: Callable[[], T]) -> T:
        if self._unreachable is not None:
            raise self._unreachable  # the endpoint is down for every lookup: pay its timeout once per run
        if key not in self._memo:
            try:
                self._memo[key] = (True, compute())
            except _UNREACHABLE as exc:
                self._unreachable = exc
                raise
            except _REMEMBERED as exc:
                self._memo[key] = (False, exc)
        ok, value = self._memo[key]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    # --- the replication group and its members ----------------------------------------------------------------

    def replication_group(self) -> dict[str, Any] | None:
        """DescribeReplicationGroups of the lab's group, or None when it does not exist."""

        def describe() -> dict[str, Any] | None:
            client = self.elasticache
            try:
                groups = client.describe_replication_groups(ReplicationGroupId=self.spec.replication_group)
            except client.exceptions.ReplicationGroupNotFoundFault:
                return None
            found: list[dict[str, Any]] = groups.get("ReplicationGroups") or []
            return found[0] if found else None

        return self._once("replication_group", describe)

    def replication_group_ids(self) -> list[str]:
        """Every replication group ID in the region (to name a near match when the lab's is missing)."""

        def list_ids() -> list[str]:
            paginator = self.elasticache.get_paginator("describe_replication_groups")
            return [g["ReplicationGroupId"] for page in paginator.paginate() for g in page["ReplicationGroups"]]

        return self._once("replication_group_ids", list_ids)

    def member_clusters(self) -> list[dict[str, Any]]:
        """DescribeCacheClusters entries of the group's members: where AWS says which subnet group, VPC security
        groups and parameter group the nodes run with (DescribeReplicationGroups has none of these)."""

        def describe() -> list[dict[str, Any]]:
            if self.replication_group() is None:
                return []
            paginator = self.elasticache.get_paginator("describe_cache_clusters")
            clusters = [c for page in paginator.paginate() for c in page.get("CacheClusters") or []]
            return [dict(c) for c in ev.members_of(clusters, self.spec.replication_group)]

        return self._once("member_clusters", describe)

    # --- subnet group, security groups ------------------------------------------------------------------------

    def subnet_group(self) -> dict[str, Any] | None:
        def describe() -> dict[str, Any] | None:
            client = self.elasticache
            try:
                groups = client.describe_cache_subnet_groups(CacheSubnetGroupName=self.spec.subnet_group)
            except client.exceptions.CacheSubnetGroupNotFoundFault:
                return None
            found: list[dict[str, Any]] = groups.get("CacheSubnetGroups") or []
            return found[0] if found else None

        return self._once("subnet_group", describe)

    def security_groups_named(self) -> dict[str, list[dict[str, Any]]]:
        """The lab's security groups by name (the Redis group and the app group), in one call; a name may exist in
        several VPCs."""

        def describe() -> dict[str, list[dict[str, Any]]]:
            names = [n for n in (self.spec.security_group, self.spec.app_security_group) if n]
            paginator = self.ec2.get_paginator("describe_security_groups")
            found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
            for page in paginator.paginate(Filters=[{"Name": "group-name", "Values": names}]):
                for group in page.get("SecurityGroups") or []:
                    found.setdefault(group.get("GroupName", ""), []).append(group)
            return found

        return self._once("security_groups_named", describe)

    def security_groups_by_id(self, group_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = frozenset(group_ids)
        known = {g["GroupId"]: g for groups in self.security_groups_named().values() for g in groups}
        missing = sorted(wanted - set(known))
        if missing:

            def describe() -> dict[str, dict[str, Any]]:
                groups = self.ec2.describe_security_groups(GroupIds=missing).get("SecurityGroups") or []
                return {g["GroupId"]: g for g in groups}

            known.update(self._once(("security_groups_by_id", tuple(missing)), describe))
        return {gid: known[gid] for gid in wanted if gid in known}

    def lab_security_group(self, name: str) -> dict[str, Any] | None:
        """The security group named `name` that the lab uses: the one the nodes use, else the one in the subnet
        group's VPC, else the only one with that name."""
        candidates = self.security_groups_named().get(name) or []
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        used = ev.security_group_ids_of(self.member_clusters())
        for group in candidates:
            if group["GroupId"] in used:
                return group
        subnet_group = self.subnet_group()
        vpc = subnet_group.get("VpcId") if subnet_group else None
        in_vpc = [g for g in candidates if g.get("VpcId") == vpc]
        return (in_vpc or candidates)[0]

    # --- parameter group ----------------------------------------------------------------------------------------

    def parameter_group_in_use(self) -> tuple[str | None, str]:
        """(name, where it came from): the parameter group the nodes run with, else the spec's."""
        used = ev.parameter_groups_of(self.member_clusters())
        if used:
            return sorted(used)[0], "the replication group's nodes"
        return self.spec.parameter_group, "the lab spec"

    def parameter_group(self, name: str) -> dict[str, Any] | None:
        def describe() -> dict[str, Any] | None:
            client = self.elasticache
            try:
                groups = client.describe_cache_parameter_groups(CacheParameterGroupName=name)
            except client.exceptions.CacheParameterGroupNotFoundFault:
                return None
            found: list[dict[str, Any]] = groups.get("CacheParameterGroups") or []
            return found[0] if found else None

        return self._once(("parameter_group", name), describe)

    def parameters(self, name: str) -> dict[str, str | None]:
        """Every parameter of the group: DescribeCacheParameters paginated with Marker (a group has ~100)."""

        def describe() -> dict[str, str | None]:
            paginator = self.elasticache.get_paginator("describe_cache_parameters")
            return ev.parameter_values(paginator.paginate(CacheParameterGroupName=name))

        return self._once(("parameters", name), describe)

    # --- snapshots -----------------------------------------------------------------------------------------------

    def named_snapshot(self) -> dict[str, Any] | None:
        """DescribeSnapshots of the spec's snapshot name, whatever it was taken of; None if none."""

        def describe() -> dict[str, Any] | None:
            client = self.elasticache
            try:
                found = client.describe_snapshots(SnapshotName=self.spec.snapshot_name).get("Snapshots") or []
            except client.exceptions.SnapshotNotFoundFault:
                return None
            return dict(found[0]) if found else None

        return self._once("named_snapshot", describe) if self.spec.snapshot_name else None

    def manual_snapshot(self) -> dict[str, Any] | None:
        """The lab's manual snapshot: the spec's by name when it was taken of the lab's replication group or one of
        its member clusters, else (no name in the spec) the newest manual snapshot of the group; None if none."""

        def describe() -> dict[str, Any] | None:
            group = self.replication_group()
            if group is None:
                return None
            if self.spec.snapshot_name:
                named = self.named_snapshot()
                members = ev.member_cluster_ids(group)
                return named if named and ev.snapshot_of_group(named, self.spec.replication_group, members) else None
            paginator = self.elasticache.get_paginator("describe_snapshots")
            snapshots = [
                s
                for page in paginator.paginate(ReplicationGroupId=self.spec.replication_group, SnapshotSource="manual")
                for s in page.get("Snapshots") or []
            ]
            available = [s for s in snapshots if s.get("SnapshotStatus") == "available"]
            return dict((available or snapshots)[0]) if snapshots else None

        return self._once("manual_snapshot", describe)

    def foreign_snapshot_note(self) -> str:
        """`; snapshot X exists but was taken of replication group Y` when the spec's snapshot belongs elsewhere."""
        named = self.named_snapshot() if self.manual_snapshot() is None else None
        if named is None:
            return ""
        return (
            f"; snapshot {named.get('SnapshotName')} exists but was taken of {ev.snapshot_owner(named)}, not of "
            f"{self.spec.replication_group}"
        )


def for_run(config: pytest.Config, aws: AwsClients, lab: LabSpec) -> Lookups:
    """The run's shared lookups (one per grading run, whatever the number of checks and sections using them)."""
    lookups = config.stash.get(_RUN_KEY, None)
    if lookups is None:
        lookups = Lookups(aws, lab)
        config.stash[_RUN_KEY] = lookups
    return lookups
