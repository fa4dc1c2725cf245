"""Redis connections for checks: bounded timeouts, credentials from the URL or the environment, never printed."""

from __future__ import annotations

import os

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 5.0


def connect(url: str, *, decode: bool = True, timeout: float = COMMAND_TIMEOUT_S) -> redis.Redis:
    """A client for `url` (redis:// or rediss://). A password/user missing from the URL comes from
    REDIS_PASSWORD / REDISCLI_AUTH and REDIS_USERNAME (ElastiCache AUTH token or RBAC user)."""
    password = os.environ.get("REDIS_PASSWORD") or os.environ.get("REDISCLI_AUTH") or None
    username = os.environ.get("REDIS_USERNAME") or None
    client: redis.Redis = redis.Redis.from_url(
        url,
        decode_responses=decode,
        encoding_errors="replace",
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=timeout,
        # redis-py retries 3 times with backoff by default: a closed port would take ~5 s to report.
        retry=Retry(NoBackoff(), 0),
        **({"password": password} if password and "@" not in url else {}),
        **({"username": username} if username and "@" not in url else {}),
    )
    return client
