from __future__ import annotations

import pytest

from labgrader.spec import StreamSpec
from labgrader.verdict import CheckPending
from tests.checks.dynamodb import aws_answers
from tests.checks.dynamodb.helpers import scratch_items
from tests.conftest import load_check, replace_section

CHECK = "dynamodb_stream_records"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution_and_leaves_no_scratch_item(solved, local_target, ddb_client, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "stream carried INSERT and MODIFY records of scratch item __labgrader__" in result.message
    assert "with NEW_AND_OLD_IMAGES images" in result.message
    assert scratch_items(ddb_client, solved.dynamodb.table) == []


def test_fails_naming_the_prerequisite_without_a_stream(local_target, lab_table, ddb_client, grade):
    spec = lab_table(stream=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "has no stream enabled, so no stream record can be read (prerequisite: dynamodb_stream_enabled)" in (
        result.message
    )
    assert "--stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES" in result.hint
    assert ddb_client.scan(TableName=spec.dynamodb.table, Select="COUNT")["Count"] == 99  # nothing written


MISSING_IMAGES = {
    "KEYS_ONLY": "it has no NewImage; it has no OldImage",
    "NEW_IMAGE": "it has no OldImage",
    "OLD_IMAGE": "it has no NewImage",
}


@pytest.mark.parametrize("view_type", sorted(MISSING_IMAGES))
def test_fails_when_records_lack_the_lab_s_images_and_still_cleans_up(
    local_target, lab_table, ddb_client, grade, view_type
):
    problem = MISSING_IMAGES[view_type]
    spec = lab_table(stream=StreamSpec(view_type=view_type))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"(MODIFY): its StreamViewType is {view_type}, expected NEW_AND_OLD_IMAGES; {problem}" in result.message
    assert f"(stream view type {view_type}, expected NEW_AND_OLD_IMAGES)" in result.message
    assert "StreamEnabled=false && aws dynamodb wait table-exists" in result.hint
    assert scratch_items(ddb_client, spec.dynamodb.table) == []


def test_passes_when_the_lab_wants_another_view_type(local_target, lab_table, grade):
    spec = lab_table(stream=StreamSpec(view_type="NEW_IMAGE"))
    spec = replace_section(spec, "dynamodb", stream=StreamSpec(view_type="NEW_IMAGE"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message


def test_an_enabling_stream_is_pending(solved):
    with pytest.raises(CheckPending, match="stream is ENABLING"):
        load_check(CHECK)(
            stream_spec=solved.dynamodb.stream,
            ddb=solved.dynamodb,
            writable_table=aws_answers.describe_table(),
            stream_description=aws_answers.stream("ENABLING"),
            dynamodbstreams=None,
            scratch_items=None,
        )
