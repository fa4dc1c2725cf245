"""What the cleanup phase talks about: a leftover of the lab, its cost, the inventory of one run, a delete step."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# The kinds of leftover, in the order of deletion (lab-facts: replication group → snapshots → subnet group →
# parameter group → security groups; then the table and its backups, which depend on nothing else).
Kind = Literal[
    "elasticache_replication_group",
    "elasticache_cache_cluster",
    "elasticache_snapshot",
    "elasticache_subnet_group",
    "elasticache_parameter_group",
    "ec2_security_group",
    "dynamodb_table",
    "dynamodb_backup",
]
DELETE_ORDER: tuple[Kind, ...] = get_args(Kind)

# Where the inventory looks, one part per family of API calls: a part that could not be listed makes the checks
# depending on it `error` (never a false "clean").
Part = Literal["dynamodb", "elasticache", "snapshots", "groups", "security_groups"]
PARTS: tuple[Part, ...] = get_args(Part)

KIND_LABELS: dict[Kind, str] = {
    "dynamodb_table": "DynamoDB table",
    "dynamodb_backup": "DynamoDB backup",
    "elasticache_replication_group": "ElastiCache replication group",
    "elasticache_cache_cluster": "ElastiCache cache cluster",
    "elasticache_snapshot": "ElastiCache snapshot",
    "elasticache_subnet_group": "ElastiCache subnet group",
    "elasticache_parameter_group": "ElastiCache parameter group",
    "ec2_security_group": "EC2 security group",
}

KIND_PART: dict[Kind, Part] = {
    "dynamodb_table": "dynamodb",
    "dynamodb_backup": "dynamodb",
    "elasticache_replication_group": "elasticache",
    "elasticache_cache_cluster": "elasticache",
    "elasticache_snapshot": "snapshots",
    "elasticache_subnet_group": "groups",
    "elasticache_parameter_group": "groups",
    "ec2_security_group": "security_groups",
}

# The catalog ID judging each kind of leftover (SPEC §2, cleanup section).
KIND_CHECK: dict[Kind, str] = {
    "dynamodb_table": "cleanup_dynamodb_tables_deleted",
    "dynamodb_backup": "cleanup_dynamodb_tables_deleted",
    "elasticache_replication_group": "cleanup_elasticache_deleted",
    "elasticache_cache_cluster": "cleanup_elasticache_deleted",
    "elasticache_snapshot": "cleanup_elasticache_snapshots_deleted",
    "elasticache_subnet_group": "cleanup_elasticache_groups_deleted",
    "elasticache_parameter_group": "cleanup_elasticache_groups_deleted",
    "ec2_security_group": "cleanup_security_groups_deleted",
}
BILLABLE_CHECK = "cleanup_no_billable_leftovers"


@dataclass(frozen=True)
class Cost:
    """An estimate from the price table: per hour and per month. None means "unknown price", never 0."""

    hourly: float | None
    monthly: float | None
    basis: str

    @property
    def unknown(self) -> bool:
        return self.monthly is None

    @property
    def bills(self) -> bool:
        """True when it costs money, or might (an unknown price is never taken for free)."""
        return self.monthly is None or self.monthly > 0

    def as_dict(self) -> dict[str, Any]:
        return {"hourly_usd": self.hourly, "monthly_usd": self.monthly, "basis": self.basis}


FREE = Cost(0.0, 0.0, "free")


@dataclass(frozen=True)
class Leftover:
    """One resource of the lab that still exists.

    `name` is what the delete call takes (table name, group ID, snapshot name, backup ARN); `label` what a person
    reads; `reason` why it belongs to the lab (a name of the spec, the lab tag, ...).
    """

    kind: Kind
    name: str
    region: str
    state: str
    reason: str
    label: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    cost: Cost | None = None
    commands: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.region, self.name)

    @property
    def pending(self) -> bool:
        """Already being deleted: AWS finishes on its own within minutes."""
        return self.state.lower() == "deleting"

    @property
    def bills(self) -> bool:
        return self.cost is not None and self.cost.bills

    @property
    def short(self) -> str:
        """`replication group lab-redis` (the kind without its service)."""
        kind = KIND_LABELS[self.kind].split(" ", 1)[1]
        return f"{kind} {self.label or self.name}"

    @property
    def title(self) -> str:
        return f"{KIND_LABELS[self.kind]} {self.label or self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "name": self.name,
            "label": self.label or self.name,
            "region": self.region,
            "state": self.state,
            "reason": self.reason,
            "details": self.details,
            "cost": self.cost.as_dict() if self.cost else None,
            "delete_commands": list(self.commands),
        }


@dataclass(frozen=True)
class PartError:
    region: str
    part: Part
    error: BaseException


@dataclass
class Inventory:
    """Everything of one lab that is still there, in the regions looked at, plus what could not be looked at."""

    lab: str
    tag: tuple[str, str]
    regions: tuple[str, ...]
    leftovers: list[Leftover] = field(default_factory=list)
    errors: list[PartError] = field(default_factory=list)
    # What this target cannot show at all (a part it does not have): stated, never faked.
    not_checked: list[str] = field(default_factory=list)
    # The names searched for, by kind (for "looked for ..." in pass messages).
    looked_for: dict[str, list[str]] = field(default_factory=dict)
    # IAM actions of the calls made (`service:Operation` → count).
    calls: Counter[str] = field(default_factory=Counter)
    duration_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_call(self, action: str) -> None:
        with self._lock:
            self.calls[action] += 1

    def for_check(self, check_id: str) -> list[Leftover]:
        if check_id == BILLABLE_CHECK:
            return list(self.leftovers)
        return [item for item in self.leftovers if KIND_CHECK[item.kind] == check_id]

    def errors_for(self, check_id: str) -> list[PartError]:
        if check_id == BILLABLE_CHECK:
            return list(self.errors)
        parts = {KIND_PART[kind] for kind, check in KIND_CHECK.items() if check == check_id}
        return [error for error in self.errors if error.part in parts]

    def total(self, items: list[Leftover] | None = None) -> tuple[float, float, list[Leftover]]:
        """Known hourly and monthly totals of `items` (default all), and the items of unknown price."""
        chosen = self.leftovers if items is None else items
        hourly = sum(i.cost.hourly or 0.0 for i in chosen if i.cost is not None)
        monthly = sum(i.cost.monthly or 0.0 for i in chosen if i.cost is not None)
        unknown = [i for i in chosen if i.cost is not None and i.cost.unknown]
        return hourly, monthly, unknown


@dataclass(frozen=True)
class Step:
    """One call of the delete plan, with the exact AWS CLI command that does the same by hand."""

    action: Literal["delete", "wait", "revoke", "unprotect"]
    region: str
    service: str
    operation: str
    params: dict[str, Any]
    command: str
    leftover: Leftover | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "region": self.region,
            "command": self.command,
            "resource": self.leftover.title if self.leftover else None,
        }
