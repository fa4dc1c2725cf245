from __future__ import annotations

import time
from typing import Any

from labgrader.api import (
    DynamoDBSpec,
    Passed,
    ScratchItems,
    StreamSpec,
    check,
    dynamodb_evaluation,
    dynamodb_hints,
    fail,
    passed,
    pending,
)

PROBE = "labgrader_probe"  # an attribute only scratch items carry
# AWS makes a record readable within about a second; GetRecords allows 5 calls per second per shard.
RECORD_DEADLINE_S = 10.0
POLL_INTERVAL_S = 0.25


def open_shards(description: dict[str, Any]) -> list[str]:
    """Shards still written to (no EndingSequenceNumber): where a new record goes."""
    return [
        shard["ShardId"]
        for shard in description.get("Shards", [])
        if "EndingSequenceNumber" not in (shard.get("SequenceNumberRange") or {})
    ]


class StreamReader:
    """Reads the stream's shards from iterators taken before the grader's writes, until its records show up."""

    def __init__(self, streams: Any, arn: str) -> None:
        self.streams = streams
        self.arn = arn
        self.iterators: dict[str, str | None] = {}
        self.calls = 0

    def follow(self, shard_ids: list[str], position: str) -> None:
        for shard_id in shard_ids:
            if shard_id not in self.iterators:
                answer = self.streams.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard_id, ShardIteratorType=position
                )
                self.iterators[shard_id] = answer.get("ShardIterator")

    def read(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self.iterators.items()):
            if iterator is None:
                continue  # a closed shard read to its end
            answer = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            self.calls += 1
            records.extend(answer.get("Records", []))
            self.iterators[shard_id] = answer.get("NextShardIterator")
        return records


@check(
    "dynamodb_stream_records",
    points=2,
    objective="Writes to the table show up in its stream as records carrying the images its view type promises (a grader scratch item).",
    hint="aws dynamodb update-table --table-name {lab.dynamodb.table} --stream-specification StreamEnabled=true,StreamViewType={lab.dynamodb.stream.view_type}",
    requires=("dynamodb", "dynamodbstreams"),
    writes=True,
    aws_actions=(
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeStream",
        "dynamodb:GetShardIterator",
        "dynamodb:GetRecords",
    ),
)
def dynamodb_stream_records(
    *,
    stream_spec: StreamSpec,
    ddb: DynamoDBSpec,
    writable_table: dict[str, Any],
    stream_description: dict[str, Any] | None,
    dynamodbstreams: Any,
    scratch_items: ScratchItems,
) -> Passed:
    view_type = stream_spec.view_type
    specification = writable_table.get("StreamSpecification") or {}
    if not specification.get("StreamEnabled") or stream_description is None:
        fail(
            f"DynamoDB table {ddb.table} has no stream enabled, so no stream record can be read (prerequisite: "
            "dynamodb_stream_enabled).",
            call="dynamodb.describe_table",
            observed="stream disabled",
            expected=f"stream enabled, {view_type}",
            hint=dynamodb_hints.stream_enable_cli(ddb, view_type),
        )
    if stream_description.get("StreamStatus") == "ENABLING":
        pending(
            f"DynamoDB table {ddb.table}'s stream is ENABLING, so its records cannot be read yet.",
            call="dynamodbstreams.describe_stream",
            observed="ENABLING",
            expected="ENABLED",
        )
    arn = stream_description["StreamArn"]
    reader = StreamReader(dynamodbstreams, arn)
    reader.follow(open_shards(stream_description), "LATEST")  # positioned before the writes below
    item = {**scratch_items.item(1), PROBE: {"N": "1"}}
    key = scratch_items.key(item)
    shown = scratch_items.shown(key)
    scratch_items.put(item)
    scratch_items.call(
        "update_item",
        key,
        UpdateExpression="SET #p = :two",
        ExpressionAttributeNames={"#p": PROBE},
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    modified = {**item, PROBE: {"N": "2"}}
    found: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    refreshed = False
    while True:
        for record in reader.read():
            if (record.get("dynamodb") or {}).get("Keys") == key:
                found.setdefault(record.get("eventName", "?"), record)
        if {"INSERT", "MODIFY"} <= set(found) or time.monotonic() - started > RECORD_DEADLINE_S:
            break
        if not refreshed and time.monotonic() - started > RECORD_DEADLINE_S / 2:
            # A shard may have rolled over since the stream was described: follow the new ones from their start.
            from_conftest = dynamodbstreams.describe_stream(StreamArn=arn)["StreamDescription"]
            reader.follow(open_shards(from_conftest), "TRIM_HORIZON")
            refreshed = True
        time.sleep(POLL_INTERVAL_S)
    elapsed = time.monotonic() - started
    if "MODIFY" not in found:
        fail(
            f"DynamoDB table {ddb.table}'s stream showed no MODIFY record for scratch item {shown} within "
            f"{RECORD_DEADLINE_S:g} s ({', '.join(sorted(found)) or 'no record at all'}); expected INSERT and MODIFY.",
            call="dynamodbstreams.get_records",
            observed=sorted(found),
            expected=["INSERT", "MODIFY"],
            hint=dynamodb_hints.stream_replace_hint(ddb, view_type),
        )
    # Judged against the stream as it is: a view type other than the lab's is dynamodb_stream_enabled's to fail.
    promised = specification.get("StreamViewType")
    promised = promised if promised in dynamodb_evaluation.VIEW_IMAGES else view_type
    problems = dynamodb_evaluation.stream_record_problems(found["MODIFY"], promised, key, modified, item)
    if "INSERT" not in found:
        problems.append("no INSERT record came before it")
    if problems:
        actual = (found["MODIFY"].get("dynamodb") or {}).get("StreamViewType") or (
            writable_table.get("StreamSpecification") or {}
        ).get("StreamViewType")
        fail(
            f"DynamoDB table {ddb.table}'s stream record of scratch item {shown} (MODIFY): {'; '.join(problems)} "
            f"(stream view type {actual}, records expected as {promised} promises).",
            call="dynamodbstreams.get_records",
            observed={"view_type": actual, "problems": problems},
            expected=promised,
            hint=dynamodb_hints.stream_replace_hint(ddb, view_type),
        )
    other = f" (the lab wants {view_type}: dynamodb_stream_enabled judges that)" if promised != view_type else ""
    return passed(
        f"DynamoDB table {ddb.table}'s stream carried INSERT and MODIFY records of scratch item {shown} with "
        f"{promised} images, readable after {elapsed:.2f} s{other}.",
        call="dynamodbstreams.get_shard_iterator/get_records",
        observed=promised,
        expected=promised,
        extra={"get_records_calls": reader.calls, "record_delay_s": round(elapsed, 3)},
    )
