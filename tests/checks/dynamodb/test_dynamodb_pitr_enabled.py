from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckPending
from tests.checks.dynamodb import aws_answers
from tests.conftest import load_check

CHECK = "dynamodb_pitr_enabled"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 0
    assert not result.required


def test_fails_without_pitr_without_changing_the_exit_code_and_its_hint_fixes_it(
    local_target, lab_table, grade, run_fix
):
    spec = lab_table(pitr=False)
    run = grade(spec, local_target, only={CHECK})
    result = run.get(CHECK)
    assert result.status == "fail"
    assert result.message.endswith("has point-in-time recovery DISABLED; expected ENABLED (advisory).")
    assert run.exit_code == 0  # advisory
    assert result.hint == (
        f"aws dynamodb update-continuous-backups --table-name {spec.dynamodb.table} "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"
    )
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_enabling_is_pending(solved):
    with pytest.raises(CheckPending, match="point-in-time recovery ENABLING"):
        load_check(CHECK)(
            pitr_expected=True,
            ddb=solved.dynamodb,
            table=aws_answers.describe_table(),
            continuous_backups=aws_answers.continuous_backups("ENABLING"),
        )
