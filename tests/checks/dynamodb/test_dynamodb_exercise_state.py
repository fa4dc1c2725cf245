from __future__ import annotations

import pytest

CHECK = "dynamodb_exercise_state"
pytestmark = pytest.mark.sandbox
BK7 = {"category": {"S": "books"}, "sku": {"S": "BK-0007"}}


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 3
    assert "books/BK-0007: price = 24.99; games/GM-0013: deleted" in result.message


def test_fails_with_a_message_per_undone_exercise_and_its_hint_fixes_them(local_target, lab_table, grade, run_fix):
    spec = lab_table(exercises=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message == (
        f"DynamoDB table {spec.dynamodb.table}: books/BK-0007 has price 19.99, expected 24.99; "
        "games/GM-0013 still exists, expected it deleted."
    )
    assert result.evidence["observed"] == [
        "books/BK-0007 has price 19.99, expected 24.99",
        "games/GM-0013 still exists, expected it deleted",
    ]
    table = spec.dynamodb.table
    assert result.hint_commands == [
        f"aws dynamodb update-item --table-name {table} "
        """--key '{"category":{"S":"books"},"sku":{"S":"BK-0007"}}' --update-expression 'SET #a0 = :v0' """
        "--condition-expression 'attribute_exists(#pk)' "
        """--expression-attribute-names '{"#a0":"price","#pk":"category"}' """
        """--expression-attribute-values '{":v0":{"N":"24.99"}}'""",
        f"aws dynamodb delete-item --table-name {table} "
        """--key '{"category":{"S":"games"},"sku":{"S":"GM-0013"}}'""",
    ]
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_only_the_delete_is_undone(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table()
    ddb_client.put_item(
        TableName=spec.dynamodb.table,
        Item={"category": {"S": "games"}, "sku": {"S": "GM-0013"}, "name": {"S": "back"}},
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message.endswith(": games/GM-0013 still exists, expected it deleted.")
    assert "update-item" not in result.hint
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_price_was_set_to_another_value(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table()
    ddb_client.update_item(
        TableName=spec.dynamodb.table,
        Key=BK7,
        UpdateExpression="SET price = :p",
        ExpressionAttributeValues={":p": {"N": "24.9"}},
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message.endswith(": books/BK-0007 has price 24.9, expected 24.99.")
    assert "delete-item" not in result.hint
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


@pytest.mark.usefixtures("student_folder")
def test_fails_when_the_updated_item_was_deleted(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table()
    ddb_client.delete_item(TableName=spec.dynamodb.table, Key=BK7)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "books/BK-0007 is missing, expected it with price 24.99" in result.message
    assert "batch-write-item" in result.hint_commands[0]
    assert "the import resets the file's items" in result.hint_note
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"
