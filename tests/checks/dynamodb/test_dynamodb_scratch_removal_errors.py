"""A scratch item whose removal raises something other than the ValidationException the table gives a refused key
(throttling, an endpoint gone) is still reported, never re-raised bare: the check concerned is an `error` naming
the item and the exact command that removes it (the grader could not verify the removal)."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CouldNotLook
from labgrader.services.dynamodb.scratch import ScratchItems, ScratchRegistry, delete_item_command


class Throttled:
    """A DynamoDB client that accepts the scratch write, then throttles DeleteItem."""

    def __init__(self) -> None:
        self.stored: dict[str, Any] = {}

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}

    def delete_item(self, **kwargs: Any) -> dict[str, Any]:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}, "DeleteItem"
        )


def test_a_delete_that_raises_another_client_error_is_reported_with_its_delete_command(week8):
    client = Throttled()
    registry = ScratchRegistry(client, week8.dynamodb.table)
    items = ScratchItems(client, week8.dynamodb, Scratch("abcd1234"), "throttled", registry)
    item = items.item(1)
    items.put(item)
    command = delete_item_command(week8.dynamodb.table, items.key(item))
    with pytest.raises(CouldNotLook) as raised:
        items.cleanup()
    assert raised.value.status == "error"
    assert raised.value.message == (
        f"Grader scratch item {items.key(item)} may still be in DynamoDB table LabProducts: the grader could not "
        "delete it or read it back (ProvisionedThroughputExceededException: Rate exceeded); remove it with: "
        f"{command}."
    )
    assert registry.outstanding  # still recorded: the run-wide sweep tries again


def test_a_delete_with_no_answer_at_all_is_reported_the_same_way(week8):
    class Gone(Throttled):
        def delete_item(self, **kwargs: Any) -> dict[str, Any]:
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    client = Gone()
    items = ScratchItems(client, week8.dynamodb, Scratch("abcd1234"), "gone", ScratchRegistry(client, "LabProducts"))
    item = items.item(1)
    items.put(item)
    with pytest.raises(CouldNotLook, match="Could not connect to the endpoint URL") as raised:
        items.cleanup()
    assert f"remove it with: {delete_item_command('LabProducts', items.key(item))}" in raised.value.message
