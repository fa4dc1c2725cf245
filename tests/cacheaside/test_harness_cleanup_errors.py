"""The cache-aside harness's Redis cleanup: a Redis that fails during the removal (connection lost) leaves keys the
grader cannot vouch for; the check concerned reports each key with the exact command that removes it (`error`),
instead of re-raising the connection error bare."""

from __future__ import annotations

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


def test_a_redis_error_during_cleanup_reports_the_keys_and_their_del_command(week8):
    nothing: Any = None
    harness = CacheAsideHarness(
        lab=week8,
        target=AWS_TARGET,
        solution=None,
        runner=nothing,
        dynamodb=nothing,
        redis=LostRedis(),  # type: ignore[arg-type]
        redis_url="redis://127.0.0.1:1/0",
        scratch=Scratch("abcd1234"),
    )
    key = harness.put_scratch_value("CA-TTL", "1")
    with pytest.raises(CouldNotLook) as raised:
        harness.cleanup()
    assert raised.value.status == "error"
    assert raised.value.message == (
        "The grader could not remove its scratch data; remove it with: Redis key(s) "
        f"{key} could not be deleted or read back (Connection closed by server): "
        f'redis-cli -u "$REDIS_URL" DEL {key}.'
    )
