"""Exact CLI commands for hints, built from the lab spec so they carry the lab's real names.

Every builder returns commands a student can paste as they are, in bash, from any folder (JSON arguments
single-quoted, dataset files by absolute path, waits where AWS needs time); `fail(..., hint=...)` shows them
unchanged (only a check's declared default hint is a template). Explanations go in a Hint's note, never in a command.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from labgrader import paths
from labgrader.batch_files import batch_files
from labgrader.dataset import (
    Key,
    exercise_keys,
    file_keys,
    file_tables,
    files_holding,
    key_attribute_values,
    to_attribute_value,
)
from labgrader.engine.verdict import Hint
from labgrader.solve.dynamodb import create_table_request, index_request
from labgrader.spec import DynamoDBSpec, SecondaryIndex


def _json(value: Any) -> str:
    return shlex.quote(json.dumps(value, separators=(",", ":")))


def _table(spec: DynamoDBSpec) -> str:
    return f"--table-name {shlex.quote(spec.table)}"


def _attribute_definitions(definitions: Iterable[Mapping[str, str]]) -> str:
    return "--attribute-definitions " + " ".join(
        f"AttributeName={d['AttributeName']},AttributeType={d['AttributeType']}" for d in definitions
    )


def create_table_cli(spec: DynamoDBSpec) -> str:
    """`aws dynamodb create-table …` that creates the spec's table with its keys, indexes and stream."""
    request = create_table_request(spec)
    parts = ["aws dynamodb create-table", _table(spec), _attribute_definitions(request["AttributeDefinitions"])]
    parts.append(
        "--key-schema "
        + " ".join(f"AttributeName={k['AttributeName']},KeyType={k['KeyType']}" for k in request["KeySchema"])
    )
    parts.append("--billing-mode PAY_PER_REQUEST")
    for option, key in (
        ("--global-secondary-indexes", "GlobalSecondaryIndexes"),
        ("--local-secondary-indexes", "LocalSecondaryIndexes"),
    ):
        if key in request:
            parts.append(f"{option} {_json(request[key])}")
    if spec.stream is not None:
        parts.append(f"--stream-specification StreamEnabled=true,StreamViewType={spec.stream.view_type}")
    return " ".join(parts)


def wait_table_cli(spec: DynamoDBSpec) -> str:
    """Wait until the table is ACTIVE (after create-table or an update that takes time)."""
    return f"aws dynamodb wait table-exists {_table(spec)}"


def table_setup_commands(spec: DynamoDBSpec) -> list[str]:
    """Everything the lab sets up on the table: create it (keys, indexes, stream), wait for it, TTL, PITR, the
    dataset, the exercises."""
    commands = [create_table_cli(spec), wait_table_cli(spec)]
    if spec.ttl is not None:
        commands.append(ttl_cli(spec, spec.ttl.attribute))
    if spec.pitr:
        commands.append(pitr_cli(spec))
    if spec.dataset is not None:
        commands += batch_write_commands(spec, batch_files(spec.dataset.path))
    commands += exercise_commands(spec)
    return commands


def create_table_hint(spec: DynamoDBSpec) -> Hint:
    return Hint(
        tuple(table_setup_commands(spec)),
        f"These commands create table {spec.table} as the lab sets it up: keys, indexes and stream, then TTL, "
        "point-in-time recovery, the dataset and the exercises.",
    )


def recreate_table_hint(spec: DynamoDBSpec, why: str = "Keys and local secondary indexes") -> Hint:
    """Delete the table, wait until it is gone, and set it up again as the lab does: keys and LSIs cannot change
    after creation. The note says what the commands destroy and that they restore it."""
    table = _table(spec)
    restored = ["keys, indexes and stream"]
    if spec.ttl is not None:
        restored.append("TTL")
    if spec.pitr:
        restored.append("point-in-time recovery")
    if spec.dataset is not None:
        restored.append("the dataset")
    if spec.exercises is not None:
        restored.append("the exercises")
    note = (
        f"{why} cannot change after a table is created: these commands delete table {spec.table} with every item "
        f"in it (and its stream's records), then create it again and restore {', '.join(restored[:-1])} and "
        f"{restored[-1]}. Items you added beyond the lab's dataset are not restored."
    )
    commands = [f"aws dynamodb delete-table {table}", f"aws dynamodb wait table-not-exists {table}"]
    return Hint(tuple(commands + table_setup_commands(spec)), note)


def exercise_commands(spec: DynamoDBSpec) -> list[str]:
    """The lab's exercises: each conditional update, then each delete."""
    if spec.exercises is None:
        return []
    commands = [
        update_item_cli(
            spec, _key_values(spec, updated.key), {n: to_attribute_value(v) for n, v in updated.attributes.items()}
        )
        for updated in spec.exercises.updated
    ]
    return commands + [delete_item_cli(spec, _key_values(spec, deleted)) for deleted in spec.exercises.deleted]


def _key_values(spec: DynamoDBSpec, key: Mapping[str, Any]) -> dict[str, Any]:
    return {name: to_attribute_value(value) for name, value in key.items()}


def gsi_create_cli(spec: DynamoDBSpec, index: SecondaryIndex, provisioned: tuple[int, int] | None = None) -> str:
    """`update-table --global-secondary-index-updates Create` for one GSI of the spec (with throughput when the
    table is provisioned: AWS requires it then)."""
    request = index_request(index, spec.partition_key)
    if provisioned is not None:
        request["ProvisionedThroughput"] = {"ReadCapacityUnits": provisioned[0], "WriteCapacityUnits": provisioned[1]}
    attributes = {a.name: a.type for a in (index.partition_key, index.sort_key) if a is not None}
    definitions = [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()]
    return (
        f"aws dynamodb update-table {_table(spec)} {_attribute_definitions(definitions)} "
        f"--global-secondary-index-updates {_json([{'Create': request}])}"
    )


def wait_gsi_active_cli(spec: DynamoDBSpec, index: SecondaryIndex) -> str:
    """Wait until the GSI is ACTIVE (AWS creates and backfills it in the background; `aws` has no waiter for it)."""
    query = shlex.quote(f"Table.GlobalSecondaryIndexes[?IndexName=='{index.name}'].IndexStatus")
    return (
        f'until [ "$(aws dynamodb describe-table {_table(spec)} --query {query} --output text)" = ACTIVE ]; '
        "do sleep 10; done"
    )


def wait_gsi_gone_cli(spec: DynamoDBSpec, index: SecondaryIndex) -> str:
    query = shlex.quote(f"length(Table.GlobalSecondaryIndexes[?IndexName=='{index.name}'] || `[]`)")
    return (
        f'until [ "$(aws dynamodb describe-table {_table(spec)} --query {query} --output text)" = 0 ]; '
        "do sleep 10; done"
    )


def gsi_create_commands(
    spec: DynamoDBSpec, index: SecondaryIndex, provisioned: tuple[int, int] | None = None
) -> list[str]:
    return [gsi_create_cli(spec, index, provisioned), wait_gsi_active_cli(spec, index)]


def gsi_replace_hint(spec: DynamoDBSpec, index: SecondaryIndex, provisioned: tuple[int, int] | None = None) -> Hint:
    """A GSI's keys and projection cannot change: delete it, wait until it is gone, create it again."""
    delete = _json([{"Delete": {"IndexName": index.name}}])
    return Hint(
        (
            f"aws dynamodb update-table {_table(spec)} --global-secondary-index-updates {delete}",
            wait_gsi_gone_cli(spec, index),
            *gsi_create_commands(spec, index, provisioned),
        ),
        f"A global secondary index's keys and projection cannot change: these commands delete {index.name}, wait "
        "until it is gone and create it again (the table's items stay).",
    )


def on_demand_cli(spec: DynamoDBSpec) -> str:
    return f"aws dynamodb update-table {_table(spec)} --billing-mode PAY_PER_REQUEST"


def provisioned_cli(spec: DynamoDBSpec, read: int, write: int, gsi_names: Iterable[str] = ()) -> str:
    """Switch to (or resize) provisioned capacity: `read`/`write` units for the table and for each GSI."""
    throughput = {"ReadCapacityUnits": read, "WriteCapacityUnits": write}
    command = (
        f"aws dynamodb update-table {_table(spec)} --billing-mode PROVISIONED "
        f"--provisioned-throughput ReadCapacityUnits={read},WriteCapacityUnits={write}"
    )
    updates = [{"Update": {"IndexName": name, "ProvisionedThroughput": throughput}} for name in gsi_names]
    return command + (f" --global-secondary-index-updates {_json(updates)}" if updates else "")


def ttl_cli(spec: DynamoDBSpec, attribute: str, *, enabled: bool = True) -> str:
    return (
        f"aws dynamodb update-time-to-live {_table(spec)} "
        f"--time-to-live-specification Enabled={str(enabled).lower()},AttributeName={shlex.quote(attribute)}"
    )


def stream_enable_cli(spec: DynamoDBSpec, view_type: str) -> str:
    return (
        f"aws dynamodb update-table {_table(spec)} --stream-specification StreamEnabled=true,StreamViewType={view_type}"
    )


def stream_disable_cli(spec: DynamoDBSpec) -> str:
    return f"aws dynamodb update-table {_table(spec)} --stream-specification StreamEnabled=false"


def stream_replace_hint(spec: DynamoDBSpec, view_type: str) -> Hint:
    """A stream's view type cannot change in place: disable it, wait for the table to be ACTIVE, enable anew."""
    return Hint(
        (stream_disable_cli(spec), wait_table_cli(spec), stream_enable_cli(spec, view_type)),
        "A stream's view type cannot change in place: these commands turn the stream off and on again with "
        f"{view_type} (a new stream; the old one's records stay readable for 24 hours).",
    )


def pitr_cli(spec: DynamoDBSpec) -> str:
    return (
        f"aws dynamodb update-continuous-backups {_table(spec)} "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"
    )


def batch_write_commands(spec: DynamoDBSpec, files: Iterable[Path]) -> list[str]:
    """`aws dynamodb batch-write-item --request-items file:///…` for each file, by absolute path (the installed
    package's fixtures), so it runs from any folder. The shipped files name their table; for a lab whose table is
    named otherwise, one command regenerates them under that name in a temporary folder and imports them."""
    files = list(files)
    if all(file_tables(f) == [spec.table] for f in files):
        return [
            f"aws dynamodb batch-write-item --request-items {shlex.quote('file://' + str(f.resolve()))}" for f in files
        ]
    generator = shlex.quote(str((paths.fixtures_dir() / "data" / "generate_batch.py").resolve()))
    writes = " && ".join(
        f'aws dynamodb batch-write-item --request-items "file://$batch/{shlex.quote(f.name)}"' for f in files
    )
    return [f'batch="$(mktemp -d)" && python3 {generator} --table {shlex.quote(spec.table)} --out "$batch" && {writes}']


def update_item_cli(
    spec: DynamoDBSpec,
    key: Mapping[str, Any],
    attributes: Mapping[str, Any],
    *,
    condition_on_key: bool = True,
) -> str:
    """`update-item` setting `attributes` (AttributeValue form) on `key`, guarded by `attribute_exists` of the
    partition key (the lab's ConditionExpression: never create an item by accident)."""
    names = {f"#a{i}": name for i, name in enumerate(attributes)}
    values = {f":v{i}": value for i, value in enumerate(attributes.values())}
    expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names)))
    command = (
        f"aws dynamodb update-item {_table(spec)} --key {_json(dict(key))} "
        f"--update-expression {shlex.quote(expression)}"
    )
    if condition_on_key:
        names["#pk"] = spec.partition_key.name
        command += f" --condition-expression {shlex.quote('attribute_exists(#pk)')}"
    return command + f" --expression-attribute-names {_json(names)} --expression-attribute-values {_json(values)}"


def delete_item_cli(spec: DynamoDBSpec, key: Mapping[str, Any]) -> str:
    return f"aws dynamodb delete-item {_table(spec)} --key {_json(dict(key))}"


def reimport_hint(spec: DynamoDBSpec, keys: set[Key], outside: frozenset[Key] | set[Key] = frozenset()) -> Hint:
    """Import again the dataset files holding `keys` (the shipped files carry the lab's attributes and types), redo
    the exercises when those files hold items they change, and delete `outside` (items not in the dataset)."""
    files = files_holding(spec, keys)
    commands = batch_write_commands(spec, files)
    notes = []
    if files:
        notes.append(f"These commands import {', '.join(f.name for f in files)} again (the lab's items and types)")
    if files and exercise_keys(spec) & set().union(*(file_keys(spec, f) for f in files)):
        commands += exercise_commands(spec)
        notes.append("then redo the exercises, since the files hold the items they change")
    if outside:
        ordered = sorted(outside, key=lambda k: tuple(str(p) for p in k))
        commands += [delete_item_cli(spec, key_attribute_values(key, spec)) for key in ordered]
        notes.append(f"and delete the {len(ordered)} items that are not in the lab's dataset")
    return Hint(tuple(commands), (", ".join(notes) + ".") if notes else None)


def import_dataset_hint(spec: DynamoDBSpec) -> Hint:
    """Import the whole dataset, then do the exercises (they change and delete imported items)."""
    assert spec.dataset is not None
    commands = batch_write_commands(spec, batch_files(spec.dataset.path)) + exercise_commands(spec)
    return Hint(tuple(commands), "These commands import the lab's dataset and do the exercises on it.")
