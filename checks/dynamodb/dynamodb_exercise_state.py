from __future__ import annotations

from typing import Any

import pytest

from labgrader.dataset import Key, files_holding, key_attribute_values, key_of, spec_key, to_attribute_value, to_python
from labgrader.engine.check import check
from labgrader.engine.verdict import Hint, Passed, fail, passed
from labgrader.services.dynamodb.evaluation import actual_keys, exercise_mismatches, format_key
from labgrader.services.dynamodb.hints import batch_write_commands, delete_item_cli, exercise_commands, update_item_cli
from labgrader.spec import DynamoDBSpec, ExercisesSpec


def addressable_by_lab_key(table: dict[str, Any], ddb: DynamoDBSpec) -> bool:
    """True when GetItem takes the lab's key (same key names and types, in whichever roles)."""
    wanted = {attr.name: attr.type for attr in (ddb.partition_key, ddb.sort_key) if attr is not None}
    found = {key.name: key.type for key in actual_keys(table) if key is not None}
    return found == wanted


@check(
    "dynamodb_exercise_state",
    points=3,
    objective="The table shows the end state of the lab's exercises (a conditional UpdateItem, a DeleteItem).",
    hint=Hint(note="Do the lab's exercises: a conditional update-item and a delete-item on the lab's items."),
    requires=("dynamodb",),
    aws_actions=("dynamodb:GetItem", "dynamodb:Scan"),
)
def dynamodb_exercise_state(
    exercises_spec: ExercisesSpec,
    ddb: DynamoDBSpec,
    table: dict[str, Any],
    dynamodb: Any,
    request: pytest.FixtureRequest,
) -> Passed:
    updated: dict[Key, dict[str, Any]] = {}
    raw_updates: dict[Key, dict[str, Any]] = {}
    for exercise in exercises_spec.updated:
        key = spec_key(exercise.key, ddb)
        raw_updates[key] = {name: to_attribute_value(value) for name, value in exercise.attributes.items()}
        updated[key] = to_python(raw_updates[key])
    deleted = [spec_key(values, ddb) for values in exercises_spec.deleted]
    current: dict[Key, dict[str, Any] | None] = {}
    if addressable_by_lab_key(table, ddb):
        for key in [*updated, *deleted]:
            answer = dynamodb.get_item(TableName=ddb.table, Key=key_attribute_values(key, ddb), ConsistentRead=True)
            current[key] = to_python(answer["Item"]) if "Item" in answer else None
    else:
        # Another key schema than the lab's: find the exercise items by the lab's key attributes in the Scan.
        scanned = request.getfixturevalue("table_items") or []
        by_lab_key = {key_of(item, ddb.key_names): item for item in map(to_python, scanned)}
        current = {key: by_lab_key.get(key) for key in [*updated, *deleted]}
    problems = exercise_mismatches(ddb, current, updated, deleted)
    expected = [
        *(f"{format_key(k)}: {', '.join(f'{n} = {v}' for n, v in attrs.items())}" for k, attrs in updated.items()),
        *(f"{format_key(k)}: deleted" for k in deleted),
    ]
    if problems:
        commands: list[str] = []
        note = None
        absent = {key for key in raw_updates if current.get(key) is None and files_holding(ddb, {key})}
        if absent:
            # The conditional update only applies to an existing item: import it again first; the import resets
            # the file's other items, so every exercise is done again after it.
            commands = batch_write_commands(ddb, files_holding(ddb, absent)) + exercise_commands(ddb)
            note = (
                "The conditional update only applies to an item that exists: these commands import the file "
                "holding it again, then do every exercise again (the import resets the file's items)."
            )
        else:
            for key, attributes in raw_updates.items():
                item = current.get(key)
                if item is None or any(item.get(n) != v for n, v in updated[key].items()):
                    commands.append(update_item_cli(ddb, key_attribute_values(key, ddb), attributes))
            commands.extend(
                delete_item_cli(ddb, key_attribute_values(key, ddb)) for key in deleted if current.get(key) is not None
            )
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(problems)}.",
            call="dynamodb.get_item",
            observed=problems,
            expected=expected,
            hint=Hint(tuple(commands), note) if commands else None,
        )
    return passed(
        f"DynamoDB table {ddb.table} shows the lab's exercises done ({'; '.join(expected)}).",
        call="dynamodb.get_item",
        observed="as expected",
        expected=expected,
    )
