from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckPending
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, cli_output
from tests.conftest import load_check, replace_section

CHECK = "elasticache_snapshot_present"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "keeps automatic snapshots for 1 day(s)" in result.message


def test_fails_without_retention_or_manual_snapshot(local_target, grade, lab_setup, run_hint):
    built = lab_setup(retention=0)
    name = built.spec.elasticache.replication_group
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == (
        f"ElastiCache replication group {name} keeps automatic snapshots for 0 day(s) and no manual snapshot "
        f"{built.spec.elasticache.snapshot_name} of it exists; expected SnapshotRetentionLimit >= 1 or a manual "
        "snapshot available."
    )
    assert result.hint.startswith(
        f"aws elasticache modify-replication-group --replication-group-id {name} --snapshot-retention-limit 1"
    )
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_a_manual_snapshot_is_enough(local_target, grade, lab_setup):
    built = lab_setup(retention=0, snapshot=True)
    result = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert f"Manual snapshot {built.spec.elasticache.snapshot_name}" in result.message


def test_a_snapshot_being_created_is_pending(solved):
    # The documented describe-snapshots answer, its "my-cluster" snapshot caught while still being taken.
    spec = replace_section(
        solved, "elasticache", replication_group="my-cluster", snapshot_name="my-cluster", min_snapshot_retention_days=1
    )
    snapshots = cli_output("elasticache", "describe-snapshots")["Snapshots"]
    snapshot = next(s for s in snapshots if s["SnapshotName"] == "my-cluster")
    snapshot["SnapshotStatus"] = "creating"  # the one field changed
    clients = StubbedClients()
    groups = cli_output("elasticache", "describe-replication-groups")  # SnapshotRetentionLimit 0 as documented
    clients.add("elasticache", "describe_replication_groups", groups, {"ReplicationGroupId": "my-cluster"})
    clients.add("elasticache", "describe_snapshots", {"Snapshots": [snapshot]}, {"SnapshotName": "my-cluster"})
    with clients.active(), pytest.raises(CheckPending, match="my-cluster of my-cluster is still creating"):
        load_check(CHECK)(elasticache_lookups=Lookups(clients, spec), target=AWS_TARGET)


def test_fails_when_the_group_is_missing(solved, local_target, grade):
    """The prerequisite's hint (create_replication_group_hint) is run as printed by
    test_elasticache_replication_group_available.py; not run again here."""
    spec = replace_section(solved, "elasticache", replication_group="no-such-group-snap")
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "prerequisite: elasticache_replication_group_available" in result.message


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
