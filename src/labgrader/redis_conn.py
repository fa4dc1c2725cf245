"""Redis connections for checks: bounded timeouts, credentials from the URL or the environment, never printed."""

from __future__ import annotations

import os

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 5.0


def connect(
    url: str,
    *,
    decode: bool = True,
    timeout: float = COMMAND_TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> redis.Redis:
    """A client for `url` (redis:// or rediss://). A password/user missing from the URL comes from
    REDIS_PASSWORD / REDISCLI_AUTH and REDIS_USERNAME (ElastiCache AUTH token or RBAC user)."""
    password = os.environ.get("REDIS_PASSWORD") or os.environ.get("REDISCLI_AUTH") or None
    username = os.environ.get("REDIS_USERNAME") or None
    client: redis.Redis = redis.Redis.from_url(
        url,
        decode_responses=decode,
        encoding_errors="replace",
        socket_connect_timeout=connect_timeout,
        socket_timeout=timeout,
        # redis-py retries 3 times with backoff by default: a closed port would take ~5 s to report.
        retry=Retry(NoBackoff(), 0),
        **({"password": password} if password and "@" not in url else {}),
        **({"username": username} if username and "@" not in url else {}),
    )
    return client


# After a PING that got no answer, later commands give up this fast: each check still reports `error`, but a dead
# or silent endpoint costs one timeout per run, not one per command.
FAIL_FAST_TIMEOUT_S = 0.2


def connect_checked(url: str) -> redis.Redis:
    """A client for `url`, pinged once: if the endpoint is down or silent, a client that fails fast instead."""
    client = connect(url)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError):
        client.close()
        return connect(url, timeout=FAIL_FAST_TIMEOUT_S, connect_timeout=FAIL_FAST_TIMEOUT_S)
    except redis.RedisError:
        pass  # refused credentials and the like: every check reports them itself
    return client
