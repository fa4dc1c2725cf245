from __future__ import annotations

from typing import Any

from labgrader.api import (
    DatasetSpec,
    DynamoDBSpec,
    Hint,
    Passed,
    check,
    could_not_look,
    dynamodb_evaluation,
    dynamodb_scratch,
    fail,
    lab_dataset,
    not_applicable,
    passed,
)


def choose_filter(ddb: DynamoDBSpec, dataset: DatasetSpec) -> tuple[str, str, str]:
    """(filter attribute, its type, one more attribute to project): a Number attribute no index is keyed on
    (filtered with `<` its median), else any Number, else a String (filtered with `=` its commonest value)."""
    keys = {attr.name for _label, attr in ddb.key_attributes()}
    plain = [(n, t) for n, t in dataset.attributes.items() if n not in keys]
    numbers = [(n, t) for n, t in plain if t == "N"] or [(n, t) for n, t in dataset.attributes.items() if t == "N"]
    strings = [(n, t) for n, t in plain if t == "S"]
    chosen = (numbers or strings or [(None, None)])[0]
    if chosen[0] is None:
        not_applicable("the lab's dataset declares no String or Number attribute to filter on")
    other = next((n for n, _t in strings if n != chosen[0]), chosen[0])
    return str(chosen[0]), str(chosen[1]), other


@check(
    "dynamodb_scan_filter_projection",
    points=2,
    objective="A Scan with a FilterExpression and a ProjectionExpression returns the matching dataset items with only the projected attributes (Count below ScannedCount, consumed capacity reported).",
    hint=Hint(
        note="The Scan returned other items or attributes than its filter and projection select: grade again (was "
        "the table changing?)."
        " If it persists, the endpoint does not behave like DynamoDB: grade on AWS or on the sandbox."
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:Scan",),
)
def dynamodb_scan_filter_projection(
    dataset_spec: DatasetSpec,
    ddb: DynamoDBSpec,
    table: dict[str, Any],
    dynamodb: Any,
    items_as_they_are: dynamodb_evaluation.TableAsItIs,
) -> Passed:
    # Judged on the table as it is: the items it holds predict what the Scan returns.
    expected_items = items_as_they_are.items
    ignored = items_as_they_are.ignored
    key_names = list(items_as_they_are.key_names)
    attribute, kind, other = choose_filter(ddb, dataset_spec)
    candidates = {k: i for k, i in expected_items.items() if attribute in i}
    if kind == "N":
        threshold = dynamodb_evaluation.median_value(i[attribute] for i in candidates.values())
        wanted = {
            k
            for k, i in candidates.items()
            if dynamodb_evaluation.sort_token(i[attribute]) < dynamodb_evaluation.sort_token(threshold)
        }
        condition, label = "#f < :v", f"{attribute} < {threshold}"
    else:
        threshold = dynamodb_evaluation.most_common_value(expected_items, attribute, set())
        wanted = {k for k, i in candidates.items() if i[attribute] == threshold}
        condition, label = "#f = :v", f"{attribute} = {threshold!r}"
    projection = list(dict.fromkeys([*key_names, attribute, other]))
    names = {f"#a{n}": name for n, name in enumerate(projection)}
    scratch_condition, scratch_names, scratch_values = dynamodb_scratch.scratch_filter(table)
    names.update({"#f": attribute, **scratch_names})
    count = scanned = pages = 0
    units = 0.0
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=ddb.table,
        FilterExpression=f"{condition} AND {scratch_condition}" if scratch_condition else condition,
        ProjectionExpression=", ".join(names_key for names_key in names if names_key.startswith("#a")),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":v": lab_dataset.to_attribute_value(threshold), **scratch_values},
        ReturnConsumedCapacity="TOTAL",
    ):
        pages += 1
        count += page["Count"]
        scanned += page["ScannedCount"]
        items.extend(page.get("Items", []))
        capacity = page.get("ConsumedCapacity") or {}
        if "CapacityUnits" not in capacity:
            could_not_look("DynamoDB answered Scan without the ConsumedCapacity it was asked for.")
        units += float(capacity["CapacityUnits"])
    observed = {"Count": count, "ScannedCount": scanned, "pages": pages, "ConsumedCapacity": units}
    at_least = len(expected_items)  # every well-formed item is read
    expected = {"Count": len(wanted), "ScannedCount": f"≥ {at_least} and > Count", "attributes": projection}
    problems = []
    missing, unexpected = dynamodb_evaluation.key_set_difference(
        dynamodb_evaluation.returned_keys(items, key_names), wanted, ignored
    )
    if missing or unexpected or count != len(items):
        problems.append(
            f"FilterExpression {label} matched {count} items, expected {len(wanted)}"
            + (f" (missing {dynamodb_evaluation.sample(missing)})" if missing else "")
            + (f" (unexpected {dynamodb_evaluation.sample(unexpected)})" if unexpected else "")
        )
    if scanned < at_least or scanned <= count:
        problems.append(
            f"ScannedCount is {scanned} for Count {count}; expected the whole table read (at least {at_least} items)"
        )
    outside = sorted({name for item in items for name in item} - set(projection))
    if outside:
        problems.append(f"items came back with attributes outside the projection ({', '.join(outside)})")
    if problems:
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(problems)}.",
            call="dynamodb.scan(FilterExpression, ProjectionExpression)",
            observed=observed,
            expected=expected,
        )
    return passed(
        f"DynamoDB table {ddb.table}: Scan filtered on {label} returned Count {count} of ScannedCount {scanned} with "
        f"only {', '.join(projection)}, consumed capacity reported ({units:g} units, {pages} page(s)).",
        call="dynamodb.scan(FilterExpression, ProjectionExpression)",
        observed=observed,
        expected=expected,
    )
