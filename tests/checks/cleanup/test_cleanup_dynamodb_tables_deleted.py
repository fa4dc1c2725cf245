from __future__ import annotations

import pytest

from labgrader.cleanup.model import FREE, Inventory, Leftover
from labgrader.engine.verdict import CheckPending
from tests.conftest import load_check

CHECK = "cleanup_dynamodb_tables_deleted"
pytestmark = pytest.mark.sandbox


def test_passes_once_the_reference_cleanup_ran(scenario):
    cleaned = scenario("cleaned")
    result = cleaned.run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert result.required
    table, lab = cleaned.spec.dynamodb.table, cleaned.spec.lab.name
    assert f"(looked for table {table} and its backups; tag lab={lab})" in result.message


def test_fails_when_the_table_is_left(scenario, fix):
    left = scenario("table")
    result = left.run.get(CHECK)
    table = left.spec.dynamodb.table
    assert result.status == "fail"
    assert result.message == (
        f"DynamoDB table {table} of lab {left.spec.lab.name} is still there in us-east-1 (ACTIVE); expected it deleted."
    )
    assert result.hint == f"aws dynamodb delete-table --table-name {table} --region us-east-1"
    assert result.evidence["delete_commands"] == result.hint_commands == [result.hint]
    assert result.evidence["leftovers"][0]["reason"] == f"tagged lab={left.spec.lab.name}"
    assert fix(left, CHECK).status == "pass"


def test_fails_when_a_backup_outlives_its_table(scenario, fix):
    left = scenario("backup")
    result = left.run.get(CHECK)
    table = left.spec.dynamodb.table
    assert result.status == "fail"
    assert f"backup {table}-bak (of table {table}) of lab" in result.message
    assert result.hint == f"aws dynamodb delete-backup --backup-arn {left.facts['arn']} --region us-east-1"
    assert fix(left, CHECK).status == "pass"


def test_a_protected_table_gets_its_deletion_protection_turned_off_first(scenario, fix):
    left = scenario("protected_table")
    result = left.run.get(CHECK)
    table = left.spec.dynamodb.table
    assert result.status == "fail"
    assert result.hint == (
        f"aws dynamodb update-table --table-name {table} --no-deletion-protection-enabled --region us-east-1\n"
        f"aws dynamodb delete-table --table-name {table} --region us-east-1"
    )
    assert fix(left, CHECK).status == "pass"


def test_a_table_of_the_same_name_tagged_for_another_lab_is_not_this_labs(scenario):
    result = scenario("foreign_table").run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["leftovers"] == []


def test_a_deleting_table_is_pending():
    deleting = Leftover("dynamodb_table", "LabProducts", "us-east-1", "DELETING", "named in the lab spec", cost=FREE)
    inventory = Inventory("week8", ("lab", "week8"), ("us-east-1",), leftovers=[deleting])
    with pytest.raises(
        CheckPending, match=r"table LabProducts in us-east-1 \(DELETING\) of lab week8 is being deleted"
    ):
        load_check(CHECK)(cleanup_inventory=inventory)


def test_errors_when_the_endpoint_is_down(unreachable_run):
    result = unreachable_run.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
    assert "sandbox" in result.hint
