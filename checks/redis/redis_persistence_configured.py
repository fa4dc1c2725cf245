from __future__ import annotations

import time

import pytest
import redis

from labgrader.api import Hint, LabSpec, Passed, Target, check, fail, not_applicable, passed, redact_url
from labgrader.api import redis_evaluation as ev

BGSAVE_TIMEOUT_S = 10.0
DEFAULT_SAVE = "3600 1 300 100 60 10000"


@check(
    "redis_persistence_configured",
    points=2,
    objective="The lab's Redis persists its data: RDB save rules set and a BGSAVE that completes (on ElastiCache, which refuses CONFIG and BGSAVE, elasticache_snapshot_present judges its snapshots).",
    hint=Hint((f'redis-cli -u "$REDIS_URL" CONFIG SET save "{DEFAULT_SAVE}"',)),
    requires=("redis",),
)
def redis_persistence_configured(lab: LabSpec, target: Target, request: pytest.FixtureRequest) -> Passed:
    assert lab.redis is not None
    if lab.redis.persistence is None:
        not_applicable("not part of this lab (the lab spec's [redis] section sets no persistence)")
    if not target.provides("redis-admin"):
        # ElastiCache refuses CONFIG/BGSAVE (lab-facts): never send them. Its persistence is its snapshots (retention
        # or a manual one), which elasticache_snapshot_present judges; judging them here too would charge one mistake
        # twice.
        not_applicable(
            "persistence is judged once, by elasticache_snapshot_present (ElastiCache refuses CONFIG and BGSAVE, so "
            "its persistence is the snapshots it keeps)"
        )
    primary: redis.Redis = request.getfixturevalue("redis_primary")
    return self_hosted(primary, request.getfixturevalue("redis_url"), lab.redis.persistence)


def self_hosted(r: redis.Redis, url: str, wanted: str) -> Passed:
    where = redact_url(url)
    rules = ev.save_rules(r.config_get("save"))
    aof = r.config_get("appendonly").get("appendonly") == "yes"
    configured = {"rdb": bool(rules), "aof": aof, "any": bool(rules) or aof}[wanted]
    observed = {"save": ev.describe_save_rules(rules), "appendonly": "yes" if aof else "no"}
    if not configured:
        expected = {"rdb": "RDB save rules", "aof": "appendonly yes", "any": "RDB save rules or appendonly yes"}[wanted]
        fix = f'CONFIG SET save "{DEFAULT_SAVE}"' if wanted != "aof" else "CONFIG SET appendonly yes"
        fail(
            f"Redis at {where} does not persist its data (save rules: {observed['save']}, appendonly "
            f"{observed['appendonly']}); expected {expected}.",
            call="CONFIG GET save; CONFIG GET appendonly",
            observed=observed,
            expected=expected,
            hint=f'redis-cli -u "$REDIS_URL" {fix}',
        )
    if wanted == "aof":
        return passed(
            f"Redis at {where} appends every write to its AOF (appendonly yes).",
            call="CONFIG GET appendonly",
            observed=observed,
            expected="appendonly yes",
        )
    # A snapshot really gets written: BGSAVE, then the save counter (or LASTSAVE) advances with status ok.
    before = r.info("persistence")
    saves_before = before.get("rdb_saves")
    last_before = r.lastsave()
    started = time.monotonic()
    try:
        r.bgsave()
    except redis.ResponseError as exc:
        if "in progress" not in str(exc):
            raise
    while True:
        now = r.info("persistence")
        done = not now.get("rdb_bgsave_in_progress") and (
            (saves_before is not None and int(now.get("rdb_saves", 0)) > int(saves_before))
            or r.lastsave() > last_before
        )
        if done or time.monotonic() - started > BGSAVE_TIMEOUT_S:
            break
        time.sleep(0.01)
    status = now.get("rdb_last_bgsave_status")
    took_ms = (time.monotonic() - started) * 1000
    if not done or status != "ok":
        fail(
            f"Redis at {where} has save rules but BGSAVE did not complete (rdb_last_bgsave_status:{status} after "
            f"{took_ms:.0f} ms); expected a snapshot written.",
            call="BGSAVE; INFO persistence",
            observed={"rdb_last_bgsave_status": status, "rdb_bgsave_in_progress": now.get("rdb_bgsave_in_progress")},
            expected="rdb_last_bgsave_status:ok",
            hint=Hint(
                ('redis-cli -u "$REDIS_URL" CONFIG GET dir', 'redis-cli -u "$REDIS_URL" BGSAVE'),
                "The folder CONFIG GET dir names must be writable by Redis for a snapshot to be written.",
            ),
        )
    return passed(
        f"Redis at {where} persists with RDB ({observed['save']}) and a BGSAVE completed in {took_ms:.0f} ms.",
        call="CONFIG GET save; BGSAVE; INFO persistence",
        observed=observed,
        expected="RDB save rules and a completed BGSAVE",
    )
