"""The lab's shipped dataset (`fixtures/data/batch/*.json`, batch-write-item documents) and what the table
should hold once the lab's exercises are done."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from labgrader.batch_files import batch_files, load_put_items, put_items, read_document
from labgrader.spec import DynamoDBSpec, Scalar

_DESERIALIZER = TypeDeserializer()
_SERIALIZER = TypeSerializer()

Key = tuple[Any, ...]


def file_tables(path: Path) -> list[str]:
    """The table names a batch-write-item document writes to (its top-level keys)."""
    return list(read_document(path))


def file_keys(spec: DynamoDBSpec, path: Path) -> set[Key]:
    """The keys (Python form) of the items one dataset file puts."""
    return {key_of(to_python(item), spec.key_names) for _table, item in put_items(path)}


def files_holding(spec: DynamoDBSpec, keys: set[Key]) -> list[Path]:
    """The dataset files that carry at least one of `keys` (to re-import only what is missing)."""
    if spec.dataset is None:
        return []
    return [path for path in batch_files(spec.dataset.path) if file_keys(spec, path) & keys]


def to_python(item: dict[str, Any]) -> dict[str, Any]:
    """AttributeValue form → Python values (numbers as Decimal), as boto3's resource layer returns them."""
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def to_attribute_value(value: Scalar | Decimal) -> dict[str, Any]:
    """A spec value → AttributeValue; floats go through str() so 24.99 stays exactly 24.99."""
    if isinstance(value, float):
        value = Decimal(str(value))
    return dict(_SERIALIZER.serialize(value))


def key_of(item: dict[str, Any], key_names: list[str]) -> Key:
    return tuple(item.get(name) for name in key_names)


def spec_key(values: dict[str, Scalar], spec: DynamoDBSpec) -> Key:
    """A key written in the spec (`{category = "books", sku = "BK-0007"}`) in the Python form of `to_python`."""
    return tuple(to_python({name: to_attribute_value(values[name])})[name] for name in spec.key_names)


def key_attribute_values(key: Key, spec: DynamoDBSpec) -> dict[str, Any]:
    """A key tuple (Python form) → the `Key` argument of GetItem/DeleteItem."""
    return {name: to_attribute_value(value) for name, value in zip(spec.key_names, key, strict=True)}


def exercise_keys(spec: DynamoDBSpec) -> set[Key]:
    """Keys the lab's exercises change or delete: data checks leave them to dynamodb_exercise_state."""
    if spec.exercises is None:
        return set()
    return {spec_key(u.key, spec) for u in spec.exercises.updated} | {spec_key(d, spec) for d in spec.exercises.deleted}


def expected_table(spec: DynamoDBSpec) -> dict[Key, dict[str, Any]]:
    """The items (Python form) the table holds after importing the dataset and doing the exercises."""
    if spec.dataset is None:
        return {}
    items = {key_of(item, spec.key_names): item for item in map(to_python, load_put_items(spec.dataset.path))}
    if spec.exercises:
        for deleted in spec.exercises.deleted:
            items.pop(spec_key(deleted, spec), None)
        for updated in spec.exercises.updated:
            key = spec_key(updated.key, spec)
            if key in items:
                changes = {
                    name: to_python({name: to_attribute_value(v)})[name] for name, v in updated.attributes.items()
                }
                items[key] = {**items[key], **changes}
    return items
