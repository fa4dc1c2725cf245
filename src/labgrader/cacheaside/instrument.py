"""Counting the DynamoDB calls a student's module makes, in its own process.

Every botocore client, however it is made (`boto3.client`, `boto3.resource` — which makes a client underneath —,
a `boto3.Session` of its own, `botocore.session.get_session().create_client`, at import time or per call), is built
by `botocore.session.Session.create_client`. `install()` wraps that method once, so each new client gets a
`before-parameter-build` handler; botocore emits that event once per API call, with the caller's own parameters
(before serialisation, the HTTP request and its retries), and the handler appends the operation to the active
`CallLog`, if any.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

# The data-plane reads of DynamoDB. PartiQL statements are reads when they are SELECTs.
READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
PARTIQL_OPERATIONS = frozenset({"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"})
KEY_READS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems", "ExecuteStatement"})

_MARK = "__labgrader_counting__"


@dataclass
class Call:
    service: str
    operation: str
    read: bool


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)

    @property
    def reads(self) -> list[str]:
        return [c.operation for c in self.calls if c.service == "dynamodb" and c.read]

    @property
    def operations(self) -> list[str]:
        return [c.operation if c.service == "dynamodb" else f"{c.service}.{c.operation}" for c in self.calls]


_active: CallLog | None = None


def _is_read(operation: str, params: dict[str, Any]) -> bool:
    if operation in READ_OPERATIONS:
        return True
    if operation == "ExecuteStatement":
        return str(params.get("Statement", "")).lstrip().upper().startswith("SELECT")
    if operation in PARTIQL_OPERATIONS:
        statements = params.get("Statements") or params.get("TransactStatements") or []
        return any(str(s.get("Statement", "")).lstrip().upper().startswith("SELECT") for s in statements)
    return False


def _record(model: Any = None, params: Any = None, **_: Any) -> None:
    log = _active
    if log is None or model is None:
        return
    service = str(model.service_model.service_name)
    operation = str(model.name)
    log.calls.append(Call(service, operation, service == "dynamodb" and _is_read(operation, params or {})))


def install() -> None:
    """Wrap `Session.create_client` so every client made from now on reports its calls (idempotent)."""
    original = botocore.session.Session.create_client
    if getattr(original, _MARK, False):
        return

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-parameter-build", _record, unique_id="labgrader-count-calls")
        return client

    setattr(create_client, _MARK, True)
    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


@contextmanager
def recording() -> Iterator[CallLog]:
    """Record the AWS calls made inside the block."""
    global _active  # noqa: PLW0603 - one recorder per (single-threaded) scenario process
    previous, log = _active, CallLog()
    _active = log
    try:
        yield log
    finally:
        _active = previous
