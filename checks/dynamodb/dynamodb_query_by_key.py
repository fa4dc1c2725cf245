from __future__ import annotations

from typing import Any

from labgrader.check import check
from labgrader.dataset import Key, exercise_keys, to_attribute_value
from labgrader.dynamodb_reads import query_all
from labgrader.evaluate.dynamodb import between_query, key_set_difference, returned_keys, sample, sort_token
from labgrader.spec import DatasetSpec, DynamoDBSpec
from labgrader.verdict import Passed, fail, passed


@check(
    "dynamodb_query_by_key",
    points=2,
    objective="Query by partition key (and a sort-key range) returns exactly the lab's dataset items, in sort-key order.",
    hint="Import the whole dataset: aws dynamodb batch-write-item --request-items file://fixtures/data/batch/<category>.json",
    requires=("dynamodb",),
    aws_actions=("dynamodb:Query",),
)
def dynamodb_query_by_key(
    dataset_spec: DatasetSpec,
    ddb: DynamoDBSpec,
    keyed_table: dict[str, Any],
    dynamodb: Any,
    expected_items: dict[Key, dict[str, Any]],
) -> Passed:
    ignored = exercise_keys(ddb)  # present or not, dynamodb_exercise_state grades these
    pk, sk = ddb.partition_key.name, ddb.sort_key.name if ddb.sort_key else None
    partitions = sorted({item[pk] for item in expected_items.values()}, key=sort_token)
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
            expected_items,
            partition_name=pk,
            partition_value=value,
            sort_name=None,
            key_names=ddb.key_names,
            ignored=set(),
        )
        # Exercise items may or may not be there (dynamodb_exercise_state grades them): the count may differ by them.
        may_lack = sum(1 for k in ignored if k[0] == value and k in expected_items)
        may_have = sum(1 for k in ignored if k[0] == value and k not in expected_items)
        queries += 1
        observed[f"{pk} = {value}"] = count
        if not len(whole.expected) - may_lack <= count <= len(whole.expected) + may_have:
            problems.append(f"{pk} = {value} counts {count} items, expected {len(whole.expected)}")
            continue
        if sk is None:
            continue
        # 2. a sort-key range: exactly the dataset items between two of its values, ascending
        ranged = between_query(
            expected_items,
            partition_name=pk,
            partition_value=value,
            sort_name=sk,
            key_names=ddb.key_names,
            ignored=set(),
        )
        if not ranged.expected:
            continue
        items, count = query_all(
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
        keys = returned_keys(items, ddb.key_names)
        label = f"{pk} = {value} AND {sk} BETWEEN {ranged.low} AND {ranged.high}"
        observed[label] = count
        missing, unexpected = key_set_difference(keys, ranged.expected, ignored)
        if missing or unexpected or count != len(items):
            problems.append(
                f"{label} returned {count} items, expected {len(ranged.expected)}"
                + (f" (missing {sample(missing)})" if missing else "")
                + (f" (unexpected {sample(unexpected)})" if unexpected else "")
            )
        elif [k for k in keys if k not in ignored] != [k for k in ranged.expected if k not in ignored]:
            problems.append(f"{label} did not come back in ascending {sk} order")
    if problems:
        fail(
            f"DynamoDB table {ddb.table}: {'; '.join(problems)}.",
            call="dynamodb.query",
            observed=observed,
            expected="the lab's dataset items per key condition",
        )
    return passed(
        f"DynamoDB table {ddb.table}: {queries} key-condition queries over {len(partitions)} {pk} values returned "
        "exactly the dataset's items, in sort-key order.",
        call="dynamodb.query",
        observed=observed,
        expected="the lab's dataset items per key condition",
    )
