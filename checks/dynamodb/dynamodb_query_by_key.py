from __future__ import annotations

from typing import Any

from labgrader.dataset import to_attribute_value
from labgrader.engine.check import check
from labgrader.engine.verdict import Hint, Passed, fail, passed
from labgrader.services.dynamodb.evaluation import (
    TableAsItIs,
    actual_keys,
    between_query,
    key_set_difference,
    returned_keys,
    sample,
    sort_token,
)
from labgrader.services.dynamodb.lookups import query_all
from labgrader.spec import DatasetSpec, DynamoDBSpec

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
    items_as_they_are: TableAsItIs,
) -> Passed:
    # Judged on the table as it is: its own keys and the items it holds (their keys and count are other checks').
    partition, sort = actual_keys(table)
    assert partition is not None  # a table always has a partition key
    pk, sk = partition.name, sort.name if sort else None
    items = items_as_they_are.items
    key_names = list(items_as_they_are.key_names)
    ignored = items_as_they_are.ignored
    populations: dict[Any, int] = {}
    for item in items.values():
        if pk in item:
            populations[item[pk]] = populations.get(item[pk], 0) + 1
    partitions = sorted(populations, key=lambda v: (-populations[v], sort_token(v)))[:MAX_PARTITIONS]
    others_in: dict[Any, int] = {}
    for other in items_as_they_are.others:
        if pk in other:
            others_in[other[pk]] = others_in.get(other[pk], 0) + 1
    problems: list[str] = []
    observed: dict[str, Any] = {}
    queries = 0
    for value in partitions:
        names = {"#pk": pk}
        values = {":pk": to_attribute_value(value)}
        # 1. the whole partition, counted
        _items, count = query_all(
            dynamodb,
            TableName=ddb.table,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            Select="COUNT",
            ConsistentRead=True,
        )
        whole = between_query(
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
        ranged = between_query(
            items, partition_name=pk, partition_value=value, sort_name=sk, key_names=key_names, ignored=set()
        )
        if not ranged.expected:
            continue
        found, count = query_all(
            dynamodb,
            TableName=ddb.table,
            KeyConditionExpression="#pk = :pk AND #sk BETWEEN :low AND :high",
            ExpressionAttributeNames={**names, "#sk": sk},
            ExpressionAttributeValues={
                **values,
                ":low": to_attribute_value(ranged.low),
                ":high": to_attribute_value(ranged.high),
            },
            ConsistentRead=True,
        )
        queries += 1
        keys = returned_keys(found, key_names)
        label = f"{pk} = {value} AND {sk} BETWEEN {ranged.low} AND {ranged.high}"
        observed[label] = count
        missing, unexpected = key_set_difference(keys, ranged.expected, ignored)
        if missing or unexpected or count != len(found):
            problems.append(
                f"{label} returned {count} items, expected {len(ranged.expected)}"
                + (f" (missing {sample(missing)})" if missing else "")
                + (f" (unexpected {sample(unexpected)})" if unexpected else "")
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
