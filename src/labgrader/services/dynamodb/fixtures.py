"""The fixtures of the DynamoDB checks (registered by the grading session).

One look per resource per run, whatever the number of checks using it: DescribeTable, DescribeTimeToLive,
DescribeContinuousBackups, DescribeStream and one consistent Scan of the items are session fixtures. A fixture
whose table does not exist returns None; the check then fails naming the prerequisite (`table`, `existing_table`,
`writable_table`).

Grading is independent (README, "One mistake, one penalty"): a check fails on a prerequisite only when it cannot
be judged without it. The data checks judge the table as it is, whatever its key schema: items are identified by
the lab's key attributes (every dataset item carries them), queries use the table's real keys, scratch items follow
the table's real key schema. Only a missing or deleting table, or a partition key the grader cannot write its
reserved String prefix under, stops them.

Fixtures named after a part of the spec (`ttl_spec`, `dataset_spec`, ...) report `skip` when the lab leaves that
part out; checks list them first, so a lab without TTL skips the TTL check before anything is looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import botocore.exceptions
import pytest

from labgrader.dataset import Key, expected_table
from labgrader.engine.scratch import SCRATCH_PREFIX, Scratch
from labgrader.engine.state import run_state
from labgrader.engine.verdict import Hint, fail, not_applicable, pending
from labgrader.services.dynamodb.evaluation import (
    NOT_FOUND_CODES,
    TableAsItIs,
    actual_keys,
    describe_key,
    table_as_it_is,
)
from labgrader.services.dynamodb.hints import create_table_hint, import_dataset_hint, recreate_table_hint
from labgrader.services.dynamodb.lookups import describe_stream
from labgrader.services.dynamodb.scratch import ScratchItems, ScratchRegistry, without_scratch
from labgrader.spec import DatasetSpec, DynamoDBSpec, ExercisesSpec, LabSpec, SecondaryIndex, StreamSpec, TtlSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients

# A lab table is small (100 items); a Scan beyond this many items is not a lab table, and the checks say so.
MAX_SCANNED_ITEMS = 20_000


def _described(call: Callable[[], dict[str, Any]], key: str) -> dict[str, Any] | None:
    """`call()[key]`, or None when the table went away meanwhile."""
    try:
        description: dict[str, Any] = call()[key]
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in NOT_FOUND_CODES:
            return None
        raise
    return description


# --- the spec ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ddb(lab: LabSpec) -> DynamoDBSpec:
    """The lab's [dynamodb] section (the plugin skips DynamoDB checks of labs without one)."""
    assert lab.dynamodb is not None
    return lab.dynamodb


@pytest.fixture(scope="session")
def gsi_specs(ddb: DynamoDBSpec) -> list[SecondaryIndex]:
    if not ddb.gsi:
        not_applicable("the lab spec sets no dynamodb.gsi")
    return list(ddb.gsi)


@pytest.fixture(scope="session")
def lsi_specs(ddb: DynamoDBSpec) -> list[SecondaryIndex]:
    if not ddb.lsi:
        not_applicable("the lab spec sets no dynamodb.lsi")
    return list(ddb.lsi)


@pytest.fixture(scope="session")
def ttl_spec(ddb: DynamoDBSpec) -> TtlSpec:
    if ddb.ttl is None:
        not_applicable("the lab spec sets no dynamodb.ttl")
    return ddb.ttl


@pytest.fixture(scope="session")
def stream_spec(ddb: DynamoDBSpec) -> StreamSpec:
    if ddb.stream is None:
        not_applicable("the lab spec sets no dynamodb.stream")
    return ddb.stream


@pytest.fixture(scope="session")
def dataset_spec(ddb: DynamoDBSpec) -> DatasetSpec:
    if ddb.dataset is None:
        not_applicable("the lab spec sets no dynamodb.dataset")
    return ddb.dataset


@pytest.fixture(scope="session")
def exercises_spec(ddb: DynamoDBSpec) -> ExercisesSpec:
    if ddb.exercises is None or not (ddb.exercises.updated or ddb.exercises.deleted):
        not_applicable("the lab spec sets no dynamodb.exercises")
    return ddb.exercises


@pytest.fixture(scope="session")
def pitr_expected(ddb: DynamoDBSpec) -> bool:
    if not ddb.pitr:
        not_applicable("the lab spec does not ask for point-in-time recovery (dynamodb.pitr = false)")
    return True


@pytest.fixture(scope="session")
def expected_items(ddb: DynamoDBSpec) -> dict[Key, dict[str, Any]]:
    """The table the lab expects after the dataset import and the exercises (Python form), from the shipped files."""
    return expected_table(ddb)


# --- one look per resource --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def table_description(dynamodb: Any, ddb: DynamoDBSpec) -> dict[str, Any] | None:
    """DescribeTable of the lab's table, or None when it does not exist."""
    try:
        table: dict[str, Any] = dynamodb.describe_table(TableName=ddb.table)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
    return table


@pytest.fixture(scope="session")
def ttl_description(
    dynamodb: Any, ddb: DynamoDBSpec, table_description: dict[str, Any] | None
) -> dict[str, Any] | None:
    """DescribeTimeToLive → TimeToLiveDescription ({"TimeToLiveStatus": ..., "AttributeName": ...})."""
    if table_description is None:
        return None
    return _described(lambda: dynamodb.describe_time_to_live(TableName=ddb.table), "TimeToLiveDescription")


@pytest.fixture(scope="session")
def continuous_backups(
    dynamodb: Any, ddb: DynamoDBSpec, table_description: dict[str, Any] | None
) -> dict[str, Any] | None:
    """DescribeContinuousBackups → ContinuousBackupsDescription."""
    if table_description is None:
        return None
    return _described(lambda: dynamodb.describe_continuous_backups(TableName=ddb.table), "ContinuousBackupsDescription")


@pytest.fixture(scope="session")
def stream_description(
    aws: AwsClients, target: Target, table_description: dict[str, Any] | None
) -> dict[str, Any] | None:
    """DescribeStream of the table's enabled stream, or None (no table, stream off, or no Streams API here)."""
    if table_description is None or not target.provides("dynamodbstreams"):
        return None
    enabled = (table_description.get("StreamSpecification") or {}).get("StreamEnabled")
    arn = table_description.get("LatestStreamArn")
    if not enabled or not arn:
        return None
    return describe_stream(aws.client("dynamodbstreams"), arn)


@pytest.fixture(scope="session")
def table_items(
    dynamodb: Any, ddb: DynamoDBSpec, table_description: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    """Every item of the table (AttributeValue form) from one paginated, strongly consistent Scan, grader scratch
    items of any run left out; None when the table does not exist."""
    if table_description is None:
        return None
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=ddb.table, ConsistentRead=True):
        items.extend(page.get("Items", []))
        if len(items) > MAX_SCANNED_ITEMS:
            fail(
                f"DynamoDB table {ddb.table} holds more than {MAX_SCANNED_ITEMS} items; a lab table holds the "
                "lab's dataset only.",
                call="dynamodb.scan",
                observed=f"> {MAX_SCANNED_ITEMS} items",
                expected="the lab's dataset",
                hint=Hint(note="Keep only the lab's dataset in the table: delete the items you added."),
            )
    partition, _sort = actual_keys(table_description)
    return without_scratch(items, partition.name if partition else ddb.partition_key.name)


@pytest.fixture(scope="session")
def items_as_they_are(
    ddb: DynamoDBSpec, table: dict[str, Any], table_items: list[dict[str, Any]] | None
) -> TableAsItIs:
    """The table as it is, for the checks that query it: its well-formed items (the lab's key attributes and
    dataset types) by the lab's identity, the others set aside; `fail` naming dynamodb_dataset_imported when the
    table holds none (nothing to query)."""
    found = table_as_it_is(ddb, table_items or [])
    if not found.items:
        prerequisite = "dynamodb_items_well_formed" if found.others else "dynamodb_dataset_imported"
        fail(
            f"DynamoDB table {ddb.table} holds no item of the lab's shape ({len(found.others)} other item(s)), so "
            f"there is nothing to query (prerequisite: {prerequisite}).",
            call="dynamodb.scan",
            observed=f"{len(found.others)} items, none of the lab's shape",
            expected="the lab's dataset",
            hint=import_dataset_hint(ddb) if ddb.dataset is not None else None,
        )
    return found


# --- prerequisites ----------------------------------------------------------------------------------------------


def _table_present(
    table_description: dict[str, Any] | None, ddb: DynamoDBSpec, target: Target, usable: tuple[str, ...]
) -> dict[str, Any]:
    """The table's description when its status is one of `usable`; else `fail` naming dynamodb_table_exists."""
    if table_description is None:
        fail(
            f"DynamoDB table {ddb.table} was not found in {target.region}, so this objective cannot be graded "
            "(prerequisite: dynamodb_table_exists).",
            call="dynamodb.describe_table",
            observed="ResourceNotFoundException",
            expected=ddb.table,
            hint=create_table_hint(ddb),
        )
    status = table_description.get("TableStatus")
    if status not in usable:
        fail(
            f"DynamoDB table {ddb.table} is {status}, so this objective cannot be graded "
            "(prerequisite: dynamodb_table_exists).",
            call="dynamodb.describe_table",
            observed=status,
            expected="ACTIVE",
        )
    return table_description


@pytest.fixture(scope="session")
def table(table_description: dict[str, Any] | None, ddb: DynamoDBSpec, target: Target) -> dict[str, Any]:
    """The table's description; `fail` naming the prerequisite when it does not exist, `pending` while CREATING."""
    if table_description is not None and table_description.get("TableStatus") == "CREATING":
        pending(
            f"DynamoDB table {ddb.table} is CREATING, so this objective cannot be graded yet.",
            call="dynamodb.describe_table",
            observed="CREATING",
            expected="ACTIVE",
        )
    return _table_present(table_description, ddb, target, ("ACTIVE", "UPDATING"))


@pytest.fixture(scope="session")
def existing_table(table_description: dict[str, Any] | None, ddb: DynamoDBSpec, target: Target) -> dict[str, Any]:
    """The table's description, also while CREATING (what can never change is judged at once); `fail` naming the
    prerequisite when it does not exist or is being deleted."""
    return _table_present(table_description, ddb, target, ("ACTIVE", "UPDATING", "CREATING"))


@pytest.fixture(scope="session")
def writable_table(table: dict[str, Any], ddb: DynamoDBSpec) -> dict[str, Any]:
    """The table, when the grader can write scratch items in it: under a reserved String partition value only,
    keyed like the table really is (its own key names and types, whatever the lab's)."""
    if ddb.partition_key.type != "S":
        not_applicable(
            f"the table's partition key {ddb.partition_key.name} is not a String: the grader writes only under its "
            f"reserved {SCRATCH_PREFIX} prefix, so it does not write in this table"
        )
    partition, sort = actual_keys(table)
    reason = ""
    if partition is None or partition.type != "S":
        reason = f"its partition key is {describe_key(partition)}, not a String"
    elif sort is not None and sort.type not in ("S", "N", "B"):
        reason = f"its sort key is {describe_key(sort)}"
    if reason:
        fail(
            f"DynamoDB table {ddb.table}: {reason}, and the grader writes its scratch items only under its reserved "
            f"{SCRATCH_PREFIX} String prefix, so this objective cannot be graded (prerequisite: "
            "dynamodb_table_keys_match).",
            call="dynamodb.describe_table",
            observed=f"partition {describe_key(partition)}, sort {describe_key(sort)}",
            expected=f"partition {describe_key(ddb.partition_key)}, sort {describe_key(ddb.sort_key)}",
            hint=recreate_table_hint(ddb, "A table's key types"),
        )
    return table


# --- scratch items ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def scratch_registry(request: pytest.FixtureRequest, dynamodb: Any, ddb: DynamoDBSpec) -> Iterator[ScratchRegistry]:
    """Run-wide record of scratch keys; at the end of the run (also an interrupted one) deletes any left over. An
    item that still cannot go is never left silently: the run's results (`extra.scratch_leftovers`, the
    scorecard's header) name it with the exact delete command, whether or not its check got to report it."""
    registry = ScratchRegistry(dynamodb, ddb.table)
    yield registry
    leftovers = registry.sweep()
    grading = run_state(request.config)
    if leftovers and grading is not None:
        grading.notes.setdefault("scratch_leftovers", []).extend(leftovers)


@pytest.fixture
def scratch_items(  # noqa: PLR0917 - pytest passes fixtures by name
    request: pytest.FixtureRequest,
    dynamodb: Any,
    ddb: DynamoDBSpec,
    scratch: Scratch,
    scratch_registry: ScratchRegistry,
    writable_table: dict[str, Any],
) -> Iterator[ScratchItems]:
    """This check's scratch items, keyed like the table really is; deleted (and read back) at teardown, whether
    the check passed, failed or was interrupted."""
    items = ScratchItems(dynamodb, ddb, scratch, request.node.name, scratch_registry, description=writable_table)
    yield items
    items.cleanup()
