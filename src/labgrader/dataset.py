"""The lab's shipped dataset (`fixtures/data/batch/*.json`, batch-write-item documents) and what the table
should hold once the lab's exercises are done."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from labgrader.spec import DynamoDBSpec, Scalar

_DESERIALIZER = TypeDeserializer()
_SERIALIZER = TypeSerializer()

Key = tuple[Any, ...]


def batch_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def load_put_items(folder: Path) -> list[dict[str, Any]]:
    """Every PutRequest item (DynamoDB AttributeValue form) of every file, in file order."""
    items: list[dict[str, Any]] = []
    for path in batch_files(folder):
        document = json.loads(path.read_text(encoding="utf-8"))
        for requests in document.values():
            items.extend(request["PutRequest"]["Item"] for request in requests if "PutRequest" in request)
    return items


def to_python(item: dict[str, Any]) -> dict[str, Any]:
    """AttributeValue form → Python values (numbers as Decimal), as boto3's resource layer returns them."""
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def to_attribute_value(value: Scalar | Decimal) -> dict[str, Any]:
    """A spec value → AttributeValue; floats go through str() so 24.99 stays exactly 24.99."""
    if isinstance(value, float):
        value = Decimal(str(value))
    return dict(_SERIALIZER.serialize(value))


def key_of(item: dict[str, Any], key_names: list[str]) -> Key:
    return tuple(item[name] for name in key_names)


def expected_table(spec: DynamoDBSpec) -> dict[Key, dict[str, Any]]:
    """The items (Python form) the table holds after importing the dataset and doing the exercises."""
    if spec.dataset is None:
        return {}
    items = {key_of(item, spec.key_names): item for item in map(to_python, load_put_items(spec.dataset.path))}
    if spec.exercises:
        for deleted in spec.exercises.deleted:
            items.pop(tuple(deleted[name] for name in spec.key_names), None)
        for updated in spec.exercises.updated:
            key = tuple(updated.key[name] for name in spec.key_names)
            if key in items:
                changes = {
                    name: to_python({name: to_attribute_value(v)})[name] for name, v in updated.attributes.items()
                }
                items[key] = {**items[key], **changes}
    return items
