"""The terminal output of `labgrader cleanup`: a short table of the leftovers and the delete plan."""

from __future__ import annotations

from collections.abc import Callable

from labgrader.cleanup.model import Inventory, Step
from labgrader.cleanup.pricing import PriceTable
from labgrader.engine.errors import describe_could_not_look

Write = Callable[[str], None]
HEADER = ("RESOURCE", "REGION", "STATE", "$/h", "$/month", "DELETE COMMAND")


def hourly(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "0"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def monthly(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "0"
    return "<0.01" if value < 0.01 else f"{value:,.2f}"


def rows(inventory: Inventory) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = [HEADER]
    for item in inventory.leftovers:
        cost = item.cost
        table.append(
            (
                item.title,
                item.region,
                item.state,
                hourly(cost.hourly if cost else None),
                monthly(cost.monthly if cost else None),
                " && ".join(item.commands) or "(AWS is deleting it)",
            )
        )
    total_hourly, total_monthly, unknown = inventory.total()
    more = f" + {len(unknown)} unknown" if unknown else ""
    table.append(
        (
            f"TOTAL ({len(inventory.leftovers)} leftovers)",
            "",
            "",
            hourly(total_hourly),
            monthly(total_monthly) + more,
            "",
        )
    )
    return table


def render(inventory: Inventory, write: Write, prices: PriceTable) -> None:
    where = ", ".join(inventory.regions) if len(inventory.regions) <= 3 else f"{len(inventory.regions)} regions"
    scope = f"names in the lab spec + tag {inventory.tag[0]}={inventory.tag[1]}"
    if not inventory.leftovers:
        write(f"Nothing of lab {inventory.lab} is left in {where} (scope: {scope}).")
    else:
        write(f"Leftovers of lab {inventory.lab} in {where} (scope: {scope}):")
        table = rows(inventory)
        widths = [max(len(row[column]) for row in table) for column in range(len(HEADER) - 1)]
        numeric = {3, 4}
        for row in table:
            cells = [
                cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])
            ]
            write(("  " + "  ".join(cells) + "  " + row[-1]).rstrip())
        write(f"Estimates from {prices.citation()}: not a bill.")
    for error in inventory.errors:
        write(f"Could not look at {error.part} in {error.region}: {describe_could_not_look(error.error)}")
    for note in inventory.not_checked:
        write(f"Not checked: {note}")


def render_plan(steps: list[Step], write: Write, title: str) -> None:
    write(title)
    for number, step in enumerate(steps, start=1):
        write(f"  {number:>2}. {step.command}")
