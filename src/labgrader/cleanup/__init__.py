"""The cleanup phase (`labgrader cleanup`): what of the lab is left, what it costs, how to delete it safely.

`take_inventory` lists the lab's leftovers (inventory.py, scoped by the spec's names and the lab tag), prices them
(costs.py, from fixtures/prices) and fills in each one's delete commands (plan.py). The checks in checks/cleanup/
judge one inventory per run (judge.py); `--delete --yes` carries out the plan (execute.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from labgrader.cleanup import costs, plan, pricing
from labgrader.cleanup.inventory import scan
from labgrader.cleanup.model import Inventory
from labgrader.spec import LabSpec
from labgrader.targets.base import Target


def take_inventory(
    spec: LabSpec,
    target: Target,
    regions: Sequence[str] | None = None,
    *,
    prices: pricing.PriceTable | None = None,
) -> Inventory:
    """The lab's leftovers in `regions` (default the target's), each priced and with its delete commands."""
    inventory = scan(spec, target, regions)
    costs.estimate(inventory, prices or pricing.load())
    plan.build(inventory)
    return inventory
