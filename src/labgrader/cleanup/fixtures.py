"""The fixture of the cleanup checks (registered by the grading session): ONE inventory per run (every check
judges the same look at the account)."""

from __future__ import annotations

import pytest

from labgrader.cleanup import handoff, take_inventory
from labgrader.cleanup.model import Inventory
from labgrader.engine.errors import describe_could_not_look
from labgrader.engine.state import run_state
from labgrader.engine.verdict import could_not_look
from labgrader.spec import LabSpec
from labgrader.targets.base import Target


@pytest.fixture(scope="session")
def cleanup_inventory(request: pytest.FixtureRequest, lab: LabSpec, target: Target) -> Inventory:
    """The lab's leftovers: the one `labgrader cleanup` took (all its regions), else a scan of the target's region."""
    given = handoff.provided(lab, target)
    if isinstance(given, BaseException):
        # The scan itself failed (e.g. DescribeRegions): every cleanup check reports `error`.
        could_not_look(f"Taking the cleanup inventory: {describe_could_not_look(given)}")
    inventory = given if given is not None else take_inventory(lab, target)
    grading = run_state(request.config)
    if grading is not None:
        for action, count in sorted(inventory.calls.items()):
            grading.aws_calls[action] += count
    return inventory
