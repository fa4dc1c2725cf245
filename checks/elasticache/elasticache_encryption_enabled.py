from __future__ import annotations

from labgrader.check import check
from labgrader.elasticache_api import Lookups, require_group
from labgrader.evaluate import elasticache as ev
from labgrader.targets import Target
from labgrader.verdict import Passed, fail, passed


@check(
    "elasticache_encryption_enabled",
    points=0,
    objective="Advisory: the replication group encrypts data at rest and in transit (TLS).",
    hint="At-rest encryption is chosen at creation (--at-rest-encryption-enabled); TLS can be turned on later: aws elasticache modify-replication-group --replication-group-id {lab.elasticache.replication_group} --transit-encryption-enabled --transit-encryption-mode preferred --apply-immediately",
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
                f"At-rest encryption is chosen at creation: {ev.create_replication_group_cli(elasticache_lookups.lab)} "
                "--at-rest-encryption-enabled --transit-encryption-enabled"
                if at_rest_off
                else ev.modify_replication_group_cli(
                    spec, "--transit-encryption-enabled", "--transit-encryption-mode preferred"
                )
            ),
        )
    return passed(
        f"ElastiCache replication group {spec.replication_group} encrypts data at rest and in transit.",
        call="elasticache.describe_replication_groups",
        observed=observed,
        expected="both enabled",
    )
