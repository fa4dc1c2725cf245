"""Exact CLI commands for hints, built from the lab spec so they carry the lab's real names."""

from __future__ import annotations

import json
import shlex

from labgrader.solve.dynamodb import create_table_request
from labgrader.spec import DynamoDBSpec


def create_table_cli(spec: DynamoDBSpec) -> str:
    """`aws dynamodb create-table …` that creates the spec's table with its keys, indexes and stream."""
    request = create_table_request(spec)
    parts = ["aws dynamodb create-table", f"--table-name {shlex.quote(spec.table)}"]
    parts.append(
        "--attribute-definitions "
        + " ".join(
            f"AttributeName={a['AttributeName']},AttributeType={a['AttributeType']}"
            for a in request["AttributeDefinitions"]
        )
    )
    parts.append(
        "--key-schema "
        + " ".join(f"AttributeName={k['AttributeName']},KeyType={k['KeyType']}" for k in request["KeySchema"])
    )
    parts.append("--billing-mode PAY_PER_REQUEST")
    for option, key in (
        ("--global-secondary-indexes", "GlobalSecondaryIndexes"),
        ("--local-secondary-indexes", "LocalSecondaryIndexes"),
    ):
        if key in request:
            parts.append(f"{option} {shlex.quote(json.dumps(request[key], separators=(',', ':')))}")
    if "StreamSpecification" in request:
        parts.append(
            f"--stream-specification StreamEnabled=true,StreamViewType={spec.stream.view_type}" if spec.stream else ""
        )
    return " ".join(p for p in parts if p)
