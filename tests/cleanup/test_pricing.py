"""The shipped price table: it names its region, date and sources, and never turns an unknown price into 0."""

from __future__ import annotations

import re

from labgrader.cleanup import pricing


def test_the_table_cites_its_sources_and_date():
    prices = pricing.load()
    assert prices.region == "us-east-1"
    assert re.fullmatch(r"20\d\d-\d\d", prices.as_of)
    assert prices.sources
    assert all(source.startswith("https://aws.amazon.com/") for source in prices.sources)
    assert prices.as_of in prices.citation()
    assert "https://aws.amazon.com/elasticache/pricing/" in prices.citation()


def test_it_prices_the_lab_node_types_snapshots_and_capacity():
    prices = pricing.load()
    for family in ("t3", "t4g"):
        for size in ("micro", "small", "medium"):
            assert (prices.node_hourly(f"cache.{family}.{size}") or 0) > 0
            assert (prices.node_memory_gib(f"cache.{family}.{size}") or 0) > 0
    assert prices.node_hourly("cache.t4g.micro") == 0.016  # lab-facts: 1 primary + 1 replica ≈ $23/month
    assert prices.snapshot_gb_month == 0.085
    assert prices.dynamodb("rcu_hourly") == 0.00013
    assert prices.dynamodb("wcu_hourly") == 0.00065
    assert prices.dynamodb("free_rcu") == prices.dynamodb("free_wcu") == 25


def test_valkey_nodes_cost_less_and_unknown_types_have_no_price():
    prices = pricing.load()
    redis_price = prices.node_hourly("cache.t4g.micro", "redis")
    valkey_price = prices.node_hourly("cache.t4g.micro", "valkey")
    assert redis_price is not None
    assert valkey_price is not None
    assert valkey_price < redis_price
    assert prices.node_hourly("cache.r7g.xlarge") is None
    assert prices.node_memory_gib("cache.r7g.xlarge") is None
