"""Hands the inventory `labgrader cleanup` took to the checks of the grading run it starts.

The command scans once (it prints the table and may delete before grading); the run's `cleanup_inventory`
fixture takes that inventory instead of scanning again. Without a hand-off (`pytest --lab … --lab-phase cleanup`,
`runner.grade(phase="cleanup")`), the fixture scans the target's region itself: one inventory per run either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from labgrader.cleanup.model import Inventory
from labgrader.spec import LabSpec
from labgrader.targets.base import Target

_PROVIDED: list[tuple[LabSpec, Target, Inventory | BaseException]] = []


@contextmanager
def provide(spec: LabSpec, target: Target, inventory: Inventory | BaseException) -> Iterator[None]:
    """While inside, a grading run of `spec` on `target` uses `inventory` (or raises the scan's exception)."""
    entry = (spec, target, inventory)
    _PROVIDED.append(entry)
    try:
        yield
    finally:
        _PROVIDED.remove(entry)


def provided(spec: LabSpec, target: Target) -> Inventory | BaseException | None:
    for given_spec, given_target, inventory in reversed(_PROVIDED):
        if given_spec is spec and given_target == target:
            return inventory
    return None
