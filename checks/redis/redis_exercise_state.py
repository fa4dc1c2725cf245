from __future__ import annotations

import shlex

import redis

from labgrader.api import Hint, LabSpec, Passed, check, fail, not_applicable, passed, redact_url
from labgrader.api import redis_evaluation as ev


@check(
    "redis_exercise_state",
    points=2,
    objective="The keys the lab's Redis exercises leave behind hold the expected values and TTLs (lab:hello = world; lab:session:1 with a TTL).",
    hint=Hint(
        (
            'redis-cli -u "$REDIS_URL" SET lab:hello world',
            'redis-cli -u "$REDIS_URL" SET lab:session:1 \'{{"user": "student"}}\' EX 1800',
        )
    ),
    requires=("redis",),
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def redis_exercise_state(redis_primary: redis.Redis, redis_url: str, lab: LabSpec) -> Passed:
    assert lab.redis is not None
    if not lab.redis.keys:
        not_applicable("not part of this lab (the lab spec's [redis] section lists no keys)")
    seen = []
    # One round trip for all keys: TYPE, GET (strings only answer) and TTL of each.
    pipe = redis_primary.pipeline(transaction=False)
    for key in lab.redis.keys:
        pipe.type(key.name)
        pipe.ttl(key.name)
    answers = pipe.execute()
    for index, key in enumerate(lab.redis.keys):
        kind, ttl = str(answers[2 * index]), int(answers[2 * index + 1])
        answer = redis_primary.get(key.name) if kind == "string" else None
        value = answer.decode() if isinstance(answer, bytes) else answer
        seen.append(ev.KeyObservation(key.name, kind, value, ttl))
    problems = [p for key, obs in zip(lab.redis.keys, seen, strict=True) for p in ev.key_problems(key, obs)]
    observed = [ev.observed_text(obs) for obs in seen]
    expected = [ev.expected_text(key) for key in lab.redis.keys]
    if problems:
        fixes = []
        for key in lab.redis.keys:
            value = key.value if key.value is not None else '{"user": "student"}'
            expiry = f" EX {min(key.max_ttl or 3600, 1800)}" if key.ttl else ""
            fixes.append(f'redis-cli -u "$REDIS_URL" SET {shlex.quote(key.name)} {shlex.quote(value)}{expiry}')
        fail(
            f"Redis at {redact_url(redis_url)}: {'; '.join(problems)}.",
            call="TYPE, GET, TTL",
            observed=observed,
            expected=expected,
            hint=Hint(tuple(fixes)),
        )
    return passed(
        f"Redis at {redact_url(redis_url)} holds the lab's keys: {'; '.join(observed)}.",
        call="TYPE, GET, TTL",
        observed=observed,
        expected=expected,
    )
