"""labgrader.dataset helpers the DynamoDB checks use (the dataset's own facts: tests/unit/test_dataset.py)."""

from __future__ import annotations

from decimal import Decimal

from labgrader import paths
from labgrader.dataset import (
    exercise_keys,
    expected_table,
    file_keys,
    file_tables,
    files_holding,
    key_attribute_values,
    spec_key,
)
from labgrader.spec import load_spec

SPEC = load_spec(paths.default_lab_spec()).dynamodb
BATCH = paths.fixtures_dir() / "data" / "batch"


def test_exercise_keys_are_the_updated_and_deleted_items():
    assert exercise_keys(SPEC) == {("books", "BK-0007"), ("games", "GM-0013")}


def test_spec_keys_take_the_python_form_of_the_table():
    assert spec_key({"category": "books", "sku": "BK-0007"}, SPEC) in expected_table(SPEC)
    assert key_attribute_values(("books", "BK-0007"), SPEC) == {"category": {"S": "books"}, "sku": {"S": "BK-0007"}}


def test_files_holding_finds_the_files_of_missing_keys():
    assert [p.name for p in files_holding(SPEC, {("tools", "TL-0003"), ("books", "BK-0001")})] == [
        "books.json",
        "tools.json",
    ]
    assert files_holding(SPEC, {("nope", "X")}) == []


def test_file_tables_and_keys():
    assert file_tables(BATCH / "music.json") == ["LabProducts"]
    assert len(file_keys(SPEC, BATCH / "music.json")) == 25


def test_expected_table_prices_are_decimals():
    assert expected_table(SPEC)[("books", "BK-0007")]["price"] == Decimal("24.99")
