"""Paginated DynamoDB reads the checks share."""

from __future__ import annotations

from typing import Any


def query_all(dynamodb: Any, **arguments: Any) -> tuple[list[dict[str, Any]], int]:
    """Every page of a Query (table or index): (items, Count summed over pages)."""
    items: list[dict[str, Any]] = []
    count = 0
    for page in dynamodb.get_paginator("query").paginate(**arguments):
        items.extend(page.get("Items", []))
        count += page["Count"]
    return items, count
