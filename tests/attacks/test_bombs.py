"""Memory, output and fork bombs meet the sandbox's limits: each fails its own check with the reason, the output
kept is bounded (the rest counted), and no forked process survives."""

from __future__ import annotations

from labgrader.cacheaside.containment import PROCESS_LIMIT
from tests.attacks.conftest import assert_contained


def test_each_bomb_fails_its_own_check_and_the_rest_pass(attack):
    run = attack("bombs")
    assert_contained(run)
    bombed = {"cache_aside_miss_populates", "cache_aside_hit_skips_db", "cache_aside_ttl_set"}
    assert {c for c, s in run.statuses().items() if s == "fail"} == bombed, run.statuses()
    assert "MemoryError" in run.check("cache_aside_miss_populates")["message"]


def test_an_output_bomb_is_counted_and_only_its_tail_kept(attack):
    result = attack("bombs").check("cache_aside_hit_skips_db")
    assert "RuntimeError: printed 24 MiB" in result["message"]
    assert result["evidence"]["output_bytes"] == 24 * 1024 * 1024
    assert len(result["evidence"]["output"]) <= 500


def test_a_fork_bomb_stops_at_the_process_limit(attack):
    run = attack("bombs")
    message = run.check("cache_aside_ttl_set")["message"]
    assert "fork bomb stopped after " in message
    started = int(message.split("fork bomb stopped after ")[1].split()[0])
    if run.results["student_process_limit"]:
        assert started < PROCESS_LIMIT, message
