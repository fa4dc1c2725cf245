"""The shipped dataset: deterministic, valid batch-write-item documents, and the lab's facts hold in it."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from labgrader import paths
from labgrader.dataset import expected_table, load_put_items, to_python
from labgrader.spec import load_spec

BATCH = paths.fixtures_dir() / "data" / "batch"
GENERATOR = paths.fixtures_dir() / "data" / "generate_batch.py"


def test_regenerating_gives_byte_identical_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True, capture_output=True)
    shipped = {p.name: p.read_bytes() for p in BATCH.glob("*.json")}
    regenerated = {p.name: p.read_bytes() for p in tmp_path.glob("*.json")}
    assert regenerated == shipped


def test_each_file_is_a_batch_write_item_document_of_at_most_25_puts() -> None:
    for path in sorted(BATCH.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert list(document) == ["LabProducts"]
        requests = document["LabProducts"]
        assert 1 <= len(requests) <= 25
        assert all(set(r) == {"PutRequest"} and set(r["PutRequest"]) == {"Item"} for r in requests)


def test_dataset_matches_the_lab() -> None:
    items = [to_python(i) for i in load_put_items(BATCH)]
    assert len(items) == 100
    by_category: dict[str, list[str]] = {}
    for item in items:
        by_category.setdefault(item["category"], []).append(item["sku"])
        assert {"name", "brand", "price", "rating", "stock"} <= set(item)
        assert all(isinstance(item[a], Decimal) for a in ("price", "rating", "stock"))
    prefixes = {"books": "BK", "games": "GM", "music": "MU", "tools": "TL"}
    assert {c: sorted(s) for c, s in by_category.items()} == {
        c: [f"{p}-{n:04d}" for n in range(1, 26)] for c, p in prefixes.items()
    }
    assert sum("expires_at" in i for i in items) >= 10
    assert next(i for i in items if i["sku"] == "BK-0007")["price"] != Decimal("24.99")


def test_expected_table_applies_the_exercises() -> None:
    spec = load_spec(paths.default_lab_spec()).dynamodb
    assert spec is not None
    table = expected_table(spec)
    assert len(table) == 99
    assert ("games", "GM-0013") not in table
    assert table[("books", "BK-0007")]["price"] == Decimal("24.99")
