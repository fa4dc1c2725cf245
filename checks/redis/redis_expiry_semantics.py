from __future__ import annotations

import time
from typing import Any

import redis

from labgrader.api import (
    Hint,
    Passed,
    ScratchKeys,
    Target,
    check,
    fail,
    passed,
    redact_url,
    redis_evaluation,
    redis_scratch,
)

EXPIRE_WITHIN_S = 2.0  # a key with a 30 ms TTL must be gone well before this


@check(
    "redis_expiry_semantics",
    points=2,
    objective="Keys on the lab's Redis expire as documented: TTL -1 without expiry, -2 when gone, EXPIRE/PERSIST change it, SET clears it, and a key with a TTL really disappears.",
    hint=Hint(
        (
            'redis-cli -u "$REDIS_URL" SET k v EX 60',
            'redis-cli -u "$REDIS_URL" TTL k',
            'redis-cli -u "$REDIS_URL" PERSIST k',
            'redis-cli -u "$REDIS_URL" TTL k',
        ),
        "The first TTL answers a positive number, the second -1: if not, REDIS_URL is not the primary endpoint.",
    ),
    requires=("redis",),
    writes=True,
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def redis_expiry_semantics(
    redis_primary: redis.Redis, redis_url: str, scratch_keys: ScratchKeys, target: Target
) -> Passed:
    key, gone = scratch_keys("expiry"), scratch_keys("never-set")
    r = redis_primary
    steps: list[str] = []

    def expect(command: str, answer: Any, ok: bool, wanted: str) -> None:
        steps.append(f"{command} → {answer!r}")
        if not ok:
            fail(
                f"Redis at {redact_url(redis_url)} answered {command} with {redis_evaluation.shown(answer)}; expected {wanted}.",
                call=command,
                observed=answer,
                expected=wanted,
            )

    with redis_scratch.writable(redis_url, target):
        r.set(key, "v")
        ttl = r.ttl(key)
        expect("TTL k (no expiry set)", ttl, ttl == -1, "-1 (the key has no TTL)")
        ttl = r.ttl(gone)
        expect("TTL missing", ttl, ttl == -2, "-2 (no such key)")
        expect("EXPIRE k 60", r.expire(key, 60), True, "1")
        ttl = r.ttl(key)
        expect("TTL k after EXPIRE 60", ttl, 0 < ttl <= 60, "a TTL in (0, 60]")
        expect("PERSIST k", r.persist(key), True, "1")
        ttl = r.ttl(key)
        expect("TTL k after PERSIST", ttl, ttl == -1, "-1 (PERSIST removed the TTL)")
        r.set(key, "v", ex=60)
        r.set(key, "w")
        ttl = r.ttl(key)
        expect("TTL k after SET k v EX 60; SET k w", ttl, ttl == -1, "-1 (a plain SET discards the old TTL)")
        expect("PEXPIRE k 30", r.pexpire(key, 30), True, "1")
        started = time.monotonic()
        while r.exists(key) and time.monotonic() - started < EXPIRE_WITHIN_S:
            time.sleep(0.005)
        waited_ms = (time.monotonic() - started) * 1000
        exists = r.exists(key)
        expect(
            f"EXISTS k {waited_ms:.0f} ms after PEXPIRE 30",
            exists,
            exists == 0,
            f"0 (expired within {EXPIRE_WITHIN_S:.0f} s)",
        )
        ttl = r.ttl(key)
        expect("TTL k once expired", ttl, ttl == -2, f"-2 (the key {redis_evaluation.ttl_meaning(-2)})")
        value = r.get(key)
        expect("GET k once expired", value, value is None, "nil")
    return passed(
        f"Redis at {redact_url(redis_url)} handles expiry as documented: TTL -1/-2, EXPIRE, PERSIST and SET reset "
        f"the TTL, and a key with PEXPIRE 30 was gone after {waited_ms:.0f} ms.",
        call="SET/TTL/EXPIRE/PERSIST/PEXPIRE/EXISTS",
        observed=steps,
        expected="TTL semantics as Redis documents them",
    )
