from __future__ import annotations

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


@check(
    "redis_string_ops",
    points=2,
    objective="The lab's Redis primary stores and changes strings as Redis should (SET/GET/APPEND/INCR/DECR/MSET/DEL), tried on the grader's scratch keys.",
    hint=Hint(
        ('redis-cli -u "$REDIS_URL" SET k v', 'redis-cli -u "$REDIS_URL" GET k'),
        "REDIS_URL must be the primary endpoint; the grader writes only keys under __labgrader__.",
    ),
    requires=("redis",),
    writes=True,
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def redis_string_ops(redis_primary: redis.Redis, redis_url: str, scratch_keys: ScratchKeys, target: Target) -> Passed:
    text, counter, other = scratch_keys("string"), scratch_keys("counter"), scratch_keys("string-2")
    steps: list[tuple[str, Any, Any]] = []
    r = redis_primary

    def expect(command: str, answer: Any, wanted: Any) -> None:
        steps.append((command, answer, wanted))
        if answer != wanted:
            fail(
                f"Redis at {redact_url(redis_url)} answered {command} with {redis_evaluation.shown(answer)}; expected {redis_evaluation.shown(wanted)}.",
                call=command,
                observed=answer,
                expected=wanted,
            )

    with redis_scratch.writable(redis_url, target):
        expect("SET k hello", r.set(text, "hello"), True)
        expect("GET k", r.get(text), "hello")
        expect("SET k other NX (exists)", r.set(text, "other", nx=True), None)
        expect("APPEND k ' world'", r.append(text, " world"), 11)
        expect("STRLEN k", r.strlen(text), 11)
        expect("GETRANGE k 0 4", r.getrange(text, 0, 4), "hello")
        expect("INCR n", r.incr(counter), 1)
        expect("INCRBY n 41", r.incrby(counter, 41), 42)
        expect("DECR n", r.decr(counter), 41)
        expect("MSET k2 a", r.mset({other: "a"}), True)
        expect("MGET k k2 missing", r.mget([text, other, scratch_keys("missing")]), ["hello world", "a", None])
        expect("DEL k k2 n", r.delete(text, other, counter), 3)
        expect("EXISTS k", r.exists(text), 0)
        expect("GET k (deleted)", r.get(text), None)
    return passed(
        f"Redis at {redact_url(redis_url)} answered {len(steps)} string commands as expected (SET, GET, SET NX, "
        "APPEND, STRLEN, GETRANGE, INCR, INCRBY, DECR, MSET, MGET, DEL, EXISTS) on scratch keys, removed after.",
        call="SET/GET/APPEND/INCR/DECR/MSET/MGET/DEL",
        observed=[f"{command} → {answer!r}" for command, answer, _ in steps],
        expected="every answer as Redis documents it",
    )
