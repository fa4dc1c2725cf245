"""A module that kills its parent and every process it takes for the grader kills only its own sandbox: the
grader cannot be seen or signalled from there, and writes a complete results.json with the module's fails."""

from __future__ import annotations

from tests.attacks.conftest import SCENARIO_CHECKS, assert_contained


def test_killing_the_grader_fails_the_modules_checks_and_the_run_completes(attack):
    run = attack("kills_grader")
    assert_contained(run)
    assert "Score " in run.terminal  # the grader printed its scorecard: it was never killed
    for check_id in SCENARIO_CHECKS:
        result = run.check(check_id)
        assert result["status"] == "fail", (check_id, result["message"])
