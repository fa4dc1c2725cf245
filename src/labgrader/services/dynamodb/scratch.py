"""The grader's own writes in the student's DynamoDB table: scratch items, and the guarantee they go away.

Every scratch item's partition key value starts with the run's reserved prefix (`__labgrader__<runid>#<check>`),
so nothing the student owns is ever written, and a concurrent run never counts or deletes another run's items.
A key is recorded *before* the write that creates it: a check's teardown deletes its own items, and the run-wide
registry deletes whatever a teardown could not (an interrupted run, a failed delete).
"""

from __future__ import annotations

import base64
import contextlib
import json
import shlex
import time
from collections.abc import Iterable, Mapping
from typing import Any

import botocore.exceptions

from labgrader.engine.scratch import SCRATCH_PREFIX, WRITE_SETTLE_S, Scratch, is_scratch_value
from labgrader.engine.verdict import could_not_look, fail
from labgrader.services.dynamodb.evaluation import (
    TableKey,
    actual_key_names,
    actual_keys,
    attribute_types,
    key_part,
)
from labgrader.services.dynamodb.hints import recreate_table_hint
from labgrader.spec import DynamoDBSpec, KeyAttribute

# Scratch items carry the lab's TTL attribute this far ahead: a leftover expires on AWS by itself.
SCRATCH_TTL_S = 3600


def _identity(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True, default=str)


def _cli_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")  # the CLI takes Binary values base64-encoded
    return value


def delete_item_command(table: str, key: Mapping[str, Any]) -> str:
    """The exact `aws dynamodb delete-item` that removes one item by its key (AttributeValue form)."""
    document = {name: {kind: _cli_value(v) for kind, v in value.items()} for name, value in key.items()}
    return f"aws dynamodb delete-item --table-name {shlex.quote(table)} --key {shlex.quote(json.dumps(document))}"


class ScratchLeftover(Exception):  # noqa: N818 - what is left, not a grader failure
    """A scratch item the grader wrote and could not remove: its message names it and the command that does."""


class ScratchRegistry:
    """Every scratch key this run may have written and not yet deleted."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table
        self.outstanding: dict[str, dict[str, Any]] = {}

    def record(self, key: dict[str, Any]) -> None:
        self.outstanding[_identity(key)] = key

    def delete(self, key: dict[str, Any]) -> None:
        """Delete one scratch item (deleting an absent item succeeds), read it back, and forget it once it is
        gone; `ScratchLeftover` with the delete command when it is still there or the table refuses the key."""
        command = delete_item_command(self.table, key)
        try:
            self.client.delete_item(TableName=self.table, Key=key)
            still_there = "Item" in self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "ClientError")
            if code == "ValidationException":
                raise ScratchLeftover(
                    f"grader scratch item {key} could not be removed from DynamoDB table {self.table} "
                    f"({error.get('Message', 'ValidationException')}); remove it with: {command}"
                ) from exc
            raise self._unverified(key, f"{code}: {error.get('Message', '')}".rstrip(": "), command) from exc
        except botocore.exceptions.BotoCoreError as exc:  # no answer at all (endpoint gone, timeout)
            raise self._unverified(key, str(exc), command) from exc
        if still_there:
            raise ScratchLeftover(
                f"grader scratch item {key} is still in DynamoDB table {self.table} after DeleteItem; "
                f"remove it with: {command}"
            )
        self.outstanding.pop(_identity(key), None)

    def _unverified(self, key: dict[str, Any], detail: str, command: str) -> ScratchLeftover:
        """Any other error: the grader could neither delete the item nor read it back, so it may still be there."""
        return ScratchLeftover(
            f"grader scratch item {key} may still be in DynamoDB table {self.table}: the grader could not delete it "
            f"or read it back ({detail}); remove it with: {command}"
        )

    def sweep(self) -> list[str]:
        """Delete every outstanding key; the errors of the ones that could not go (already reported by the check
        whose teardown failed, or the run was interrupted)."""
        errors = []
        for key in list(self.outstanding.values()):
            try:
                self.delete(key)
            except ScratchLeftover as exc:  # names the item and the command that removes it
                errors.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - keep sweeping the others
                errors.append(f"{self._unverified(key, str(exc), delete_item_command(self.table, key))}")
        return errors


class ScratchItems:
    """The scratch items of one check, under `scratch.partition_value(purpose)`; `cleanup()` deletes them all."""

    def __init__(
        self,
        client: Any,
        spec: DynamoDBSpec,
        scratch: Scratch,
        purpose: str,
        registry: ScratchRegistry,
        *,
        description: Mapping[str, Any] | None = None,
    ):
        self.client = client
        self.spec = spec
        # The table's real key schema when known (DescribeTable), else the lab's: scratch keys follow the table.
        self.description = description
        self.key_names = actual_key_names(description) if description else spec.key_names
        self.partition_value = scratch.partition_value(purpose)
        self.registry = registry
        self.written: dict[str, dict[str, Any]] = {}
        # A write a Ctrl-C cut short may still land after cleanup's delete (the server had the request).
        self.write_cut_short = False

    def item(self, number: int = 1) -> dict[str, Any]:
        """A lab-shaped item under this check's scratch partition (AttributeValue form)."""
        return scratch_item(self.spec, self.partition_value, number, int(time.time()) + SCRATCH_TTL_S, self.description)

    def key(self, item: dict[str, Any]) -> dict[str, Any]:
        return key_part(item, self.key_names)

    def shown(self, key: dict[str, Any]) -> str:
        """`__labgrader__<run>#<check>/item-0001`: a scratch key as messages show it."""
        return "/".join(str(next(iter(value.values()))) for value in key.values())

    def _record(self, key: dict[str, Any]) -> None:
        if not str(key[self.key_names[0]].get("S", "")).startswith(self.partition_value):
            raise ValueError(f"refusing to write outside the scratch partition: {key}")
        self.registry.record(key)
        self.written[_identity(key)] = key

    def call(self, operation: str, key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """A write (put_item, update_item, delete_item) on a scratch key, recorded before it is sent.

        A ValidationException means the table rejects the lab's item shape (an index key of another type than
        the lab's, say): the lab is wrong, so that is a `fail`, not an `error`.
        """
        self._record(key)
        arguments = {"TableName": self.spec.table, **kwargs}
        if operation != "put_item":
            arguments["Key"] = key
        self.write_cut_short = True  # until the write returns
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**arguments)
            self.write_cut_short = False
        except botocore.exceptions.ClientError as exc:
            self.write_cut_short = False
            error = exc.response.get("Error", {})
            if error.get("Code") != "ValidationException":
                raise
            fail(
                f"DynamoDB table {self.spec.table} rejected a lab-shaped {exc.operation_name} on a grader scratch "
                f"item: {error.get('Message', 'ValidationException')}.",
                call=f"dynamodb.{operation}",
                observed="ValidationException",
                expected="the write accepted",
                hint=recreate_table_hint(self.spec, "A table's key and index attribute types"),
            )
        return response

    def put(self, item: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self.call("put_item", self.key(item), Item=item, **kwargs)

    def cleanup(self) -> None:
        """Delete every item this check wrote, each read back; after trying them all, `error` naming every item
        left and its delete command, or the first error that kept the grader from looking."""
        errors: list[Exception] = []
        if self.write_cut_short:
            # Delete now, then again (below, read back) once the write still in the server's hands has landed.
            with contextlib.suppress(Exception):
                for key in self.written.values():
                    self.client.delete_item(TableName=self.spec.table, Key=key)
            time.sleep(WRITE_SETTLE_S)
            self.write_cut_short = False
        for identity, key in list(self.written.items()):
            try:
                self.registry.delete(key)
            except Exception as exc:  # noqa: BLE001 - try the others, then report
                errors.append(exc)
            else:
                self.written.pop(identity, None)
        leftovers = [str(exc) for exc in errors if isinstance(exc, ScratchLeftover)]
        if leftovers:
            text = "; ".join(leftovers)
            could_not_look(f"{text[0].upper()}{text[1:]}.")
        if errors:
            raise errors[0]


# --- scratch items: their shape, and leaving them out of what is graded ---------------------------------------


def scratch_attribute_value(attribute_type_code: str, text: str, number: int) -> dict[str, Any]:
    if attribute_type_code == "N":
        return {"N": str(number)}
    if attribute_type_code == "B":
        return {"B": text.encode("utf-8")}
    return {"S": text}


def scratch_item(
    spec: DynamoDBSpec,
    partition_value: str,
    number: int,
    expires_at: int,
    description: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A lab-shaped item (AttributeValue form) under a scratch partition value, keyed like the table really is.

    Every index key and dataset attribute gets a value of the spec's type, or of the table's own type when the
    table defines that attribute (DescribeTable's AttributeDefinitions: the write must be accepted whatever the
    table is, its mistakes are other checks' to judge); strings carry the scratch partition value so no dataset
    query or index query ever matches them; the TTL attribute (when the lab has one) is set an hour ahead, so even
    a scratch item the grader could not delete expires on AWS by itself. Without `description`, the spec's keys.
    """
    item: dict[str, Any] = {}
    if spec.dataset is not None:
        for name, kind in spec.dataset.attributes.items():
            item[name] = scratch_attribute_value(kind, partition_value, -number)
    for _label, attr in spec.key_attributes():
        item[attr.name] = scratch_attribute_value(attr.type, partition_value, -number)
    if spec.ttl is not None:
        item[spec.ttl.attribute] = {"N": str(expires_at)}
    partition: KeyAttribute | TableKey | None = spec.partition_key
    sort: KeyAttribute | TableKey | None = spec.sort_key
    if description is not None:
        for name, defined in attribute_types(description).items():
            item[name] = scratch_attribute_value(defined, partition_value, -number)
        partition, sort = actual_keys(description)
    assert partition is not None  # a table always has a partition key
    item[partition.name] = {"S": partition_value}
    if sort is not None:
        item[sort.name] = scratch_attribute_value(sort.type or "S", f"item-{number:04d}", number)
    return item


def scratch_filter(description: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(FilterExpression, names, values) leaving grader scratch items out of a Scan or Query of this table, or
    ("", {}, {}) when the table's partition key is not a String (the grader never writes scratch items there)."""
    partition, _sort = actual_keys(description)
    if partition is None or partition.type != "S":
        return "", {}, {}
    return (
        "NOT begins_with(#scratchpk, :scratch)",
        {"#scratchpk": partition.name},
        {":scratch": {"S": SCRATCH_PREFIX}},
    )


def without_scratch(items: Iterable[dict[str, Any]], partition_key: str) -> list[dict[str, Any]]:
    """Drop grader scratch items (of this run or a concurrent one): they are never the student's data."""
    return [item for item in items if not is_scratch_value((item.get(partition_key) or {}).get("S"))]
