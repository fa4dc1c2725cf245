"""Exact CLI commands for hints, built from the lab spec so they carry the lab's real names.

Every builder returns a command a student can paste as is (JSON arguments single-quoted for a POSIX shell);
`fail(..., hint=...)` shows it unchanged (only a check's declared default hint is a template).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from labgrader import paths
from labgrader.dataset import file_tables
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


def recreate_table_cli(spec: DynamoDBSpec) -> str:
    """Delete the table, wait until it is gone, create it right (keys and LSIs cannot change after creation)."""
    table = _table(spec)
    return (
        f"aws dynamodb delete-table {table} && aws dynamodb wait table-not-exists {table} && {create_table_cli(spec)}"
    )


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


def gsi_replace_cli(spec: DynamoDBSpec, index: SecondaryIndex, provisioned: tuple[int, int] | None = None) -> str:
    """A GSI's keys and projection cannot change: delete it, then create it again once it is gone."""
    delete = _json([{"Delete": {"IndexName": index.name}}])
    return (
        f"aws dynamodb update-table {_table(spec)} --global-secondary-index-updates {delete}, then once "
        f"describe-table no longer lists it: {gsi_create_cli(spec, index, provisioned)}"
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


def stream_replace_cli(spec: DynamoDBSpec, view_type: str) -> str:
    """A stream's view type cannot change in place: disable it, wait for the table to be ACTIVE, enable anew."""
    return (
        f"{stream_disable_cli(spec)} && aws dynamodb wait table-exists {_table(spec)} && "
        f"{stream_enable_cli(spec, view_type)}"
    )


def pitr_cli(spec: DynamoDBSpec) -> str:
    return (
        f"aws dynamodb update-continuous-backups {_table(spec)} "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"
    )


def shown_path(path: Path) -> str:
    """A dataset file as the student types it: relative to the folder labgrader runs in when it lies below it
    (fixtures/data/batch/books.json from a checkout), else absolute."""
    resolved = path.resolve()
    here = Path.cwd().resolve()
    return str(resolved.relative_to(here)) if resolved.is_relative_to(here) else str(resolved)


def batch_write_cli(spec: DynamoDBSpec, files: Iterable[Path]) -> str:
    """`aws dynamodb batch-write-item --request-items file://…` for each file. The shipped files name their
    table; for a lab whose table is named otherwise, the command first regenerates them under that name."""
    files = list(files)
    prefix = ""
    if any(file_tables(f) != [spec.table] for f in files):
        folder = Path(f"{spec.table}-batch")
        generator = shown_path(paths.fixtures_dir() / "data" / "generate_batch.py")
        prefix = f"python3 {generator} --table {shlex.quote(spec.table)} --out {shlex.quote(str(folder))} && "
        shown = [str(folder / f.name) for f in files]
    else:
        shown = [shown_path(f) for f in files]
    return prefix + " && ".join(
        f"aws dynamodb batch-write-item --request-items {shlex.quote('file://' + f)}" for f in shown
    )


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
