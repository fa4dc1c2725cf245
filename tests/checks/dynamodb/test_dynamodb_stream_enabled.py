from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckPending
from labgrader.spec import StreamSpec
from tests.checks.dynamodb import aws_answers
from tests.conftest import load_check

CHECK = "dynamodb_stream_enabled"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 3
    assert "streams NEW_AND_OLD_IMAGES (ENABLED" in result.message


def test_fails_with_the_stream_off_and_its_hint_fixes_it(local_target, lab_table, grade, run_fix):
    spec = lab_table(stream=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "has no stream enabled; expected a stream with view type NEW_AND_OLD_IMAGES" in result.message
    assert result.hint == (
        f"aws dynamodb update-table --table-name {spec.dynamodb.table} "
        "--stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES"
    )
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_disabled_after_it_was_on(local_target, lab_table, ddb_client, grade, run_fix):
    """A disabled stream keeps its LatestStreamArn: the stream specification is what counts."""
    spec = lab_table()
    ddb_client.update_table(TableName=spec.dynamodb.table, StreamSpecification={"StreamEnabled": False})
    assert "LatestStreamArn" in ddb_client.describe_table(TableName=spec.dynamodb.table)["Table"]
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "has no stream enabled" in result.message
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


@pytest.mark.parametrize("view_type", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"])
def test_fails_with_another_view_type(local_target, lab_table, grade, view_type):
    """Its commands, the same whatever the old view type, are run as printed by test_the_view_type_hint_fixes_it."""
    spec = lab_table(stream=StreamSpec(view_type=view_type))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"streams {view_type}; expected view type NEW_AND_OLD_IMAGES" in result.message
    table = spec.dynamodb.table
    assert result.hint_commands == [
        f"aws dynamodb update-table --table-name {table} --stream-specification StreamEnabled=false",
        f"aws dynamodb wait table-exists --table-name {table}",
        f"aws dynamodb update-table --table-name {table} "
        "--stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
    ]
    assert result.hint_note.startswith("A stream's view type cannot change in place")


def test_the_view_type_hint_fixes_it(local_target, lab_table, grade, run_fix):
    spec = lab_table(stream=StreamSpec(view_type="KEYS_ONLY"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_an_enabling_stream_is_pending(solved):
    check = load_check(CHECK)
    with pytest.raises(CheckPending, match="stream is ENABLING"):
        check(
            stream_spec=solved.dynamodb.stream,
            ddb=solved.dynamodb,
            table=aws_answers.describe_table(),
            stream_description=aws_answers.stream("ENABLING"),
        )
