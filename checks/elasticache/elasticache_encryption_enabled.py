from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed, require_group
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_encryption_enabled",
    points=0,
    objective="Advisory: the replication group encrypts data at rest and in transit (TLS).",
    hint=Hint(
        (
            "aws elasticache modify-replication-group --replication-group-id {lab.elasticache.replication_group} "
            "--transit-encryption-enabled --transit-encryption-mode preferred --apply-immediately",
        ),
        "At-rest encryption is chosen at creation (--at-rest-encryption-enabled); TLS can be turned on later.",
    ),
    requires=("elasticache",),
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def elasticache_encryption_enabled(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    group = require_group(elasticache_lookups, target.region, "encryption settings")
    observed = {
        "AtRestEncryptionEnabled": bool(group.get("AtRestEncryptionEnabled")),
        "TransitEncryptionEnabled": bool(group.get("TransitEncryptionEnabled")),
    }
    gaps = ev.encryption_gaps(group)
    if gaps:
        at_rest_off = not observed["AtRestEncryptionEnabled"]
        fail(
            f"ElastiCache replication group {spec.replication_group}: {' and '.join(gaps)}; advised: both on.",
            call="elasticache.describe_replication_groups",
            observed=observed,
            expected="both enabled",
            hint=(
                hints.recreate_replication_group_hint(elasticache_lookups, "At-rest encryption is chosen at creation")
                if at_rest_off
                else Hint(
                    tuple(
                        hints.modify_group_commands(
                            spec.replication_group,
                            "--transit-encryption-enabled",
                            "--transit-encryption-mode preferred",
                        )
                    ),
                    "Clients must then connect with TLS (rediss://).",
                )
            ),
        )
    return passed(
        f"ElastiCache replication group {spec.replication_group} encrypts data at rest and in transit.",
        call="elasticache.describe_replication_groups",
        observed=observed,
        expected="both enabled",
    )
