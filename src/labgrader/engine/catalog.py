"""The check catalog of SPEC §2: stable IDs, the lab section each belongs to, its phase, advisory or required.

This is the contract (users, CI and reports depend on the IDs); points, objective text and hints live next to each
check function in `checks/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Section = Literal["dynamodb", "elasticache", "redis", "cache_aside", "latency", "cleanup"]
Phase = Literal["grade", "cleanup"]

SECTION_TITLES: dict[str, str] = {
    "dynamodb": "DynamoDB",
    "elasticache": "ElastiCache",
    "redis": "Redis",
    "cache_aside": "Cache-aside",
    "latency": "Latency",
    "cleanup": "Cleanup",
}


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    section: Section
    advisory: bool = False

    @property
    def phase(self) -> Phase:
        return "cleanup" if self.section == "cleanup" else "grade"


def _entries(section: Section, ids: str, advisory: frozenset[str] = frozenset()) -> list[CatalogEntry]:
    return [CatalogEntry(i, section, i in advisory) for i in ids.split()]


CATALOG: tuple[CatalogEntry, ...] = tuple(
    _entries(
        "dynamodb",
        """dynamodb_table_exists dynamodb_table_keys_match dynamodb_gsi_configured dynamodb_lsi_configured
        dynamodb_capacity_mode_valid dynamodb_ttl_enabled dynamodb_stream_enabled dynamodb_pitr_enabled
        dynamodb_dataset_imported dynamodb_items_well_formed dynamodb_exercise_state dynamodb_crud_roundtrip
        dynamodb_condition_expression_enforced dynamodb_query_by_key dynamodb_query_gsi
        dynamodb_scan_filter_projection dynamodb_stream_records""",
        frozenset({"dynamodb_pitr_enabled"}),
    )
    + _entries(
        "elasticache",
        """elasticache_replication_group_available elasticache_replicas_present
        elasticache_automatic_failover_enabled elasticache_multi_az_enabled elasticache_cluster_mode_matches
        elasticache_subnet_group_multi_az elasticache_security_group_restricted
        elasticache_parameter_group_eviction_policy elasticache_snapshot_present elasticache_encryption_enabled""",
        frozenset({"elasticache_encryption_enabled"}),
    )
    + _entries(
        "redis",
        """redis_reachable redis_exercise_state redis_string_ops redis_expiry_semantics redis_replication_healthy
        redis_persistence_configured redis_eviction_policy redis_failover_recovers""",
    )
    + _entries(
        "cache_aside",
        """cache_aside_miss_populates cache_aside_hit_skips_db cache_aside_ttl_set cache_aside_write_invalidates
        cache_aside_missing_item cache_aside_redis_down_fallback cache_aside_value_fidelity""",
    )
    + _entries("latency", "latency_redis_faster_than_dynamodb latency_cache_hit_faster_than_miss")
    + _entries(
        "cleanup",
        """cleanup_dynamodb_tables_deleted cleanup_elasticache_deleted cleanup_elasticache_snapshots_deleted
        cleanup_elasticache_groups_deleted cleanup_security_groups_deleted cleanup_no_billable_leftovers""",
    )
)

BY_ID: dict[str, CatalogEntry] = {entry.id: entry for entry in CATALOG}


def ids_for_phase(phase: Phase) -> list[str]:
    return [entry.id for entry in CATALOG if entry.phase == phase]


# A check that fails only because another objective is not met says so in its message, "(prerequisite: <check ID>)".
_PREREQUISITE = re.compile(r"prerequisite:\s*([a-z0-9_]+)")


def prerequisite_named(message: str) -> str | None:
    """The catalog ID a fail message names as its prerequisite ("… (prerequisite: dynamodb_table_exists)."), if any."""
    for match in _PREREQUISITE.finditer(message):
        if match.group(1) in BY_ID:
            return match.group(1)
    return None
