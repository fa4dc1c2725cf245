"""The cache-aside harness's scratch items follow the table's real key schema (whatever its key names, types and
count), are removed and read back, and never survive: checked on the sandbox for each key schema a student may
have made, directly and through a grading run of the cache-aside checks with the reference module."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from labgrader import paths
from labgrader.cacheaside.harness import CacheAsideHarness
from labgrader.engine.scratch import SCRATCH_PREFIX, Scratch
from labgrader.engine.verdict import CheckFailed, CouldNotLook
from labgrader.spec import LabSpec
from tests.checks.cache_aside.graded import CACHE_ASIDE
from tests.conftest import replace_section, unique

pytestmark = pytest.mark.sandbox

LATENCY_CHECK = "latency_redis_faster_than_dynamodb"
REFERENCE = paths.fixtures_dir() / "solutions" / "reference_cache_aside.py"
SCHEMAS = {
    "lab": [("category", "S", "HASH"), ("sku", "S", "RANGE")],
    "partition-key-only": [("category", "S", "HASH")],
    "swapped": [("sku", "S", "HASH"), ("category", "S", "RANGE")],
    "sku-only": [("sku", "S", "HASH")],
    "other-names": [("id", "S", "HASH"), ("n", "N", "RANGE")],
    "numeric-sort-key-named-like-the-lab-s": [("category", "S", "HASH"), ("sku", "N", "RANGE")],
    "numeric-partition-key": [("category", "N", "HASH"), ("sku", "S", "RANGE")],
}


@pytest.fixture
def ddb(clients: Any) -> Any:
    return clients.client("dynamodb")


@pytest.fixture
def table_of(ddb: Any, solved: LabSpec) -> Iterator[Callable[[str], LabSpec]]:
    """table_of(schema) → the week-8 spec naming a new empty table keyed that way (deleted at teardown)."""
    names: list[str] = []

    def make(schema: str) -> LabSpec:
        name = unique("CA")
        keys = SCHEMAS[schema]
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t, _role in keys],
            KeySchema=[{"AttributeName": n, "KeyType": role} for n, _t, role in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        names.append(name)
        return replace_section(solved, "dynamodb", table=name)

    yield make
    for name in names:
        with contextlib.suppress(ddb.exceptions.ResourceNotFoundException):
            ddb.delete_table(TableName=name)


def scratch_left(ddb: Any, table: str) -> list[dict[str, Any]]:
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return [i for i in items if any(str(v.get("S", "")).startswith(SCRATCH_PREFIX) for v in i.values())]


def harness(spec: LabSpec, ddb: Any, local_target: Any) -> CacheAsideHarness:
    nothing: Any = None
    return CacheAsideHarness(
        lab=spec,
        target=local_target,
        solution=None,
        runner=nothing,
        dynamodb=ddb,
        redis=nothing,
        redis_url="redis://127.0.0.1:1/0",
        scratch=Scratch(),
    )


@pytest.mark.parametrize("schema", ["lab", "partition-key-only", "swapped", "sku-only", "other-names"])
def test_scratch_items_are_keyed_like_the_table_and_removed(schema, table_of, ddb, local_target):
    spec = table_of(schema)
    graded = harness(spec, ddb, local_target)
    written = [graded.put_scratch_item(purpose) for purpose in ("MISS", "HIT")]
    for category, sku, item in written:
        assert graded.read_item(category, sku) == item  # each purpose its own item, found by the table's key
    assert len(scratch_left(ddb, spec.dynamodb.table)) == 2
    partition = SCHEMAS[schema][0][0]
    for stored in ddb.scan(TableName=spec.dynamodb.table)["Items"]:
        assert stored[partition]["S"].startswith(SCRATCH_PREFIX)  # the real partition value: the reserved prefix
    missing_category, missing_sku = graded.scratch_key("MISSING")
    assert graded.read_item(missing_category, missing_sku) is None
    graded.cleanup()
    assert scratch_left(ddb, spec.dynamodb.table) == []


@pytest.mark.parametrize("schema", ["numeric-sort-key-named-like-the-lab-s", "numeric-partition-key"])
def test_a_table_that_cannot_hold_the_contract_fails_naming_the_prerequisite(schema, table_of, ddb, local_target):
    spec = table_of(schema)
    graded = harness(spec, ddb, local_target)
    with pytest.raises(CheckFailed, match=r"\(prerequisite: dynamodb_table_keys_match\)"):
        graded.put_scratch_item("MISS")
    graded.cleanup()
    assert ddb.scan(TableName=spec.dynamodb.table)["Count"] == 0


def test_an_item_that_stays_is_reported_with_its_delete_command(table_of, ddb, local_target):
    spec = table_of("partition-key-only")

    class IgnoresDeletes:
        def __getattr__(self, name: str) -> Any:
            return (lambda **_kwargs: {}) if name == "delete_item" else getattr(ddb, name)

    graded = harness(spec, IgnoresDeletes(), local_target)
    graded.put_scratch_item("MISS")
    command = f"aws dynamodb delete-item --table-name {spec.dynamodb.table}"
    with pytest.raises(CouldNotLook, match=rf"remove it with: .*{command}"):
        graded.cleanup()
    assert len(scratch_left(ddb, spec.dynamodb.table)) == 1
    leftover = scratch_left(ddb, spec.dynamodb.table)[0]
    ddb.delete_item(TableName=spec.dynamodb.table, Key={"category": leftover["category"]})


@pytest.mark.parametrize("schema", ["partition-key-only", "swapped", "numeric-sort-key-named-like-the-lab-s"])
def test_no_scratch_item_survives_a_grading_run(schema, table_of, ddb, local_target, grade):
    spec = replace_section(table_of(schema), "latency", rounds=40)
    run = grade(spec, local_target, only={*CACHE_ASIDE, LATENCY_CHECK}, solution=REFERENCE)
    assert scratch_left(ddb, spec.dynamodb.table) == []
    latency = run.get(LATENCY_CHECK)  # its GetItem uses the table's real key (a ratio under load may fail)
    assert latency.status in ("pass", "fail"), latency.message
    assert "Cleaning up" not in latency.message
    for check in CACHE_ASIDE:
        assert "Cleaning up" not in run.get(check).message, run.get(check).message
    if schema == "swapped":  # the reference module's Key={category, sku} addresses a swapped table too
        assert {run.get(check).status for check in CACHE_ASIDE} == {"pass"}
    if schema == "numeric-sort-key-named-like-the-lab-s":  # nothing written: the contract's sku is a String
        assert all("prerequisite: dynamodb_table_keys_match" in run.get(c).message for c in CACHE_ASIDE)
