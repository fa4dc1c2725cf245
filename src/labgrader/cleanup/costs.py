"""What each leftover costs, per hour and per month, from the shipped price table (an estimate, never a bill).

- Replication group / cache cluster: its nodes x the node type's hourly price (Valkey at the table's discount).
- Manual snapshot: GB x snapshot storage price; AWS gives one snapshot per live cluster free. When the size is not
  reported (moto never does), the node memory bounds it and the basis says so.
- DynamoDB table: provisioned RCU/WCU (table + GSIs) and storage beyond the per-region free tier, plus PITR storage;
  on-demand idle tables cost storage only. Backups: GB x backup storage price.
- Subnet, parameter and security groups cost nothing.
A price the table lacks is `unknown price` (Cost.monthly None), never 0.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from labgrader.cleanup.model import FREE, Cost, Inventory, Leftover
from labgrader.cleanup.pricing import GIB, PriceTable


def _money(value: float) -> str:
    return f"${value:.4f}".rstrip("0").rstrip(".") if value < 0.01 else f"${value:.3f}"


class _FreeTier:
    """DynamoDB's always-free allowance of one region, shared by the lab's tables in it."""

    def __init__(self, prices: PriceTable) -> None:
        self.left = {
            "rcu": prices.dynamodb("free_rcu") or 0.0,
            "wcu": prices.dynamodb("free_wcu") or 0.0,
            "gb": prices.dynamodb("free_storage_gb") or 0.0,
        }

    def charge(self, what: str, amount: float) -> float:
        """The part of `amount` beyond what is left of the allowance."""
        covered = min(amount, self.left[what])
        self.left[what] -= covered
        return amount - covered


def _nodes(item: Leftover, prices: PriceTable) -> Cost:
    node_type = str(item.details.get("node_type") or "?")
    nodes = int(item.details.get("nodes") or 0)
    engine = str(item.details.get("engine") or "redis")
    price = prices.node_hourly(node_type, engine)
    if price is None:
        return Cost(None, None, f"{nodes} x {node_type}: unknown price (not in the price table)")
    if nodes == 0:
        return Cost(0.0, 0.0, "no nodes left")
    hourly = nodes * price
    valkey = " (Valkey)" if engine.lower() == "valkey" else ""
    return Cost(hourly, hourly * prices.hours_per_month, f"{nodes} x {node_type}{valkey} at {_money(price)}/h")


def _snapshot(item: Leftover, prices: PriceTable, free_for: set[tuple[str, str]]) -> Cost:
    price = prices.snapshot_gb_month
    source = str(item.details.get("source") or "")
    if source and (item.region, source) in free_for:
        free_for.discard((item.region, source))  # one snapshot per live cluster is free
        return Cost(0.0, 0.0, f"free while {source} runs (one snapshot per live cluster)")
    if price is None:
        return Cost(None, None, "snapshot storage: unknown price")
    size = item.details.get("size_bytes")
    if size is not None:
        gb = float(size) / GIB
        basis = f"{gb:.3g} GB at {_money(price)}/GB-month"
    else:
        node_type = str(item.details.get("node_type") or "?")
        memory = prices.node_memory_gib(node_type)
        if memory is None:
            return Cost(None, None, f"size not reported and {node_type} memory unknown: unknown price")
        gb = memory * int(item.details.get("node_groups") or 1)
        basis = f"size not reported: at most {gb:g} GB ({node_type} memory) at {_money(price)}/GB-month"
    monthly = gb * price
    return Cost(monthly / prices.hours_per_month, monthly, basis)


def _table(item: Leftover, prices: PriceTable, free: _FreeTier) -> Cost:
    parts: list[str] = []
    hourly = 0.0
    monthly_storage = 0.0
    if item.details.get("billing_mode") == "PROVISIONED":
        rcu_price, wcu_price = prices.dynamodb("rcu_hourly"), prices.dynamodb("wcu_hourly")
        if rcu_price is None or wcu_price is None:
            return Cost(None, None, "provisioned capacity: unknown price")
        rcu, wcu = float(item.details.get("rcu") or 0), float(item.details.get("wcu") or 0)
        billed_rcu, billed_wcu = free.charge("rcu", rcu), free.charge("wcu", wcu)
        hourly += billed_rcu * rcu_price + billed_wcu * wcu_price
        within = " (within the free 25 RCU/25 WCU)" if billed_rcu == billed_wcu == 0 else ""
        parts.append(f"{rcu:g} RCU + {wcu:g} WCU provisioned{within}")
    else:
        parts.append("on-demand: idle costs storage only")
    storage_price = prices.dynamodb("storage_gb_month")
    gb = float(item.details.get("size_bytes") or 0) / GIB
    billed_gb = free.charge("gb", gb)
    if billed_gb > 0:
        if storage_price is None:
            return Cost(None, None, "table storage: unknown price")
        monthly_storage += billed_gb * storage_price
        parts.append(f"{billed_gb:.3g} GB storage beyond the free 25 GB")
    if item.details.get("pitr"):
        pitr_price = prices.dynamodb("pitr_gb_month")
        if pitr_price is None:
            return Cost(None, None, "point-in-time recovery: unknown price")
        monthly_storage += gb * pitr_price
        parts.append(f"PITR on {gb:.3g} GB at {_money(pitr_price)}/GB-month")
    monthly = hourly * prices.hours_per_month + monthly_storage
    return Cost(monthly / prices.hours_per_month, monthly, "; ".join(parts))


def _backup(item: Leftover, prices: PriceTable) -> Cost:
    price = prices.dynamodb("backup_gb_month")
    if price is None:
        return Cost(None, None, "backup storage: unknown price")
    gb = float(item.details.get("size_bytes") or 0) / GIB
    monthly = gb * price
    return Cost(monthly / prices.hours_per_month, monthly, f"{gb:.3g} GB at {_money(price)}/GB-month")


def estimate(inventory: Inventory, prices: PriceTable) -> None:
    """Set `cost` on every leftover of `inventory` (in place)."""
    free_tiers: dict[str, _FreeTier] = defaultdict(lambda: _FreeTier(prices))
    # Sources (replication groups, clusters) still running: each covers one snapshot of its own.
    live = {
        (item.region, item.name)
        for item in inventory.leftovers
        if item.kind in ("elasticache_replication_group", "elasticache_cache_cluster") and not item.pending
    }
    priced = []
    for item in inventory.leftovers:
        if item.kind in ("elasticache_replication_group", "elasticache_cache_cluster"):
            cost = _nodes(item, prices)
        elif item.kind == "elasticache_snapshot":
            cost = _snapshot(item, prices, live)
        elif item.kind == "dynamodb_table":
            cost = _table(item, prices, free_tiers[item.region])
        elif item.kind == "dynamodb_backup":
            cost = _backup(item, prices)
        else:
            cost = FREE
        if item.region != prices.region and cost is not FREE:
            cost = dataclasses.replace(cost, basis=f"{cost.basis}; {prices.region} prices, {item.region} may differ")
        priced.append(dataclasses.replace(item, cost=cost))
    inventory.leftovers[:] = priced
