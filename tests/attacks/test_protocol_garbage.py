"""Garbage and forged answers on the grader's channel are the module's fail, never the grader's error, and the
scenario's processes are reaped all the same."""

from __future__ import annotations

from tests.attacks.conftest import SCENARIO_CHECKS, assert_contained


def test_writing_on_the_graders_channel_fails_every_scenario_check(attack):
    run = attack("garbage_channel")
    assert_contained(run)
    for check_id in SCENARIO_CHECKS:
        result = run.check(check_id)
        assert result["status"] == "fail", (check_id, result["message"])
        assert "on the grader's channel" in result["message"], result["message"]
        assert "forged" not in result["message"]  # the forged value was never taken for an answer
