"""API answers shaped exactly like the AWS API reference (DescribeTable, DescribeTimeToLive, DescribeStream,
DescribeContinuousBackups), for verdicts the sandbox cannot produce on demand (CREATING, ENABLING, ...)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

CREATED = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
TABLE_ARN = "arn:aws:dynamodb:us-east-1:111122223333:table/LabProducts"
STREAM_LABEL = "2026-11-02T08:30:00.000"
STREAM_ARN = f"{TABLE_ARN}/stream/{STREAM_LABEL}"


def describe_table() -> dict[str, Any]:
    """DescribeTable → Table of the week-8 table as AWS answers for an on-demand table (DescribeTable reference)."""
    return copy.deepcopy(
        {
            "AttributeDefinitions": [
                {"AttributeName": "brand", "AttributeType": "S"},
                {"AttributeName": "category", "AttributeType": "S"},
                {"AttributeName": "price", "AttributeType": "N"},
                {"AttributeName": "rating", "AttributeType": "N"},
                {"AttributeName": "sku", "AttributeType": "S"},
            ],
            "TableName": "LabProducts",
            "KeySchema": [
                {"AttributeName": "category", "KeyType": "HASH"},
                {"AttributeName": "sku", "KeyType": "RANGE"},
            ],
            "TableStatus": "ACTIVE",
            "CreationDateTime": CREATED,
            "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
            "TableSizeBytes": 16384,
            "ItemCount": 99,
            "TableArn": TABLE_ARN,
            "TableId": "3b3c5f1e-8a2b-4c8e-9f6d-2a1b0c9d8e7f",
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": CREATED},
            "LocalSecondaryIndexes": [
                {
                    "IndexName": "category-rating-index",
                    "KeySchema": [
                        {"AttributeName": "category", "KeyType": "HASH"},
                        {"AttributeName": "rating", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                    "IndexSizeBytes": 16384,
                    "ItemCount": 99,
                    "IndexArn": f"{TABLE_ARN}/index/category-rating-index",
                }
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "brand-price-index",
                    "KeySchema": [
                        {"AttributeName": "brand", "KeyType": "HASH"},
                        {"AttributeName": "price", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                    "IndexStatus": "ACTIVE",
                    "ProvisionedThroughput": {
                        "NumberOfDecreasesToday": 0,
                        "ReadCapacityUnits": 0,
                        "WriteCapacityUnits": 0,
                    },
                    "IndexSizeBytes": 16384,
                    "ItemCount": 99,
                    "IndexArn": f"{TABLE_ARN}/index/brand-price-index",
                    "WarmThroughput": {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"},
                }
            ],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "LatestStreamLabel": STREAM_LABEL,
            "LatestStreamArn": STREAM_ARN,
            "DeletionProtectionEnabled": False,
            "WarmThroughput": {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"},
        }
    )


def gsi_being_created(backfilling: bool) -> dict[str, Any]:
    """DescribeTable right after `update-table --global-secondary-index-updates Create`: the index CREATING,
    Backfilling while it copies the existing items (no IndexSizeBytes/ItemCount yet)."""
    table = describe_table()
    index = table["GlobalSecondaryIndexes"][0]
    index["IndexStatus"] = "CREATING"
    index["Backfilling"] = backfilling
    for field in ("IndexSizeBytes", "ItemCount", "WarmThroughput"):
        index.pop(field)
    return table


def provisioned_without_billing_summary(read: int, write: int, gsi: tuple[int, int]) -> dict[str, Any]:
    """A provisioned table created without BillingMode: AWS leaves BillingModeSummary out."""
    table = describe_table()
    del table["BillingModeSummary"]
    table["ProvisionedThroughput"] = {
        "LastIncreaseDateTime": CREATED,
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": read,
        "WriteCapacityUnits": write,
    }
    table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] = {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": gsi[0],
        "WriteCapacityUnits": gsi[1],
    }
    return table


def time_to_live(status: str, attribute: str | None = "expires_at") -> dict[str, Any]:
    """DescribeTimeToLive → TimeToLiveDescription (AttributeName absent when TTL was never set)."""
    description: dict[str, Any] = {"TimeToLiveStatus": status}
    if attribute is not None:
        description["AttributeName"] = attribute
    return description


def stream(status: str) -> dict[str, Any]:
    """DynamoDB Streams DescribeStream → StreamDescription with one open shard."""
    return {
        "StreamArn": STREAM_ARN,
        "StreamLabel": STREAM_LABEL,
        "StreamStatus": status,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "CreationRequestDateTime": CREATED,
        "TableName": "LabProducts",
        "KeySchema": [
            {"AttributeName": "category", "KeyType": "HASH"},
            {"AttributeName": "sku", "KeyType": "RANGE"},
        ],
        "Shards": [
            {
                "ShardId": "shardId-00000001762072200000-5c2f8e1a",
                "SequenceNumberRange": {"StartingSequenceNumber": "100000000000000000001"},
            }
        ],
    }


def continuous_backups(status: str) -> dict[str, Any]:
    """DescribeContinuousBackups → ContinuousBackupsDescription."""
    recovery: dict[str, Any] = {"PointInTimeRecoveryStatus": status}
    if status == "ENABLED":
        recovery.update(
            {
                "RecoveryPeriodInDays": 35,
                "EarliestRestorableDateTime": CREATED,
                "LatestRestorableDateTime": CREATED,
            }
        )
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": recovery}
