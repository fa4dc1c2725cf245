from __future__ import annotations

from typing import Any

from labgrader.api import (
    DatasetSpec,
    DynamoDBSpec,
    Hint,
    Passed,
    check,
    dynamodb_evaluation,
    dynamodb_lookups,
    fail,
    lab_dataset,
    passed,
)

# Partition values queried at most (the most populated first): a table keyed on a per-item attribute has one
# partition per item, and a few of them judge the queries as well as all of them.
MAX_PARTITIONS = 8


@check(
    "dynamodb_query_by_key",
    points=2,
    objective="Query by partition key (and a sort-key range) returns exactly the lab's dataset items, in sort-key order.",
    hint=Hint(
        note="The queries returned other items than the table holds: grade again (was the table changing?)."
        " If it persists, the endpoint does not behave like DynamoDB: grade on AWS or on the sandbox."
    ),
    requires=("dynamodb",),
    aws_actions=("dynamodb:Query",),
)
def dynamodb_query_by_key(
    dataset_spec: DatasetSpec,
    ddb: DynamoDBSpec,
    table: dict[str, Any],
    dynamodb: Any,
    items_as_they_are: dynamodb_evaluation.TableAsItIs,
) -> Passed:
    # Judged on the table as it is: its own keys and the items it holds (their keys and count are other checks').
    partition, sort = dynamodb_evaluation.actual_keys(table)
    assert partition is not None  # a table always has a partition key
    pk, sk = partition.name, sort.name if sort else None
    items = items_as_they_are.items
    key_names = list(items_as_they_are.key_names)
    ignored = items_as_they_are.ignored
    populations: dict[Any, int] = {}
    for item in items.values():
        if pk in item:
            populations[item[pk]] = populations.get(item[pk], 0) + 1
    partitions = sorted(populations, key=lambda v: (-populations[v], dynamodb_evaluation.sort_token(v)))[
        :MAX_PARTITIONS
    ]
    others_in: dict[Any, int] = {}
    for other in items_as_they_are.others:
        if pk in other:
            others_in[other[pk]] = others_in.get(other[pk], 0) + 1
    problems: list[str] = []
    observed: dict[str, Any] = {}
    queries = 0
    for value in partitions:
        names = {"#pk": pk}
        values = {":pk": lab_dataset.to_attribute_value(value)}
        # 1. the whole partition, counted
        _items, count = dynamodb_lookups.query_all(
            dynamodb,
            TableName=ddb.table,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            Select="COUNT",
            ConsistentRead=True,
        )
        whole = dynamodb_evaluation.between_query(
            items, partition_name=pk, partition_value=value, sort_name=None, key_names=key_names, ignored=set()
        )
        queries += 1
        observed[f"{pk} = {value}"] = count
        # Items of another shape in the partition count too (dynamodb_items_well_formed judges them).
        if not len(whole.expected) <= count <= len(whole.expected) + others_in.get(value, 0):
            problems.append(f"{pk} = {value} counts {count} items, expected {len(whole.expected)}")
            continue
        if sk is None:
            continue
        # 2. a sort-key range: exactly the items between two of its values, ascending
        ranged = dynamodb_evaluation.between_query(
            items, partition_name=pk, partition_value=value, sort_name=sk, key_names=key_names, ignored=set()
        )
        if not ranged.expected:
            continue
        found, count = dynamodb_lookups.query_all(
            dynamodb,
            TableName=ddb.table,
            KeyConditionExpression="#pk = :pk AND #sk BETWEEN :low AND :high",
            ExpressionAttributeNames={**names, "#sk": sk},
            ExpressionAttributeValues={
                **values,
                ":low": lab_dataset.to_attribute_value(ranged.low),
                ":high": lab_dataset.to_attribute_value(ranged.high),
            },
            ConsistentRead=True,
        )
        queries += 1
        keys = dynamodb_evaluation.returned_keys(found, key_names)
        label = f"{pk} = {value} AND {sk} BETWEEN {ranged.low} AND {ranged.high}"
        observed[label] = count
        missing, unexpected = dynamodb_evaluation.key_set_difference(keys, ranged.expected, ignored)
        if missing or unexpected or count != len(found):
            problems.append(
                f"{label} returned {count} items, expected {len(ranged.expected)}"
                + (f" (missing {dynamodb_evaluation.sample(missing)})" if missing else "")
                + (f" (unexpected {dynamodb_evaluation.sample(unexpected)})" if unexpected else "")
            )
        elif [k for k in keys if k not in ignored] != list(ranged.expected):
            problems.append(f"{label} did not come back in ascending {sk} order")
    if problems:
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(problems)}.",
            call="dynamodb.query",
            observed=observed,
            expected="the table's items per key condition",
        )
    return passed(
        f"DynamoDB table {ddb.table}: {queries} key-condition queries over {len(partitions)} {pk} values returned "
        "exactly the table's items, in sort-key order.",
        call="dynamodb.query",
        observed=observed,
        expected="the table's items per key condition",
    )
