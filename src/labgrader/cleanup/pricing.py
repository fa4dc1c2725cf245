"""The price table shipped in fixtures/prices/: estimates, never a bill. Unknown prices are None, never 0.

The table names its region, its date (`as_of`) and its sources; every estimate built from it says so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from labgrader import paths

GIB = 1024**3


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    hours_per_month: float
    raw: dict[str, Any]
    sources: tuple[str, ...] = ()
    path: str = ""

    def _number(self, section: str, key: str) -> float | None:
        value = self.raw.get(section, {}).get(key)
        return float(value) if isinstance(value, int | float) else None

    def node_hourly(self, node_type: str, engine: str | None = None) -> float | None:
        """Price of one node per hour (Valkey nodes at the table's discount), or None when the type is unknown."""
        price = self.raw.get("elasticache", {}).get("node_hourly", {}).get(node_type)
        if price is None:
            return None
        factor = self._number("elasticache", "valkey_factor") if (engine or "").lower() == "valkey" else None
        return float(price) * (factor if factor is not None else 1.0)

    def node_memory_gib(self, node_type: str) -> float | None:
        memory = self.raw.get("elasticache", {}).get("node_memory_gib", {}).get(node_type)
        return float(memory) if memory is not None else None

    @property
    def snapshot_gb_month(self) -> float | None:
        return self._number("elasticache", "snapshot_gb_month")

    def dynamodb(self, key: str) -> float | None:
        """A DynamoDB price or allowance: rcu_hourly, wcu_hourly, free_rcu, free_wcu, storage_gb_month,
        free_storage_gb, backup_gb_month, pitr_gb_month."""
        return self._number("dynamodb", key)

    def citation(self) -> str:
        """`us-east-1 on-demand list prices as of 2026-11 (https://…, https://…)`."""
        sources = f" ({', '.join(self.sources)})" if self.sources else ""
        return f"{self.region} on-demand list prices as of {self.as_of}{sources}"


@cache
def load(path: Path | None = None) -> PriceTable:
    path = path or paths.fixtures_dir() / "prices" / "aws-us-east-1.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return PriceTable(
        data["region"],
        data["as_of"],
        float(data["hours_per_month"]),
        data,
        tuple(str(source) for source in data.get("sources", ())),
        str(path),
    )
