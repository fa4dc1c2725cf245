from __future__ import annotations

from typing import Any

from labgrader.api import (
    DatasetSpec,
    DynamoDBSpec,
    Hint,
    Passed,
    SecondaryIndex,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    dynamodb_lookups,
    dynamodb_scratch,
    fail,
    lab_dataset,
    not_applicable,
    passed,
    pending,
)


@check(
    "dynamodb_query_gsi",
    points=2,
    objective="Querying each GSI of the lab returns exactly the dataset items its key condition selects, in index sort order.",
    hint=Hint(
        note="The index queries returned other items than the table holds: grade again once every index is ACTIVE."
        " If it persists, the endpoint does not behave like DynamoDB: grade on AWS or on the sandbox."
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:Query",),
)
def dynamodb_query_gsi(
    *,
    dataset_spec: DatasetSpec,
    gsi_specs: list[SecondaryIndex],
    ddb: DynamoDBSpec,
    table: dict[str, Any],
    dynamodb: Any,
    items_as_they_are: dynamodb_evaluation.TableAsItIs,
) -> Passed:
    # Judged on the table as it is: the items it holds predict what each index returns.
    expected_items = items_as_they_are.items
    ignored = items_as_they_are.ignored
    key_names = list(items_as_they_are.key_names)
    queried = [
        i for i in gsi_specs if i.partition_key and any(i.partition_key.name in it for it in expected_items.values())
    ]
    if not queried:
        not_applicable("no GSI of the lab spec is keyed on an attribute of the dataset")
    problems: list[str] = []
    observed: dict[str, Any] = {}
    for index in queried:
        assert index.partition_key is not None
        finding = dynamodb_evaluation.index_finding(table, ddb, index, "GSI")
        # Only an index that is missing, keyed otherwise or being deleted cannot be queried; another projection
        # still returns the keys (dynamodb_gsi_configured judges the projection, once).
        cannot_query = [p for p in finding.problems if not p.startswith("projection is")]
        if finding.state == "missing" or cannot_query:
            state = "missing" if finding.state == "missing" else f"not the lab's ({', '.join(cannot_query)})"
            fix = (
                Hint(tuple(dynamodb_hints.gsi_create_commands(ddb, index)))
                if finding.state == "missing"
                else dynamodb_hints.gsi_replace_hint(ddb, index)
            )
            fail(
                f"DynamoDB table {ddb.table}: GSI {index.name} is {state}, so it cannot be queried "
                "(prerequisite: dynamodb_gsi_configured).",
                call="dynamodb.describe_table",
                observed=finding.observed,
                expected=index.name,
                hint=fix,
            )
        found = dynamodb_evaluation.find_index(table, "GSI", index.name) or {}
        if finding.state == "pending" or found.get("IndexStatus") == "CREATING" or found.get("Backfilling"):
            pending(
                f"DynamoDB table {ddb.table}: GSI {index.name} is {finding.observed}, so its query results are not "
                "complete yet.",
                call="dynamodb.describe_table",
                observed=finding.observed,
                expected="ACTIVE",
            )
        pk = index.partition_key.name
        sk = index.sort_key.name if index.sort_key else None
        value = dynamodb_evaluation.most_common_value(expected_items, pk, set())
        candidates = {k: i for k, i in expected_items.items() if i.get(pk) == value}
        condition, names, values = "#pk = :pk", {"#pk": pk}, {":pk": lab_dataset.to_attribute_value(value)}
        label = f"{pk} = {value}"
        if sk is not None:
            threshold = dynamodb_evaluation.median_value(i[sk] for i in candidates.values() if sk in i)
            candidates = {
                k: i
                for k, i in candidates.items()
                if sk in i and dynamodb_evaluation.sort_token(i[sk]) >= dynamodb_evaluation.sort_token(threshold)
            }
            condition += " AND #sk >= :low"
            names["#sk"] = sk
            values[":low"] = lab_dataset.to_attribute_value(threshold)
            label += f" AND {sk} >= {threshold}"
        # Grader scratch items (of any run) may carry dataset-like index keys: the filter leaves them out.
        scratch_condition, scratch_names, scratch_values = dynamodb_scratch.scratch_filter(table)
        filtering = {"FilterExpression": scratch_condition} if scratch_condition else {}
        items, count = dynamodb_lookups.query_all(
            dynamodb,
            TableName=ddb.table,
            IndexName=index.name,
            KeyConditionExpression=condition,
            ExpressionAttributeNames={**names, **scratch_names},
            ExpressionAttributeValues={**values, **scratch_values},
            **filtering,
        )
        observed[f"{index.name}: {label}"] = count
        keys = dynamodb_evaluation.returned_keys(items, key_names)
        missing, unexpected = dynamodb_evaluation.key_set_difference(keys, candidates, ignored)
        if missing or unexpected or count != len(items):
            problems.append(
                f"GSI {index.name} {label} returned {count} items, expected {len(candidates)}"
                + (f" (missing {dynamodb_evaluation.sample(missing)})" if missing else "")
                + (f" (unexpected {dynamodb_evaluation.sample(unexpected)})" if unexpected else "")
            )
        elif sk is not None and not dynamodb_evaluation.is_ascending(
            [lab_dataset.to_python({sk: it[sk]})[sk] for it in items if sk in it]
        ):
            problems.append(f"GSI {index.name} {label} did not come back in ascending {sk} order")
    if problems:
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(problems)}.",
            call="dynamodb.query(IndexName=...)",
            observed=observed,
            expected="the dataset items each index key condition selects",
        )
    return passed(
        f"DynamoDB table {ddb.table}: {'; '.join(f'GSI {k} returned {v} items' for k, v in observed.items())}, "
        "exactly the dataset's, in index order.",
        call="dynamodb.query(IndexName=...)",
        observed=observed,
        expected="the dataset items each index key condition selects",
    )
