"""The Gradescope and GitHub Classroom contracts, one test per rule, each citing where the rule is written.

Sources read (public):
- Gradescope: github.com/gradescope/autograder_samples, docs/specs.md at af5dee4 (2025-01-15), the source of
  gradescope-autograders.readthedocs.io/en/latest/specs/; and its history (commit 47aed8f, 2020-06-10).
- GitHub Classroom: github.com/classroom-resources/autograding-grading-reporter at 43c2d9f (2025-09-02), src/main.js,
  src/notify-classroom.js, src/console-results.js, src/helpers/test-helpers.js; and
  github.com/classroom-resources/autograding-command-grader at 7712c71 (2024-05-01), src/main.js.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path

from labgrader.reports import classroom, gradescope
from labgrader.engine.results import RunResult

README = Path(__file__).parents[2] / "README.md"
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def _hide(run: RunResult, visibility: str, *check_ids: str) -> RunResult:
    checks = [dataclasses.replace(c, visibility=visibility) if c.id in check_ids else c for c in run.checks]
    return dataclasses.replace(run, checks=checks)


# --- Gradescope ------------------------------------------------------------------------------------------------


def test_gradescope_hidden_tests_keep_their_points(fixture_run: RunResult) -> None:
    """autograder_samples docs/specs.md: the sentence "Test cases with visibility set to `hidden` ... should only be
    used for tests which don't contribute points to the total" was removed in commit 47aed8f ("All points contribute
    to the total score"). So a hidden check keeps its points, and they count in the score."""
    passing = next(c for c in fixture_run.checks if c.status == "pass" and c.points > 0)
    run = _hide(fixture_run, "hidden", passing.id)
    data = gradescope.build(run)
    test = next(t for t in data["tests"] if t["name"].split(":")[0] == passing.id)
    assert test["visibility"] == "hidden"
    assert (test["score"], test["max_score"]) == (passing.points, passing.max_points)
    assert data["score"] == fixture_run.score


def test_gradescope_top_level_score_is_the_exact_sum_of_the_tests(fixture_run: RunResult) -> None:
    """docs/specs.md: top-level "score" is "optional ... Overrides total of tests if specified": so it must equal
    the tests' total, or the score students see disagrees with their tests."""
    data = gradescope.build(fixture_run)
    assert data["score"] == sum(t["score"] for t in data["tests"])
    assert sum(t["max_score"] for t in data["tests"]) == fixture_run.max_score


def test_gradescope_total_is_not_revealed_while_tests_are_hidden(fixture_run: RunResult) -> None:
    """docs/specs.md, Controlling Test Case Visibility: "If test cases are hidden, students will not be able to see
    their total score." The top-level output is visible, so it must not state the total either."""
    hidden = [c for c in fixture_run.checks if c.status != "skip" and c.visibility != "visible"]
    assert hidden  # the fixture's spec hides two checks
    output = gradescope.build(fixture_run)["output"]
    assert f"{fixture_run.score:g}/{fixture_run.max_score:g}" not in output
    assert f"{len(hidden)} more are shown later, with the total." in output
    everything_visible = _hide(fixture_run, "visible", *(c.id for c in hidden))
    assert f"{fixture_run.score:g}/{fixture_run.max_score:g}" in gradescope.build(everything_visible)["output"]


def test_gradescope_visibility_values(fixture_run: RunResult) -> None:
    """docs/specs.md: the visibility options are `hidden`, `after_due_date`, `after_published`, `visible`, at the top
    level and per test; `stdout_visibility` takes the same values."""
    data = gradescope.build(fixture_run)
    assert data["visibility"] in GRADESCOPE_VISIBILITY
    assert data["stdout_visibility"] in GRADESCOPE_VISIBILITY
    assert {t["visibility"] for t in data["tests"]} <= GRADESCOPE_VISIBILITY
    assert {t["visibility"] for t in data["tests"]} == {"visible", "hidden", "after_due_date"}


def test_gradescope_status_values(fixture_run: RunResult) -> None:
    """docs/specs.md, Test case status: "status" is "passed" or "failed" (otherwise score == max_score decides); a
    check that did not pass (fail, error, pending) earns no points and is "failed"."""
    data = gradescope.build(fixture_run)
    by_id = {c.id: c for c in fixture_run.checks}
    for test in data["tests"]:
        check = by_id[test["name"].split(":")[0]]
        assert test["status"] == ("passed" if check.status == "pass" else "failed")
        if test["status"] == "failed":
            assert test["score"] < test["max_score"] or test["max_score"] == 0


def test_gradescope_execution_time_is_whole_seconds(fixture_run: RunResult) -> None:
    """docs/specs.md: `"execution_time": 136, // optional, seconds`."""
    data = gradescope.build(dataclasses.replace(fixture_run, duration_s=135.2))
    assert data["execution_time"] == 136
    assert isinstance(data["execution_time"], int)


# --- GitHub Classroom --------------------------------------------------------------------------------------------


def test_classroom_duration_is_milliseconds(fixture_run: RunResult) -> None:
    """autograding-command-grader src/main.js: `generateResult(..., endTime - startTime, ...)` where both are
    `new Date()`: a difference of JavaScript Dates is in milliseconds."""
    check = fixture_run.checks[0]
    run = dataclasses.replace(fixture_run, checks=[dataclasses.replace(check, duration_s=2.5), *fixture_run.checks[1:]])
    assert classroom.build(run)["tests"][0]["duration"] == 2500


def test_classroom_run_status_values(fixture_run: RunResult) -> None:
    """autograding-grading-reporter src/main.js: the job fails on `results.status === "fail"` ("Some tests failed")
    or `=== 'error'` ("Some tests errored"); anything else passes. Our run status is exactly one of the three."""
    assert classroom.build(fixture_run)["status"] == "fail"
    passing = dataclasses.replace(
        fixture_run, checks=[dataclasses.replace(c, status="pass") for c in fixture_run.checks]
    )
    assert classroom.build(passing)["status"] == "pass"
    assert classroom.crashed("boom")["status"] == "error"


def test_classroom_test_status_values(fixture_run: RunResult) -> None:
    """autograding-grading-reporter src/console-results.js: a test counts as passed only for `status === 'pass'`,
    `'error'` prints its message, anything else is a failure: so pass/fail/error, and skipped checks are no tests."""
    tests = classroom.build(fixture_run)["tests"]
    assert {t["status"] for t in tests} == {"pass", "fail", "error"}
    assert len(tests) == sum(1 for c in fixture_run.checks if c.status != "skip")


def test_classroom_points_are_the_sum_of_scores_over_max_score(fixture_run: RunResult) -> None:
    """autograding-grading-reporter src/notify-classroom.js: Points = sum of `tests[].score` over the sum of
    `results.max_score`, skipping a run whose max_score is falsy. So max_score is the lab's total and positive, and
    a crash report (max_score 0) gives Classroom no points rather than a false 0."""
    result = classroom.build(fixture_run)
    assert result["max_score"] == fixture_run.max_score > 0
    assert sum(t["score"] for t in result["tests"]) == fixture_run.score
    assert classroom.crashed("boom")["max_score"] == 0


def test_classroom_result_is_base64_json(fixture_run: RunResult) -> None:
    """autograding-grading-reporter src/main.js: `Buffer.from(encodedResults, "base64")` then `JSON.parse`."""
    document = classroom.build(fixture_run)
    assert json.loads(base64.b64decode(classroom.encode(document)).decode("utf-8")) == document


def test_readme_workflow_names_the_runner_as_the_reporter_reads_it() -> None:
    """autograding-grading-reporter src/main.js: `runners` must match /^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$/ and each
    runner's result is read from the env var `${runner.trim().toUpperCase()}_RESULTS`."""
    text = README.read_text(encoding="utf-8")
    runners = re.search(r"^\s+runners: (\S+)$", text, re.MULTILINE)
    assert runners is not None
    assert re.fullmatch(r"([a-zA-Z0-9]+,)*[a-zA-Z0-9]+", runners.group(1))
    for runner in runners.group(1).split(","):
        assert f'{runner.upper()}_RESULTS: "${{{{ steps.{runner}.outputs.{classroom.OUTPUT_NAME} }}}}"' in text
