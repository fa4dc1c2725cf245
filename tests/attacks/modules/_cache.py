"""A correct cache-aside core the hostile modules share (copied next to each one): the reference's behaviour."""

from __future__ import annotations

import contextlib
import json
import os

import boto3
import redis
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from redis.backoff import NoBackoff
from redis.retry import Retry

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])
cache = redis.Redis.from_url(
    os.environ["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
)


def key(category, sku):
    return f"product:{category}:{sku}"


def get_product(category, sku):
    try:
        cached = cache.get(key(category, sku))
    except redis.RedisError:
        cached = None
    if cached is not None:
        return {k: _deserializer.deserialize(v) for k, v in json.loads(cached).items()}
    item = table.get_item(Key={"category": category, "sku": sku}).get("Item")
    if item is not None:
        with contextlib.suppress(redis.RedisError):
            payload = json.dumps({k: _serializer.serialize(v) for k, v in item.items()})
            cache.set(key(category, sku), payload, ex=300)
    return item


def update_product(category, sku, changes):
    names = {f"#a{i}": name for i, name in enumerate(changes)}
    values = {f":v{i}": value for i, value in enumerate(changes.values())}
    table.update_item(
        Key={"category": category, "sku": sku},
        UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changes))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    with contextlib.suppress(redis.RedisError):
        cache.delete(key(category, sku))
