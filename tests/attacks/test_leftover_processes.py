"""Processes a module leaves behind (double fork into a new session, start_new_session, SIGTERM ignored) die with
its scenario: they cannot rewrite results.json or the reports, or flush Redis after the run."""

from __future__ import annotations

import redis

from tests.attacks.conftest import assert_contained, files_under, settle
from tests.processes import processes_running


def test_no_leftover_survives_and_the_reports_and_redis_stay_as_the_run_left_them(attack, local_target):
    run = attack("leftovers")
    assert_contained(run, exit_code=0)  # the module's cache is correct: every check passes
    assert set(run.statuses().values()) == {"pass"}, run.statuses()
    cache = redis.Redis.from_url(local_target.redis_url)
    sentinel = f"labgrader-attack-sentinel-{run.marker}"
    cache.set(sentinel, "the next submission's data", ex=60)
    settle(3.0)  # the leftovers meant to act 1.5 s after their start, long after the run
    assert not processes_running(run.marker)
    assert files_under(run.out) == run.files  # byte-identical, nothing added
    assert "pwned.txt" not in run.files
    assert b"rewritten by the student's leftover process" not in b"".join(run.files.values())
    assert cache.get(sentinel) == b"the next submission's data"
    cache.delete(sentinel)
    cache.close()
