"""Fixtures shared by the DynamoDB checks: one DescribeTable per run, whatever the number of checks using it."""

from __future__ import annotations

from typing import Any

import pytest

from labgrader.spec import LabSpec


@pytest.fixture(scope="session")
def table_description(dynamodb: Any, lab: LabSpec) -> dict[str, Any] | None:
    """DescribeTable of the lab's table, or None when it does not exist."""
    assert lab.dynamodb is not None  # the plugin skips DynamoDB checks of labs without [dynamodb]
    try:
        table: dict[str, Any] = dynamodb.describe_table(TableName=lab.dynamodb.table)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
    return table
