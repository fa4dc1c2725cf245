from __future__ import annotations

from typing import Any

import pytest

from labgrader.api import (
    DynamoDBSpec,
    ExercisesSpec,
    Hint,
    Passed,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    fail,
    lab_dataset,
    passed,
)


def addressable_by_lab_key(table: dict[str, Any], ddb: DynamoDBSpec) -> bool:
    """True when GetItem takes the lab's key (same key names and types, in whichever roles)."""
    wanted = {attr.name: attr.type for attr in (ddb.partition_key, ddb.sort_key) if attr is not None}
    found = {key.name: key.type for key in dynamodb_evaluation.actual_keys(table) if key is not None}
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
    updated: dict[lab_dataset.Key, dict[str, Any]] = {}
    raw_updates: dict[lab_dataset.Key, dict[str, Any]] = {}
    for exercise in exercises_spec.updated:
        key = lab_dataset.spec_key(exercise.key, ddb)
        raw_updates[key] = {name: lab_dataset.to_attribute_value(value) for name, value in exercise.attributes.items()}
        updated[key] = lab_dataset.to_python(raw_updates[key])
    deleted = [lab_dataset.spec_key(values, ddb) for values in exercises_spec.deleted]
    current: dict[lab_dataset.Key, dict[str, Any] | None] = {}
    if addressable_by_lab_key(table, ddb):
        for key in [*updated, *deleted]:
            answer = dynamodb.get_item(
                TableName=ddb.table, Key=lab_dataset.key_attribute_values(key, ddb), ConsistentRead=True
            )
            current[key] = lab_dataset.to_python(answer["Item"]) if "Item" in answer else None
    else:
        # Another key schema than the lab's: find the exercise items by the lab's key attributes in the Scan.
        scanned = request.getfixturevalue("table_items") or []
        by_lab_key = {lab_dataset.key_of(item, ddb.key_names): item for item in map(lab_dataset.to_python, scanned)}
        current = {key: by_lab_key.get(key) for key in [*updated, *deleted]}
    problems = dynamodb_evaluation.exercise_mismatches(ddb, current, updated, deleted)
    expected = [
        *(
            f"{dynamodb_evaluation.format_key(k)}: {', '.join(f'{n} = {v}' for n, v in attrs.items())}"
            for k, attrs in updated.items()
        ),
        *(f"{dynamodb_evaluation.format_key(k)}: deleted" for k in deleted),
    ]
    if problems:
        commands: list[str] = []
        note = None
        absent = {key for key in raw_updates if current.get(key) is None and lab_dataset.files_holding(ddb, {key})}
        if absent:
            # The conditional update only applies to an existing item: import it again first; the import resets
            # the file's other items, so every exercise is done again after it.
            commands = dynamodb_hints.batch_write_commands(
                ddb, lab_dataset.files_holding(ddb, absent)
            ) + dynamodb_hints.exercise_commands(ddb)
            note = (
                "The conditional update only applies to an item that exists: these commands import the file "
                "holding it again, then do every exercise again (the import resets the file's items)."
            )
        else:
            for key, attributes in raw_updates.items():
                item = current.get(key)
                if item is None or any(item.get(n) != v for n, v in updated[key].items()):
                    commands.append(
                        dynamodb_hints.update_item_cli(ddb, lab_dataset.key_attribute_values(key, ddb), attributes)
                    )
            commands.extend(
                dynamodb_hints.delete_item_cli(ddb, lab_dataset.key_attribute_values(key, ddb))
                for key in deleted
                if current.get(key) is not None
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
