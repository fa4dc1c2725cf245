"""Reference solution, DynamoDB part: table with GSI + LSI, TTL, stream, PITR, the dataset, the exercises."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from labgrader.batch_files import load_put_items
from labgrader.dataset import to_attribute_value
from labgrader.spec import DynamoDBSpec, KeyAttribute, LabSpec, SecondaryIndex

Log = Callable[[str], None]
BATCH_LIMIT = 25  # BatchWriteItem accepts at most 25 requests per call


def _key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def index_request(index: SecondaryIndex, table_partition: KeyAttribute) -> dict[str, Any]:
    """One entry of CreateTable's GlobalSecondaryIndexes/LocalSecondaryIndexes (or of a GSI `Create` update)."""
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.partition_key or table_partition, index.sort_key),
        "Projection": {"ProjectionType": index.projection},
    }


def create_table_request(spec: DynamoDBSpec) -> dict[str, Any]:
    attributes: dict[str, str] = {}
    for _label, attr in spec.key_attributes():
        attributes[attr.name] = attr.type
    request: dict[str, Any] = {
        "TableName": spec.table,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.gsi:
        request["GlobalSecondaryIndexes"] = [index_request(i, spec.partition_key) for i in spec.gsi]
    if spec.lsi:
        request["LocalSecondaryIndexes"] = [index_request(i, spec.partition_key) for i in spec.lsi]
    if spec.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream.view_type}
    return request


def apply(lab: LabSpec, client: Any, log: Log) -> None:
    spec = lab.dynamodb
    assert spec is not None
    tag_key, tag_value = lab.cleanup_tag
    try:
        client.describe_table(TableName=spec.table)
        log(f"dynamodb: table {spec.table} exists")
    except client.exceptions.ResourceNotFoundException:
        request = create_table_request(spec)
        request["Tags"] = [{"Key": tag_key, "Value": tag_value}]
        client.create_table(**request)
        log(f"dynamodb: created table {spec.table}")
    client.get_waiter("table_exists").wait(TableName=spec.table, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
    if spec.ttl:
        current = client.describe_time_to_live(TableName=spec.table)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=spec.table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl.attribute},
            )
            log(f"dynamodb: TTL enabled on {spec.ttl.attribute}")
    if spec.pitr:
        client.update_continuous_backups(
            TableName=spec.table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    if spec.dataset:
        count = import_dataset(client, spec.table, load_put_items(spec.dataset.path))
        log(f"dynamodb: imported {count} items from {spec.dataset.path}")
    if spec.exercises:
        do_exercises(client, spec)
        log("dynamodb: exercises done (conditional update, delete)")


def import_dataset(client: Any, table: str, items: list[dict[str, Any]], max_attempts: int = 8) -> int:
    """BatchWriteItem in chunks of 25, retrying UnprocessedItems with backoff."""
    for start in range(0, len(items), BATCH_LIMIT):
        requests = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_LIMIT]]}
        for attempt in range(max_attempts):
            unprocessed = client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
            if not unprocessed:
                break
            requests = unprocessed
            time.sleep(min(0.05 * 2**attempt, 2.0))
        else:
            raise RuntimeError(f"BatchWriteItem left items unprocessed after {max_attempts} attempts")
    return len(items)


def do_exercises(client: Any, spec: DynamoDBSpec) -> None:
    assert spec.exercises is not None
    for updated in spec.exercises.updated:
        names = {f"#a{i}": name for i, name in enumerate(updated.attributes)}
        values = {f":v{i}": to_attribute_value(v) for i, v in enumerate(updated.attributes.values())}
        client.update_item(
            TableName=spec.table,
            Key={name: to_attribute_value(v) for name, v in updated.key.items()},
            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names))),
            # The lab's exercise: the update only applies to an item that exists.
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={**names, "#pk": spec.partition_key.name},
            ExpressionAttributeValues=values,
        )
    for deleted in spec.exercises.deleted:
        client.delete_item(TableName=spec.table, Key={name: to_attribute_value(v) for name, v in deleted.items()})
