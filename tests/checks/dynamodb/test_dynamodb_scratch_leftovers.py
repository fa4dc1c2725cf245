"""A scratch item the grader cannot remove is never left silently: the removal is read back, and the check reports
the item with the exact command that removes it."""

from __future__ import annotations

import json
import shlex
import subprocess
import time

import pytest

from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CouldNotLook
from labgrader.services.dynamodb.scratch import ScratchItems, ScratchRegistry, delete_item_command
from tests.checks.dynamodb.helpers import Wrapped, cli_env, scratch_items

pytestmark = pytest.mark.sandbox


def test_an_item_still_there_after_delete_item_is_reported_with_its_delete_command(lab_table, ddb_client, sandbox):
    spec = lab_table(data=False)
    ignoring = Wrapped(ddb_client, delete_item=lambda _client, **_kwargs: {})  # DeleteItem "succeeds", item stays
    registry = ScratchRegistry(ignoring, spec.dynamodb.table)
    items = ScratchItems(ignoring, spec.dynamodb, Scratch(), "leftover", registry)
    item = items.item(1)
    items.put(item)
    with pytest.raises(CouldNotLook) as raised:
        items.cleanup()
    command = delete_item_command(spec.dynamodb.table, items.key(item))
    assert f"is still in DynamoDB table {spec.dynamodb.table} after DeleteItem; remove it with: {command}" in (
        raised.value.message
    )
    assert len(scratch_items(ddb_client, spec.dynamodb.table)) == 1
    # The command works as printed, pasted into a shell.
    done = subprocess.run(["bash", "-c", command], env=cli_env(sandbox), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert scratch_items(ddb_client, spec.dynamodb.table) == []


def test_a_key_the_table_refuses_is_reported_not_swallowed(lab_table, ddb_client):
    """A key recorded under the lab's schema on a table keyed otherwise: DeleteItem's ValidationException is the
    report, with the command."""
    spec = lab_table(data=False)
    registry = ScratchRegistry(ddb_client, spec.dynamodb.table)
    wrong_key = {"category": {"S": "__labgrader__0badc0de#x"}, "sku": {"S": "item-0001"}, "extra": {"S": "y"}}
    with pytest.raises(Exception, match="could not be removed from DynamoDB table") as raised:
        registry.delete(wrong_key)
    assert "aws dynamodb delete-item --table-name" in str(raised.value)


def test_the_delete_command_quotes_binary_keys_as_the_cli_takes_them():
    command = delete_item_command("T", {"id": {"B": b"\x00ab"}, "n": {"N": "1"}})
    assert shlex.split(command)[-1] == json.dumps({"id": {"B": "AGFi"}, "n": {"N": "1"}})


def test_a_scratch_write_cut_short_by_ctrl_c_is_removed_after_it_lands(lab_table, ddb_client):
    # The client gives up (Ctrl-C) while the server still has the PutItem: it lands after the first delete.
    import threading

    spec = lab_table(data=False)

    def put_late(client, **kwargs):
        threading.Timer(0.2, lambda: client.put_item(**kwargs)).start()
        raise KeyboardInterrupt

    late = Wrapped(ddb_client, put_item=put_late)
    registry = ScratchRegistry(late, spec.dynamodb.table)
    items = ScratchItems(late, spec.dynamodb, Scratch(), "cut-short", registry)
    with pytest.raises(KeyboardInterrupt):
        items.put(items.item(1))
    items.cleanup()
    time.sleep(0.3)  # past the late write
    assert scratch_items(ddb_client, spec.dynamodb.table) == []
