from __future__ import annotations

from typing import Any

from labgrader.api import (
    DatasetSpec,
    DynamoDBSpec,
    Hint,
    Passed,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    fail,
    lab_dataset,
    passed,
)


def fix_hint(
    ddb: DynamoDBSpec, keys: set[lab_dataset.Key], expected_items: dict[lab_dataset.Key, dict[str, Any]]
) -> Hint:
    """Re-import the dataset files holding the items (the shipped files carry the right types); delete the items
    that are not in the dataset."""
    return dynamodb_hints.reimport_hint(ddb, keys, keys - set(expected_items) - lab_dataset.exercise_keys(ddb))


@check(
    "dynamodb_items_well_formed",
    points=2,
    objective="Every item carries the lab's attributes with the lab's types, and enough items carry the TTL attribute as a Number.",
    hint=Hint(
        (
            'for f in {lab.dynamodb.dataset.path}/*.json; do aws dynamodb batch-write-item --request-items "file://$f"; done',
        ),
        "Import the lab's dataset again: its files carry the lab's attributes and types.",
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:Scan",),
)
def dynamodb_items_well_formed(
    dataset_spec: DatasetSpec,
    ddb: DynamoDBSpec,
    table: dict[str, Any],
    table_items: list[dict[str, Any]] | None,
    expected_items: dict[lab_dataset.Key, dict[str, Any]],
) -> Passed:
    items = table_items or []
    attributes = dataset_spec.attributes
    expected = ", ".join(f"{name} ({kind})" for name, kind in attributes.items())
    if not items:
        fail(
            f"DynamoDB table {ddb.table} holds no item, so the items' shapes cannot be judged (prerequisite: "
            "dynamodb_dataset_imported).",
            call="dynamodb.scan",
            observed="0 items",
            expected=expected,
            hint=fix_hint(ddb, set(expected_items), expected_items),
        )
    problems = dynamodb_evaluation.item_type_problems(items, attributes, ddb.key_names)
    if problems:
        first = min(problems, key=lambda k: tuple(str(p) for p in k))
        fail(
            f"DynamoDB table {ddb.table}: {len(problems)} of {len(items)} items do not carry the lab's attributes "
            f"and types ({dynamodb_evaluation.format_key(first)}: {', '.join(problems[first])}).",
            call="dynamodb.scan",
            observed={
                dynamodb_evaluation.format_key(k): v
                for k, v in sorted(problems.items(), key=lambda kv: dynamodb_evaluation.format_key(kv[0]))[:10]
            },
            expected=expected,
            hint=fix_hint(ddb, set(problems), expected_items),
            extra={"malformed_items": len(problems)},
        )
    ttl_note = ""
    if ddb.ttl is not None and dataset_spec.min_items_with_ttl:
        name = ddb.ttl.attribute
        as_number = [i for i in items if name in i and dynamodb_evaluation.attribute_type(i[name]) == "N"]
        others = [i for i in items if name in i and dynamodb_evaluation.attribute_type(i[name]) != "N"]
        # Judged on the items that are there: a missing item is dynamodb_dataset_imported's to count, once.
        present = {dynamodb_evaluation.item_key(i, ddb.key_names) for i in items}
        carriers = [k for k, i in expected_items.items() if name in i]
        present_carriers = [k for k in carriers if k in present]
        wanted = min(dataset_spec.min_items_with_ttl, len(present_carriers))
        if len(as_number) < wanted:
            kinds = sorted({dynamodb_evaluation.type_name(dynamodb_evaluation.attribute_type(i[name])) for i in others})
            stored = f" ({len(others)} hold it as {' or '.join(kinds)})" if others else ""
            of_present = (
                f" (of the {len(present_carriers)} dataset items present that carry it)"
                if wanted < dataset_spec.min_items_with_ttl
                else ""
            )
            fail(
                f"DynamoDB table {ddb.table}: {len(as_number)} items carry {name} as a Number{stored}; expected at "
                f"least {wanted}{of_present}.",
                call="dynamodb.scan",
                observed=f"{len(as_number)} items with {name} (N)",
                expected=f"≥ {wanted} items with {name} (N)",
                hint=fix_hint(ddb, set(carriers), expected_items),
            )
        ttl_note = f"; {len(as_number)} carry {name} as a Number"
    return passed(
        f"DynamoDB table {ddb.table}: all {len(items)} items carry {expected}{ttl_note}.",
        call="dynamodb.scan",
        observed=f"{len(items)} well-formed items{ttl_note}",
        expected=expected,
    )
