"""The run-wide sweep (the `scratch_registry` fixture's teardown): a scratch item it still cannot remove at the end
of the run is reported, never dropped: results.json's `extra.scratch_leftovers` and the scorecard's header name it
with the exact delete command."""

from __future__ import annotations

from typing import Any

import pytest

from labgrader.engine.results import RunResult
from labgrader.engine.state import RUN_STATE, RunState
from labgrader.reports import scorecard
from labgrader.services.dynamodb.scratch import delete_item_command
from tests.checks.dynamodb.helpers import dynamodb_fixture
from tests.checks.elasticache.aws_docs import AWS_TARGET

KEY = {"category": {"S": "__labgrader__abcd1234#dynamodb_crud_roundtrip"}, "sku": {"S": "item-0001"}}


class Sticky:
    """DeleteItem 'succeeds' and the item stays (what the read-back is for)."""

    def delete_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {"Item": kwargs["Key"]}


class Config:
    def __init__(self, state: RunState) -> None:
        self.stash = pytest.Stash()
        self.stash[RUN_STATE] = state


class Request:
    def __init__(self, state: RunState) -> None:
        self.config = Config(state)


def test_an_item_the_sweep_cannot_remove_is_in_the_run_s_results_with_its_delete_command(week8, tmp_path):
    state = RunState(spec=week8, target=AWS_TARGET, out_dir=tmp_path)
    teardown = dynamodb_fixture("scratch_registry")(request=Request(state), dynamodb=Sticky(), ddb=week8.dynamodb)
    registry = next(teardown)
    registry.record(KEY)
    with pytest.raises(StopIteration):
        next(teardown)  # the end of the run: the sweep
    command = delete_item_command("LabProducts", KEY)
    assert state.notes["scratch_leftovers"] == [
        f"grader scratch item {KEY} is still in DynamoDB table LabProducts after DeleteItem; remove it with: {command}"
    ]
    run = RunResult(lab="week8", target="aws", started_at="", duration_s=0.0, extra=dict(state.notes))
    lines: list[str] = []
    scorecard.render(run, lines.append)
    assert f"note: grader scratch item {KEY} is still in DynamoDB table LabProducts after DeleteItem; " in lines[0]
    assert lines[0].endswith(f"remove it with: {command}")


def test_a_clean_sweep_reports_nothing(week8, tmp_path):
    class Gone(Sticky):
        def get_item(self, **kwargs: Any) -> dict[str, Any]:
            return {}

    state = RunState(spec=week8, target=AWS_TARGET, out_dir=tmp_path)
    teardown = dynamodb_fixture("scratch_registry")(request=Request(state), dynamodb=Gone(), ddb=week8.dynamodb)
    next(teardown).record(KEY)
    with pytest.raises(StopIteration):
        next(teardown)
    assert "scratch_leftovers" not in state.notes
