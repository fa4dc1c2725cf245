"""Cost estimates per leftover (pure: crafted leftovers, the shipped price table)."""

from __future__ import annotations

import pytest

from labgrader.cleanup import pricing
from labgrader.cleanup.costs import estimate
from labgrader.cleanup.model import Inventory, Leftover
from labgrader.cleanup.pricing import GIB


def priced(*items: Leftover) -> list[Leftover]:
    inventory = Inventory("week8", ("lab", "week8"), ("us-east-1",), leftovers=list(items))
    estimate(inventory, pricing.load())
    return inventory.leftovers


def group(name: str = "lab-redis", state: str = "available", **details) -> Leftover:
    details = {"node_type": "cache.t4g.micro", "nodes": 2, "engine": "redis", **details}
    return Leftover("elasticache_replication_group", name, "us-east-1", state, "tagged", details=details)


def snapshot(source: str = "lab-redis", **details) -> Leftover:
    details = {"size_bytes": None, "node_type": "cache.t4g.micro", "node_groups": 1, "source": source, **details}
    return Leftover("elasticache_snapshot", "lab-redis-snap", "us-east-1", "available", "tagged", details=details)


def table(**details) -> Leftover:
    details = {"billing_mode": "PAY_PER_REQUEST", "rcu": 0, "wcu": 0, "size_bytes": 0, "pitr": False, **details}
    return Leftover("dynamodb_table", "LabProducts", "us-east-1", "ACTIVE", "tagged", details=details)


def test_a_replication_group_costs_its_nodes():
    (cost,) = [item.cost for item in priced(group())]
    assert cost.hourly == pytest.approx(0.032)
    assert cost.monthly == pytest.approx(0.032 * 730)
    assert cost.basis == "2 x cache.t4g.micro at $0.016/h"


def test_valkey_nodes_are_cheaper():
    (cost,) = [item.cost for item in priced(group(engine="valkey"))]
    assert cost.hourly == pytest.approx(0.032 * 0.8)
    assert "(Valkey)" in cost.basis


def test_an_unknown_node_type_is_an_unknown_price_never_zero():
    (item,) = priced(group(node_type="cache.r7g.xlarge"))
    assert item.cost.hourly is None
    assert item.cost.monthly is None
    assert item.bills
    assert "unknown price" in item.cost.basis


def test_a_snapshot_is_free_while_its_cluster_runs_and_billed_once_it_is_gone():
    with_group = priced(group(), snapshot())
    assert with_group[1].cost.monthly == 0
    assert with_group[1].cost.basis == "free while lab-redis runs (one snapshot per live cluster)"
    (alone,) = priced(snapshot())
    assert alone.cost.monthly == pytest.approx(0.5 * 0.085)
    assert "size not reported: at most 0.5 GB" in alone.cost.basis
    (deleting_source,) = [i for i in priced(group(state="deleting"), snapshot()) if i.kind == "elasticache_snapshot"]
    assert deleting_source.cost.monthly == pytest.approx(0.5 * 0.085)


def test_a_snapshot_of_reported_size_costs_its_size():
    (item,) = priced(snapshot(size_bytes=2 * GIB))
    assert item.cost.monthly == pytest.approx(2 * 0.085)


def test_a_small_provisioned_table_is_within_the_free_tier_and_a_big_one_is_not():
    (small,) = priced(table(billing_mode="PROVISIONED", rcu=5, wcu=5))
    assert small.cost.monthly == 0
    assert "within the free 25 RCU/25 WCU" in small.cost.basis
    (big,) = priced(table(billing_mode="PROVISIONED", rcu=35, wcu=25))
    assert big.cost.hourly == pytest.approx(10 * 0.00013)


def test_the_free_tier_is_shared_by_the_tables_of_a_region():
    first, second = priced(table(billing_mode="PROVISIONED", rcu=20, wcu=1), table(billing_mode="PROVISIONED", rcu=20))
    assert first.cost.monthly == 0
    assert second.cost.hourly == pytest.approx(15 * 0.00013)


def test_point_in_time_recovery_and_backups_bill_their_storage():
    (with_pitr,) = priced(table(size_bytes=GIB, pitr=True))
    assert with_pitr.cost.monthly == pytest.approx(0.20)
    backup = Leftover("dynamodb_backup", "arn:bak", "us-east-1", "AVAILABLE", "backup", details={"size_bytes": GIB})
    (item,) = priced(backup)
    assert item.cost.monthly == pytest.approx(0.10)


def test_groups_cost_nothing_and_other_regions_say_whose_prices_they_use():
    subnet = Leftover("elasticache_subnet_group", "lab-redis-subnets", "us-east-1", "available", "tagged")
    far = Leftover(
        "elasticache_replication_group",
        "lab-redis",
        "eu-west-1",
        "available",
        "tagged",
        details={"node_type": "cache.t3.micro", "nodes": 1},
    )
    free, priced_far = priced(subnet, far)
    assert free.cost.monthly == 0
    assert not free.bills
    assert priced_far.cost.basis.endswith("us-east-1 prices, eu-west-1 may differ")
