from __future__ import annotations

import pytest

from labgrader.cleanup.model import Cost, Inventory, Leftover
from labgrader.engine.verdict import CheckPending
from tests.conftest import load_check

CHECK = "cleanup_elasticache_snapshots_deleted"
pytestmark = pytest.mark.sandbox


def test_passes_once_the_reference_cleanup_ran(scenario):
    cleaned = scenario("cleaned")
    result = cleaned.run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert f"snapshot {cleaned.spec.elasticache.snapshot_name}" in result.message


def test_fails_when_the_snapshot_outlives_its_group(scenario, fix):
    left = scenario("snapshot")
    result = left.run.get(CHECK)
    snapshot = left.facts["snapshot"]
    assert result.status == "fail"
    expected = f"ElastiCache snapshot {snapshot} of lab {left.spec.lab.name} is still there in us-east-1 (available"
    assert result.message.startswith(expected)
    assert result.hint == f"aws elasticache delete-snapshot --snapshot-name {snapshot} --region us-east-1"
    assert fix(left, CHECK).status == "pass"


def test_fails_on_a_final_snapshot_of_the_labs_group_under_another_name(scenario, fix):
    left = scenario("final_snapshot")
    result = left.run.get(CHECK)
    assert result.status == "fail"
    assert f"snapshot {left.facts['final']} of lab" in result.message
    assert result.evidence["leftovers"][0]["reason"] == f"a snapshot of the lab's {left.facts['group']}"
    assert fix(left, CHECK).status == "pass"


def test_a_deleting_snapshot_is_pending():
    snapshot = Leftover(
        "elasticache_snapshot",
        "lab-redis-snap",
        "us-east-1",
        "deleting",
        "named in the lab spec",
        cost=Cost(0.0001, 0.04, "bound"),
    )
    inventory = Inventory("week8", ("lab", "week8"), ("us-east-1",), leftovers=[snapshot])
    with pytest.raises(CheckPending, match="snapshot lab-redis-snap in us-east-1"):
        load_check(CHECK)(cleanup_inventory=inventory)


def test_errors_when_the_endpoint_is_down(unreachable_run):
    result = unreachable_run.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
