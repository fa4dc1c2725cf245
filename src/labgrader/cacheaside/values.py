"""The student's return values, carried out of the scenario process and compared with what DynamoDB holds.

`encode`/`decode` move any Python value through JSON without losing its type (Decimal stays Decimal, a float stays
a float, "24.99" stays a string), so the grader judges exactly what `get_product` returned. Two comparisons:

- `same_item` (loose): the same attributes with the same values, whatever the number types ("24.99", 24.99 and
  Decimal("24.99") all match). Used where the question is "the right item?", not "the right types?".
- `fidelity_problems` (strict, Decimal semantics): numbers are int/Decimal/float equal to the stored Decimal under
  Python's exact comparison (the float 24.99 is not Decimal("24.99")), strings are str, sets are sets.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DESCRIBE = 160


@dataclass(frozen=True)
class Opaque:
    """A value of a type the grader does not carry across (a student's own class): its type name and repr."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.text}>"


def encode(value: Any) -> Any:
    """A JSON-serialisable, type-tagged form of `value`."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if type(value) is int else {"$int": int(value), "$type": type(value).__name__}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raw = _binary_bytes(value)
    if raw is not None:
        return {"$bytes": base64.b64encode(raw).decode("ascii")}
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            return {"$map": {k: encode(v) for k, v in value.items()}}
        return {"$pairs": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"$set": sorted((encode(v) for v in value), key=repr)}
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a student's __repr__ may raise anything
        text = f"<repr raised {type(exc).__name__}>"
    return {"$opaque": _truncate(text), "$type": type(value).__name__}


def _binary_bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    # boto3.dynamodb.types.Binary, without importing boto3 here
    if type(value).__name__ == "Binary" and isinstance(getattr(value, "value", None), bytes | bytearray):
        return bytes(value.value)
    return None


def decode(data: Any) -> Any:
    """The Python value `encode` tagged (unknown types come back as `Opaque`)."""
    if data is None or isinstance(data, bool | str | int | float):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        raise TypeError(f"not an encoded value: {data!r}")
    if "$map" in data:
        return {k: decode(v) for k, v in data["$map"].items()}
    if "$pairs" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["$pairs"]}
    if "$decimal" in data:
        return Decimal(data["$decimal"])
    if "$float" in data:
        return float(data["$float"])
    if "$int" in data:
        return int(data["$int"])
    if "$bytes" in data:
        return base64.b64decode(data["$bytes"])
    if "$tuple" in data:
        return tuple(decode(v) for v in data["$tuple"])
    if "$set" in data:
        items = [_hashable(decode(v)) for v in data["$set"]]
        return set(items)
    if "$opaque" in data:
        return Opaque(str(data.get("$type", "object")), str(data["$opaque"]))
    raise ValueError(f"unknown value tag in {sorted(data)}")


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return Opaque(type(value).__name__, _truncate(repr(value)))
    return value


def _truncate(text: str, limit: int = MAX_DESCRIBE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(value: Any, limit: int = MAX_DESCRIBE) -> str:
    """A short repr for messages."""
    return _truncate(repr(value), limit)


# --- loose comparison: the right item? ---------------------------------------------------------------------------


def _as_number(value: Any) -> Decimal | None:
    """A number, or a string holding one, as Decimal (floats through repr: 24.99 → Decimal("24.99"))."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _loosely_equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, Decimal | int) and not isinstance(expected, bool):
        number = _as_number(actual)
        return number is not None and number == expected
    if isinstance(expected, Mapping):
        return (
            isinstance(actual, Mapping)
            and set(actual) == set(expected)
            and all(_loosely_equal(actual[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(expected)
            and all(_loosely_equal(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, set | frozenset):
        if not isinstance(actual, set | frozenset | list | tuple) or len(actual) != len(expected):
            return False
        remaining = list(actual)
        for element in expected:
            match = next((i for i, a in enumerate(remaining) if _loosely_equal(a, element)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True
    raw = _binary_bytes(expected)
    if raw is not None:
        return _binary_bytes(actual) == raw
    return bool(actual == expected)


def item_difference(actual: Any, expected: Mapping[str, Any]) -> str | None:
    """None when `actual` is loosely the item `expected`; else a phrase naming the first difference."""
    if actual is None:
        return "returned None"
    if not isinstance(actual, Mapping):
        return f"returned a {type(actual).__name__} ({describe(actual, 80)}), not a dict"
    missing = sorted(set(expected) - set(actual))
    if missing:
        return f"returned an item without attribute {missing[0]!r}" + (
            f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        )
    extra = sorted(str(k) for k in set(actual) - set(expected))
    if extra:
        return f"returned an item with attribute {extra[0]!r}, which DynamoDB does not hold"
    for name in sorted(expected):
        if not _loosely_equal(actual[name], expected[name]):
            return f"returned {name}={describe(actual[name], 60)}, while DynamoDB holds {describe(expected[name], 60)}"
    return None


def same_item(actual: Any, expected: Mapping[str, Any]) -> bool:
    return item_difference(actual, expected) is None


# --- strict comparison: the right types? --------------------------------------------------------------------------


def fidelity_problems(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Phrases naming each value that does not round-trip exactly (Decimal semantics); empty when all do."""
    where = path or "the item"
    if isinstance(expected, Decimal | int) and not isinstance(expected, bool):
        if isinstance(actual, bool) or not isinstance(actual, int | float | Decimal):
            return [
                f"{where} came back as {type(actual).__name__} {describe(actual, 40)} instead of the number {expected}"
            ]
        if isinstance(actual, float) and not math.isfinite(actual):
            return [f"{where} came back as the float {actual!r} instead of {expected}"]
        if actual != expected:
            if isinstance(actual, float):
                exact = f"{Decimal(actual):.20g}"
                return [f"{where} came back as the float {actual!r} (exactly {exact}…), not Decimal('{expected}')"]
            return [f"{where} came back as {type(actual).__name__} {actual!r} instead of {expected}"]
        return []
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return [f"{where} came back as {type(actual).__name__} {describe(actual, 40)} instead of the string"]
        return [] if actual == expected else [f"{where} came back as {describe(actual, 40)} instead of {expected!r}"]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where} came back as {type(actual).__name__} {describe(actual, 40)} instead of a dict"]
        problems = [f"{_join(path, str(k))} is missing" for k in sorted(set(expected) - set(actual))]
        problems += [f"{_join(path, str(k))} is not in DynamoDB" for k in sorted(map(str, set(actual) - set(expected)))]
        for name in expected:  # in the item's own order (key, then attributes as DynamoDB gave them)
            if name in actual:
                problems += fidelity_problems(actual[name], expected[name], _join(path, str(name)))
        return problems
    if isinstance(expected, set | frozenset):
        if not isinstance(actual, set | frozenset):
            return [f"{where} came back as {type(actual).__name__} instead of a set"]
        return (
            []
            if _loosely_equal(actual, expected) and _set_types_match(actual, expected)
            else [f"{where} came back as {describe(actual, 60)} instead of {describe(expected, 60)}"]
        )
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where} came back as {describe(actual, 60)} instead of a list of {len(expected)}"]
        problems = []
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            problems += fidelity_problems(a, e, f"{where}[{index}]")
        return problems
    raw = _binary_bytes(expected)
    if raw is not None:
        return [] if _binary_bytes(actual) == raw else [f"{where} came back as {describe(actual, 40)}, not the bytes"]
    if type(actual) is not type(expected) or actual != expected:
        return [f"{where} came back as {describe(actual, 40)} instead of {describe(expected, 40)}"]
    return []


def _set_types_match(actual: set[Any] | frozenset[Any], expected: set[Any] | frozenset[Any]) -> bool:
    numeric = all(isinstance(e, Decimal | int) for e in expected)
    if numeric:
        return all(isinstance(a, Decimal | int) and not isinstance(a, bool) for a in actual)
    return all(type(a) is type(e) for a, e in zip(sorted(actual, key=repr), sorted(expected, key=repr), strict=True))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
