from __future__ import annotations

import pytest

from labgrader import paths
from tests.checks.dynamodb.helpers import dataset_items, fill

CHECK = "dynamodb_dataset_imported"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 3
    assert "99 items counted with Scan Select=COUNT, expected 99 after the exercises" in result.message


@pytest.mark.usefixtures("student_folder")
def test_fails_on_half_the_dataset_and_its_hint_fixes_it(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table(dataset=None, exercises=None)
    fill(ddb_client, spec, dataset_items(spec)[:50])  # books and games only
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message.startswith(f"DynamoDB table {spec.dynamodb.table} holds 49 items; expected the 99")
    assert "50 are missing (music/MU-0001, music/MU-0002, music/MU-0003 and 47 more)" in result.message
    # The shipped files name LabProducts: for a table named otherwise the hint regenerates them first, in a
    # temporary folder, by the installed package's absolute path.
    generator = (paths.fixtures_dir() / "data" / "generate_batch.py").resolve()
    (command,) = result.hint_commands
    assert command.startswith(
        f'batch="$(mktemp -d)" && python3 {generator} --table {spec.dynamodb.table} --out "$batch" && '
    )
    assert command.count("batch-write-item") == 2  # music.json and tools.json
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_on_an_empty_table(local_target, lab_table, grade):
    spec = lab_table(dataset=None, exercises=None)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "holds 0 items" in result.message
    assert "98 are missing" in result.message


def test_fails_when_one_item_is_missing(local_target, lab_table, ddb_client, grade):
    spec = lab_table()
    ddb_client.delete_item(TableName=spec.dynamodb.table, Key={"category": {"S": "tools"}, "sku": {"S": "TL-0025"}})
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "holds 98 items" in result.message
    assert "1 are missing (tools/TL-0025)" in result.message


def test_leaves_undone_exercises_to_the_exercise_check(local_target, lab_table, grade):
    spec = lab_table(exercises=None)  # 100 items: GM-0013 still there, BK-0007 at its old price
    run = grade(spec, local_target, only={CHECK, "dynamodb_exercise_state"})
    assert run.get(CHECK).status == "pass", run.get(CHECK).message
    assert run.get("dynamodb_exercise_state").status == "fail"


def test_extra_items_are_reported_not_failed(local_target, lab_table, ddb_client, grade):
    spec = lab_table()
    ddb_client.put_item(TableName=spec.dynamodb.table, Item={"category": {"S": "books"}, "sku": {"S": "BK-9999"}})
    result = grade(spec, local_target, only={CHECK})
    assert result.get(CHECK).status == "pass"
    assert "plus 1 items not in the dataset (books/BK-9999)" in result.get(CHECK).message


def test_never_counts_scratch_items_of_another_run(local_target, lab_table, ddb_client, grade):
    spec = lab_table(dataset=None, exercises=None)
    fill(ddb_client, spec, dataset_items(spec)[:98])  # two items short...
    for n in range(5):  # ...which a concurrent run's scratch items must not make up for
        ddb_client.put_item(
            TableName=spec.dynamodb.table,
            Item={"category": {"S": f"__labgrader__0badc0de#other{n}"}, "sku": {"S": "item-0001"}},
        )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "holds 97 items" in result.message


def test_counts_a_table_keyed_otherwise_as_it_is(local_target, lab_table, grade):
    """Another sort key name is dynamodb_table_keys_match's to fail: the (empty) table is still counted."""
    from labgrader.spec import KeyAttribute

    spec = lab_table(data=False, gsi=[], lsi=[], sort_key=KeyAttribute(name="SKU", type="S"))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "holds 0 items" in result.message
    assert "prerequisite" not in result.message
