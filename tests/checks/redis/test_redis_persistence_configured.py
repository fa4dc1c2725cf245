from __future__ import annotations

import pytest

from tests.conftest import replace_section

CHECK = "redis_persistence_configured"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(redis_reference):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "persists with RDB (after 3600 s if 1 change(s)" in result.message
    assert "a BGSAVE completed in" in result.message


def test_fails_when_snapshots_are_turned_off(solved, local_target, grade, changed_setting, run_hint):
    changed_setting("save", "")  # as a student would: redis-cli CONFIG SET save ""
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == (
        f'Redis at {local_target.redis_url} does not persist its data (save rules: none (save ""), appendonly no); '
        "expected RDB save rules."
    )
    assert result.hint == 'redis-cli -u "$REDIS_URL" CONFIG SET save "3600 1 300 100 60 10000"'
    run_hint(result)
    assert grade(solved, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_aof_only_satisfies_a_lab_asking_for_aof(solved, local_target, grade, changed_setting):
    changed_setting("appendonly", "yes")
    spec = replace_section(solved, "redis", persistence="aof")
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert "appendonly yes" in result.message


SKIPPED_ON_AWS = (
    "persistence is judged once, by elasticache_snapshot_present (ElastiCache refuses CONFIG and BGSAVE, so its "
    "persistence is the snapshots it keeps)"
)


def test_on_aws_it_leaves_snapshots_to_elasticache_snapshot_present(solved, aws_like, grade, recording_proxy, sandbox):
    proxy = recording_proxy(sandbox.redis_url)
    result = grade(solved, aws_like(redis_url=proxy.url), only={CHECK}).get(CHECK)
    assert result.status == "skip", result.message
    assert result.message == SKIPPED_ON_AWS
    assert not {"CONFIG GET", "CONFIG SET", "BGSAVE", "SAVE", "LASTSAVE"} & proxy.names()


def test_on_aws_no_snapshot_costs_the_points_once(aws_like, grade, lab_setup):
    built = lab_setup(retention=0).spec
    run = grade(built, aws_like(), only={CHECK, "elasticache_snapshot_present"})
    assert run.get("elasticache_snapshot_present").status == "fail"
    assert run.get(CHECK).status == "skip"
    assert run.get(CHECK).message == SKIPPED_ON_AWS


def test_errors_when_redis_is_down(redis_unreachable):
    assert redis_unreachable.get(CHECK).status == "error"
