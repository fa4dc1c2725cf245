from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.spec import TtlSpec
from tests.checks.dynamodb import aws_answers
from tests.conftest import load_check

CHECK = "dynamodb_ttl_enabled"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 3
    assert "TTL ENABLED on expires_at" in result.message
    assert "16 items carrying it hold epoch seconds as a Number" in result.message


def test_fails_with_ttl_off_and_its_hint_fixes_it(local_target, lab_table, grade, run_fix):
    spec = lab_table(ttl=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == f"DynamoDB table {spec.dynamodb.table} has TTL DISABLED; expected ENABLED on expires_at."
    assert result.hint == (
        f"aws dynamodb update-time-to-live --table-name {spec.dynamodb.table} "
        "--time-to-live-specification Enabled=true,AttributeName=expires_at"
    )
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_with_ttl_on_another_attribute(local_target, lab_table, grade, run_fix):
    spec = lab_table(ttl=TtlSpec(attribute="expiry"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "has TTL ENABLED on attribute expiry; expected it on expires_at" in result.message
    assert result.hint_commands[0].endswith("Enabled=false,AttributeName=expiry")
    assert result.hint_commands[1].endswith("Enabled=true,AttributeName=expires_at")
    assert "AWS allows one TTL change per hour" in result.hint_note
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_ttl_attribute_is_stored_as_a_string(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table()
    key = {"category": {"S": "books"}, "sku": {"S": "BK-0008"}}
    ddb_client.update_item(
        TableName=spec.dynamodb.table,
        Key=key,
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": {"S": "2052000000"}},
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "1 of 16 items carrying it hold no Number of epoch seconds (books/BK-0008: a String ('2052000000'))" in (
        result.message
    )
    assert '--key \'{"category":{"S":"books"},"sku":{"S":"BK-0008"}}\'' in result.hint
    assert '\'{":v0":{"N":"2052000000"}}\'' in result.hint
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_ttl_attribute_holds_milliseconds(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table()
    ddb_client.update_item(
        TableName=spec.dynamodb.table,
        Key={"category": {"S": "tools"}, "sku": {"S": "TL-0016"}},
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": {"N": "2052000000000"}},
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "tools/TL-0016: 2052000000000, which looks like epoch milliseconds" in result.message
    assert '\'{":v0":{"N":"2052000000"}}\'' in result.hint  # the seconds it meant
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_enabling_is_pending(solved):
    check = load_check(CHECK)
    with pytest.raises(CheckPending, match="TTL ENABLING on expires_at"):
        check(
            ttl_spec=solved.dynamodb.ttl,
            ddb=solved.dynamodb,
            table=aws_answers.describe_table(),
            ttl_description=aws_answers.time_to_live("ENABLING"),
            table_items=[],
        )


def test_enabling_on_another_attribute_fails(solved):
    check = load_check(CHECK)
    with pytest.raises(CheckFailed, match="TTL ENABLING on attribute ttl; expected it on expires_at"):
        check(
            ttl_spec=solved.dynamodb.ttl,
            ddb=solved.dynamodb,
            table=aws_answers.describe_table(),
            ttl_description=aws_answers.time_to_live("ENABLING", "ttl"),
            table_items=[],
        )


def test_disabling_fails(solved):
    check = load_check(CHECK)
    with pytest.raises(CheckFailed, match="TTL DISABLING on expires_at"):
        check(
            ttl_spec=solved.dynamodb.ttl,
            ddb=solved.dynamodb,
            table=aws_answers.describe_table(),
            ttl_description=aws_answers.time_to_live("DISABLING"),
            table_items=[],
        )
