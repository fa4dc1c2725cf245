"""The cache-aside harness's Redis cleanup: a Redis that fails during the removal (connection lost) leaves keys the
grader cannot vouch for; the check concerned reports each key with the exact command that removes it (`error`),
instead of re-raising the connection error bare."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from labgrader.cacheaside.harness import CacheAsideHarness
from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CouldNotLook
from tests.checks.elasticache.aws_docs import AWS_TARGET


class LostRedis:
    """Accepts the scratch SET, then the connection drops."""

    def set(self, key: str, value: str, ex: int | None = None) -> bool:
        return True

    def delete(self, *keys: str) -> int:
        raise redis.ConnectionError("Connection closed by server.")


def offline_harness(week8: Any, dynamodb: Any = None) -> CacheAsideHarness:
    """A harness with no module, no endpoint and a Redis that drops its connection on DEL."""
    return CacheAsideHarness(
        lab=week8,
        target=AWS_TARGET,
        solution=None,
        runner=None,  # type: ignore[arg-type]
        dynamodb=dynamodb,
        redis=LostRedis(),  # type: ignore[arg-type]
        redis_url="redis://127.0.0.1:1/0",
        scratch=Scratch("abcd1234"),
    )


def test_a_redis_error_during_cleanup_reports_the_keys_and_their_del_command(week8):
    harness = offline_harness(week8)
    key = harness.put_scratch_value("CA-TTL", "1")
    with pytest.raises(CouldNotLook) as raised:
        harness.cleanup()
    assert raised.value.status == "error"
    assert raised.value.message == (
        "The grader could not remove its scratch data; remove it with: Redis key(s) "
        f"{key} could not be deleted or read back (Connection closed by server): "
        f'redis-cli -u "$REDIS_URL" DEL {key}.'
    )


class LateWritingTable:
    """A DynamoDB whose PutItem the client gives up on (Ctrl-C) while the server still applies it, 0.2 s later."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _id(key: dict[str, Any]) -> str:
        return repr(sorted(key.items()))

    def put_item(self, TableName: str, Item: dict[str, Any]) -> None:  # noqa: N803 - boto3's names
        import threading

        key = {name: Item[name] for name in ("category", "sku")}
        threading.Timer(0.2, lambda: self.items.__setitem__(self._id(key), Item)).start()
        raise KeyboardInterrupt

    def delete_item(self, TableName: str, Key: dict[str, Any]) -> None:  # noqa: N803
        self.items.pop(self._id(Key), None)

    def get_item(self, TableName: str, Key: dict[str, Any], ConsistentRead: bool) -> dict[str, Any]:  # noqa: N803
        found = self.items.get(self._id(Key))
        return {"Item": found} if found else {}


def test_a_scratch_write_cut_short_by_ctrl_c_is_removed_after_it_lands(week8):
    table = LateWritingTable()
    harness = offline_harness(week8, table)
    harness._table = {
        "KeySchema": [{"AttributeName": "category", "KeyType": "HASH"}, {"AttributeName": "sku", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "category", "AttributeType": "S"},
            {"AttributeName": "sku", "AttributeType": "S"},
        ],
    }
    with pytest.raises(KeyboardInterrupt):
        harness.put_scratch_item("LATENCY")
    harness.cleanup()
    time.sleep(0.3)  # past the late write
    assert table.items == {}
