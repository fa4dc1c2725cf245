"""DynamoDB lookups the checks share: paginated reads and descriptions."""

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


def describe_stream(streams: Any, arn: str) -> dict[str, Any]:
    """DescribeStream with every shard (paginated by ExclusiveStartShardId)."""
    description: dict[str, Any] = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    shards = list(description.get("Shards", []))
    while description.get("LastEvaluatedShardId"):
        description = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=description["LastEvaluatedShardId"])[
            "StreamDescription"
        ]
        shards.extend(description.get("Shards", []))
    return {**description, "Shards": shards}
