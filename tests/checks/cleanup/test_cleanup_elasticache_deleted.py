from __future__ import annotations

import pytest

from labgrader.cleanup.model import Cost, Inventory, Leftover, PartError
from labgrader.engine.verdict import CheckFailed, CheckPending, CouldNotLook
from tests.conftest import load_check

CHECK = "cleanup_elasticache_deleted"
pytestmark = pytest.mark.sandbox


def test_passes_once_the_reference_cleanup_ran(scenario):
    cleaned = scenario("cleaned")
    result = cleaned.run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert f"replication group {cleaned.spec.elasticache.replication_group}, cache clusters" in result.message


def test_fails_when_the_replication_group_is_left(scenario, fix):
    left = scenario("replication_group")
    result = left.run.get(CHECK)
    group = left.facts["group"]
    assert result.status == "fail"
    assert result.message == (
        f"ElastiCache replication group {group} of lab {left.spec.lab.name} is still there in us-east-1 "
        "(available, ~$23.36/month); expected it deleted."
    )
    assert result.hint == f"aws elasticache delete-replication-group --replication-group-id {group} --region us-east-1"
    leftover = result.evidence["leftovers"][0]
    assert leftover["details"]["nodes"] == 2  # NumCacheClusters=2 (the sandbox's NumCacheClusters correction)
    assert leftover["cost"]["hourly_usd"] == pytest.approx(0.032)
    assert fix(left, CHECK).status == "pass"


def test_fails_when_a_kept_primary_cluster_is_left(scenario, fix):
    left = scenario("kept_primary")
    result = left.run.get(CHECK)
    cluster = left.facts["cluster"]
    assert result.status == "fail"
    assert f"cache cluster {cluster} of lab {left.spec.lab.name} is still there" in result.message
    assert result.hint == f"aws elasticache delete-cache-cluster --cache-cluster-id {cluster} --region us-east-1"
    assert result.evidence["leftovers"][0]["reason"] == (
        f"named after the lab's replication group {left.spec.elasticache.replication_group}"
    )
    assert fix(left, CHECK).status == "pass"


def test_groups_of_other_names_or_of_another_lab_are_not_reported(scenario):
    result = scenario("other_groups").run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["leftovers"] == []


def test_a_deleting_group_is_pending():
    group = Leftover(
        "elasticache_replication_group",
        "lab-redis",
        "us-east-1",
        "deleting",
        "named in the lab spec",
        cost=Cost(0.032, 23.36, "2 x cache.t4g.micro"),
    )
    inventory = Inventory("week8", ("lab", "week8"), ("us-east-1",), leftovers=[group])
    with pytest.raises(CheckPending, match=r"replication group lab-redis in us-east-1 \(deleting, ~\$23.36/month\)"):
        load_check(CHECK)(cleanup_inventory=inventory)


def test_a_leftover_seen_wins_over_a_part_that_could_not_be_listed():
    group = Leftover("elasticache_replication_group", "lab-redis", "us-east-1", "available", "tagged")
    broken = PartError("us-east-1", "elasticache", ConnectionError("refused"))
    inventory = Inventory("week8", ("lab", "week8"), ("us-east-1",), leftovers=[group], errors=[broken])
    with pytest.raises(CheckFailed, match="is still there"):
        load_check(CHECK)(cleanup_inventory=inventory)
    inventory.leftovers.clear()
    with pytest.raises(CouldNotLook, match="Listing ElastiCache replication groups and clusters in us-east-1: "):
        load_check(CHECK)(cleanup_inventory=inventory)  # `error`, never a clean pass


def test_errors_when_the_endpoint_is_down(unreachable_run):
    result = unreachable_run.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
