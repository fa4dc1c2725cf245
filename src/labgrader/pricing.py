"""The price table shipped in fixtures/prices/: estimates, never a bill. Unknown prices are None, never 0."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from labgrader import paths


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    hours_per_month: float
    raw: dict[str, Any]

    def node_hourly(self, node_type: str) -> float | None:
        price = self.raw.get("elasticache", {}).get("node_hourly", {}).get(node_type)
        return float(price) if price is not None else None


@cache
def load(path: Path | None = None) -> PriceTable:
    path = path or paths.fixtures_dir() / "prices" / "aws-us-east-1.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return PriceTable(data["region"], data["as_of"], float(data["hours_per_month"]), data)
