from __future__ import annotations

import pytest

from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.services.dynamodb import lookups as dynamodb_lookups
from labgrader.services.dynamodb.scratch import ScratchItems, ScratchRegistry
from labgrader.spec import StreamSpec
from tests.checks.dynamodb import aws_answers
from tests.checks.dynamodb.helpers import Wrapped, scratch_items
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


def test_fails_naming_the_prerequisite_without_a_stream(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table(stream=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "has no stream enabled, so no stream record can be read (prerequisite: dynamodb_stream_enabled)" in (
        result.message
    )
    assert "--stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES" in result.hint
    assert ddb_client.scan(TableName=spec.dynamodb.table, Select="COUNT")["Count"] == 99  # nothing written
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


@pytest.mark.parametrize("view_type", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"])
def test_judges_the_records_against_the_table_s_own_view_type(local_target, lab_table, ddb_client, grade, view_type):
    """Another view type than the lab's is dynamodb_stream_enabled's to fail, once: the records are judged on what
    the table's view type promises."""
    spec = lab_table(stream=StreamSpec(view_type=view_type))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert f"with {view_type} images" in result.message
    assert "(the lab wants NEW_AND_OLD_IMAGES: dynamodb_stream_enabled judges that)" in result.message
    assert scratch_items(ddb_client, spec.dynamodb.table) == []


def test_fails_when_records_lack_the_images_their_view_type_promises(lab_table, ddb_client, clients):
    """A stream whose MODIFY records come without OldImage although the table streams NEW_AND_OLD_IMAGES (the
    sandbox never does it: its answers are edited), and the scratch item still goes. No hint is run: the fault is in
    edited API answers, there is no sandbox state a command could fix."""
    spec = lab_table(data=False)
    ddb = spec.dynamodb
    table = ddb_client.describe_table(TableName=ddb.table)["Table"]
    streams = clients.client("dynamodbstreams")
    description = dynamodb_lookups.describe_stream(streams, table["LatestStreamArn"])

    def without_old_image(client, **kwargs):
        answer = client.get_records(**kwargs)
        for record in answer.get("Records", []):
            record["dynamodb"].pop("OldImage", None)
        return answer

    items = ScratchItems(ddb_client, ddb, Scratch(), CHECK, ScratchRegistry(ddb_client, ddb.table), description=table)
    with pytest.raises(CheckFailed, match=r"\(MODIFY\): it has no OldImage \(stream view type NEW_AND_OLD_IMAGES"):
        load_check(CHECK)(
            stream_spec=ddb.stream,
            ddb=ddb,
            writable_table=table,
            stream_description=description,
            dynamodbstreams=Wrapped(streams, get_records=without_old_image),
            scratch_items=items,
        )
    items.cleanup()
    assert scratch_items(ddb_client, ddb.table) == []


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
