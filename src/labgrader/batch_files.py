"""The lab's dataset files as written: batch-write-item documents (`fixtures/data/batch/*.json`), read bounded and
checked. A leaf: the lab spec validates its dataset folder with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labgrader.engine.bounded import DATASET_LIMIT, BoundedReadError, read_text_bounded


def batch_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


class DatasetError(ValueError):
    """A dataset file is not a readable batch-write-item document: one line naming the file and what is wrong."""


def read_document(path: Path) -> dict[str, list[dict[str, Any]]]:
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
        read_document(path)


def load_put_items(folder: Path) -> list[dict[str, Any]]:
    """Every PutRequest item (DynamoDB AttributeValue form) of every file, in file order."""
    items: list[dict[str, Any]] = []
    for path in batch_files(folder):
        items.extend(item for _table, item in put_items(path))
    return items


def put_items(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (table, request["PutRequest"]["Item"])
        for table, requests in read_document(path).items()
        for request in requests
        if "PutRequest" in request
    ]
