"""Evaluating DynamoDB API answers against the lab spec."""

from __future__ import annotations

import difflib
from typing import Any

from labgrader.spec import DynamoDBSpec, KeyAttribute


def describe_key(attr: KeyAttribute | None) -> str:
    return f"{attr.name} ({attr.type})" if attr else "none"


def actual_keys(description: dict[str, Any]) -> tuple[KeyAttribute | None, KeyAttribute | None]:
    """The table's (partition, sort) key with their attribute types, from DescribeTable."""
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}
    found: dict[str, KeyAttribute] = {}
    for element in description.get("KeySchema", []):
        name = element["AttributeName"]
        found[element["KeyType"]] = KeyAttribute(name=name, type=types.get(name, "S"))
    return found.get("HASH"), found.get("RANGE")


def key_schema_mismatches(description: dict[str, Any], spec: DynamoDBSpec) -> list[str]:
    """One phrase per difference between the table's primary key and the spec's."""
    partition, sort = actual_keys(description)
    problems = []
    for role, actual, expected in (
        ("partition key", partition, spec.partition_key),
        ("sort key", sort, spec.sort_key),
    ):
        if actual == expected:
            continue
        if actual is not None and expected is not None and actual.name == expected.name:
            problems.append(f"{role} {actual.name} has type {actual.type}, expected {expected.type}")
        else:
            problems.append(f"{role} is {describe_key(actual)}, expected {describe_key(expected)}")
    return problems


def near_matches(wanted: str, names: list[str]) -> list[str]:
    """Table names a student may have meant: same name in another case, or a close spelling."""
    same_case = [n for n in names if n.lower() == wanted.lower() and n != wanted]
    close = difflib.get_close_matches(wanted, [n for n in names if n not in same_case], n=3, cutoff=0.75)
    return same_case + close
