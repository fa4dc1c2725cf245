"""What the Redis checks share: reaching the primary (with the right advice when it cannot be reached), scratch keys
that are always removed, and the verdict for an endpoint that refuses writes."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import redis

from labgrader.engine.errors import CREDENTIALS_HINT
from labgrader.engine.verdict import Hint, could_not_look, fail
from labgrader.targets.base import Target, redact_url

T = TypeVar("T")


def unreachable(url: str, target: Target, exc: BaseException) -> NoReturn:
    """`error` (never `fail`): the grader could not look. On AWS the usual cause is running outside the VPC."""
    detail = str(exc).strip().rstrip(".") or type(exc).__name__
    could_not_look(
        f"The grader could not reach Redis at {redact_url(url)} ({detail}); {target.unreachable_advice('redis')}",
        call="PING",
    )


def reach(client: redis.Redis, url: str, target: Target) -> redis.Redis:
    try:
        client.ping()
    except redis.AuthenticationError:
        could_not_look(
            f"Redis at {redact_url(url)} refused the grader's credentials.", call="PING", hint=CREDENTIALS_HINT
        )
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        unreachable(url, target, exc)
    return client


def primary_hint(target: Target) -> Hint:
    """The fix when REDIS_URL is a replica: grade the primary endpoint. Where Redis may be administered (the sandbox,
    containers; never ElastiCache, which refuses REPLICAOF), a node made a replica by hand is a primary again after
    REPLICAOF NO ONE."""
    if target.provides("redis-admin"):
        return Hint(
            ('redis-cli -u "$REDIS_URL" replicaof no one',),
            "Grade the primary endpoint (PrimaryEndpoint, not ReaderEndpoint); a node made a replica by hand becomes "
            "a primary again with this command.",
        )
    return Hint(note="Grade the primary endpoint (PrimaryEndpoint, not ReaderEndpoint) with --redis-url.")


def read_only(url: str, exc: redis.ReadOnlyError, target: Target) -> NoReturn:
    fail(
        f"Redis at {redact_url(url)} refused a write (READONLY: {str(exc).rstrip('.')}): it is a read-only "
        "replica, expected the lab's primary.",
        call="SET",
        observed="READONLY",
        expected="the primary accepts writes",
        hint=primary_hint(target),
    )


@contextmanager
def writable(url: str, target: Target) -> Iterator[None]:
    """Turn a READONLY answer inside the block into the student's `fail` with the fix."""
    try:
        yield
    except redis.ReadOnlyError as exc:
        read_only(url, exc, target)


class ScratchKeys:
    """Scratch keys a check writes: registered before use, all deleted at teardown (never FLUSH)."""

    def __init__(self, client: redis.Redis, make: Callable[[str], str]) -> None:
        self.client = client
        self.make = make
        self.keys: list[str] = []

    def __call__(self, purpose: str) -> str:
        key = self.make(purpose)
        self.keys.append(key)
        return key

    def remove(self) -> None:
        """DEL every key, then read back: a key still there is reported (`error`) with the command that removes it."""
        if not self.keys:
            return
        keys = list(self.keys)
        self.keys.clear()
        try:
            self.client.delete(*keys)
            left = [key for key in keys if self.client.exists(key)]
        except redis.RedisError as exc:  # Redis gone or refusing: the keys may still be there
            detail = str(exc).strip().rstrip(".") or type(exc).__name__
            could_not_look(
                f"Grader scratch key(s) {', '.join(keys)} may still be in Redis: the grader could not delete them or "
                f"read them back ({detail}); remove them with: {del_command(keys)}."
            )
        if left:
            could_not_look(
                f"Grader scratch key(s) {', '.join(left)} are still in Redis after DEL; remove them with: "
                f"{del_command(left)}."
            )


def del_command(keys: list[str]) -> str:
    """The exact redis-cli command that removes these keys."""
    return f'redis-cli -u "$REDIS_URL" DEL {" ".join(shlex.quote(key) for key in keys)}'
