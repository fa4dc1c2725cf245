"""The lab's shipped dataset (`fixtures/data/batch/*.json`, batch-write-item documents) and what the table
should hold once the lab's exercises are done."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from labgrader.engine.bounded import DATASET_LIMIT, BoundedReadError, read_text_bounded
from labgrader.spec import DynamoDBSpec, Scalar

_DESERIALIZER = TypeDeserializer()
_SERIALIZER = TypeSerializer()

Key = tuple[Any, ...]


def batch_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


class DatasetError(ValueError):
    """A dataset file is not a readable batch-write-item document: one line naming the file and what is wrong."""


def _document(path: Path) -> dict[str, list[dict[str, Any]]]:
    """A batch-write-item document, `{"Table": [{"PutRequest": {"Item": {...}}}, ...]}`, checked (bounded read)."""
    try:
        document: Any = json.loads(read_text_bounded(path, DATASET_LIMIT))
    except BoundedReadError as exc:
        raise DatasetError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"dataset file {path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    problem = _document_problem(document)
    if problem:
        raise DatasetError(f"dataset file {path} is not a batch-write-item document: {problem}")
    checked: dict[str, list[dict[str, Any]]] = document
    return checked


def _document_problem(document: Any) -> str:
    if not isinstance(document, dict) or not document:
        return 'expected an object of table name → requests, like {"LabProducts": [{"PutRequest": {"Item": …}}]}'
    for table, requests in document.items():
        if not isinstance(requests, list):
            return f"{table!r} should hold a list of requests"
        for request in requests:
            if not isinstance(request, dict) or not ({"PutRequest", "DeleteRequest"} & set(request)):
                return f"a request of {table!r} is neither a PutRequest nor a DeleteRequest"
            put = request.get("PutRequest")
            if put is not None and not (isinstance(put, dict) and isinstance(put.get("Item"), dict)):
                return f"a PutRequest of {table!r} has no Item object"
            item = put["Item"] if put is not None else {}
            if not all(isinstance(value, dict) and len(value) == 1 for value in item.values()):
                return f'an item of {table!r} is not in AttributeValue form (like {{"S": "text"}})'
    return ""


def check_folder(folder: Path) -> None:
    """Every *.json file of a dataset folder is a batch-write-item document (DatasetError otherwise)."""
    for path in batch_files(folder):
        _document(path)


def load_put_items(folder: Path) -> list[dict[str, Any]]:
    """Every PutRequest item (DynamoDB AttributeValue form) of every file, in file order."""
    items: list[dict[str, Any]] = []
    for path in batch_files(folder):
        items.extend(item for _table, item in _put_items(path))
    return items


def _put_items(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (table, request["PutRequest"]["Item"])
        for table, requests in _document(path).items()
        for request in requests
        if "PutRequest" in request
    ]


def file_tables(path: Path) -> list[str]:
    """The table names a batch-write-item document writes to (its top-level keys)."""
    return list(_document(path))


def file_keys(spec: DynamoDBSpec, path: Path) -> set[Key]:
    """The keys (Python form) of the items one dataset file puts."""
    return {key_of(to_python(item), spec.key_names) for _table, item in _put_items(path)}


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
