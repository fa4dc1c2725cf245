"""The sandbox's corrections to moto's DynamoDB model, applied inside the sandbox's moto server only (and in the
test suite's DynamoDB container, which runs the same corrections).

Each correction makes moto answer the way AWS does for a request a student really sends; none invents state.
tests/sandbox/test_moto_dynamodb.py proves each one against the sandbox, and its strict-xfail `test_upstream_moto_*`
tests XPASS as soon as upstream moto fixes the bug itself, so the correction can be dropped.
"""

from __future__ import annotations

import functools
from typing import Any


def apply() -> None:
    """Install every DynamoDB correction (once: labgrader.sandbox.moto.apply guards against a second call)."""
    _reenable_dynamodb_streams()
    _compare_mixed_types_as_false()
    _merge_attribute_definitions()


def _reenable_dynamodb_streams() -> None:
    """AWS lets a table whose stream was disabled enable a new one (new LatestStreamArn; the old stream stays
    readable for 24 h): the only way to change a stream's view type. moto refuses a stream on any table that ever
    had one ("Cannot enable stream") because the disabled stream's label is still set.
    """
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto is imported only inside the sandbox

    original = DynamoDBBackend.update_table_streams

    @functools.wraps(original)
    def update_table_streams(self: Any, table: Any, stream_specification: dict[str, Any]) -> None:
        enabling = stream_specification.get("StreamEnabled") or stream_specification.get("StreamViewType")
        if enabling and not (table.stream_specification or {}).get("StreamEnabled"):
            table.latest_stream_label = None  # a disabled stream does not block a new one
        original(self, table, stream_specification)

    DynamoDBBackend.update_table_streams = update_table_streams  # type: ignore[method-assign]


def _compare_mixed_types_as_false() -> None:
    """In a DynamoDB condition or filter, `<`, `<=`, `>`, `>=` and BETWEEN between a String and a Number are false
    on AWS (the item does not match). moto compares the Python values and answers HTTP 500 on the TypeError, so a
    Scan filtering on a number the student stored as a string broke instead of matching nothing.
    """
    from moto.dynamodb import comparisons  # noqa: PLC0415 - moto is imported only inside the sandbox

    for name in ("OpLessThan", "OpGreaterThan", "OpLessThanOrEqual", "OpGreaterThanOrEqual", "FuncBetween"):
        cls = getattr(comparisons, name)
        original = cls.expr

        def expr(self: Any, item: Any, _original: Any = original) -> bool:
            try:
                return bool(_original(self, item))
            except TypeError:
                return False

        cls.expr = functools.wraps(original)(expr)


def _merge_attribute_definitions() -> None:
    """AWS UpdateTable keeps the table's AttributeDefinitions and adds those of the index being created; moto
    replaces the whole list, so the table forgets the type of its own keys (and an LSI's sort key) after a GSI is
    added with the aws CLI, which sends only the new index's attributes."""
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto is imported only inside the sandbox

    original = DynamoDBBackend.update_table

    @functools.wraps(original)
    def update_table(self: Any, name: str, attr_definitions: list[dict[str, str]], *args: Any, **kw: Any) -> Any:
        if attr_definitions:
            merged = {a["AttributeName"]: a for a in self.get_table(name).attr}
            merged.update({a["AttributeName"]: a for a in attr_definitions})
            attr_definitions = list(merged.values())
        return original(self, name, attr_definitions, *args, **kw)

    DynamoDBBackend.update_table = update_table  # type: ignore[method-assign]
