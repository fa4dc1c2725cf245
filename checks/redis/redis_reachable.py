from __future__ import annotations

import time

import redis

from labgrader.api import Hint, Passed, Target, check, fail, passed, redact_url
from labgrader.api import redis_scratch as redis_support


@check(
    "redis_reachable",
    points=2,
    objective="The lab's Redis primary answers PING from where the grader runs.",
    hint=Hint(
        ('redis-cli -u "$REDIS_URL" ping',),
        "On AWS, run it from the lab's EC2 instance, with REDIS_URL the primary endpoint (not the reader).",
    ),
    requires=("redis",),
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def redis_reachable(redis_client: redis.Redis, redis_url: str, target: Target) -> Passed:
    started = time.perf_counter()
    redis_support.reach(redis_client, redis_url, target)
    elapsed_ms = (time.perf_counter() - started) * 1000
    replication = redis_client.info("replication")
    role = replication.get("role")
    where = redact_url(redis_url)
    if role != "master":
        fail(
            f"Redis at {where} answers PING but is a read-only replica (role:{role}, following "
            f"{replication.get('master_host')}:{replication.get('master_port')}); expected the lab's primary.",
            call="PING; INFO replication",
            observed=f"role:{role}",
            expected="role:master",
            hint=redis_support.primary_hint(target),
        )
    return passed(
        f"Redis at {where} answered PING in {elapsed_ms:.1f} ms as the primary (role:master).",
        call="PING; INFO replication",
        observed="PONG, role:master",
        expected="PONG, role:master",
    )
