"""The leftovers part of a cleanup run's reports, from the `cleanup` block of results.json: each leftover with its
region, state, cost per hour and per month and its delete commands, the total, and the delete plan in order."""

from __future__ import annotations

from html import escape
from typing import Any

from labgrader.cleanup.table import hourly, monthly
from labgrader.engine.results import RunResult

NO_COMMAND = "(AWS is deleting it)"
# Added to report.html's style sheet: the leftovers table scrolls sideways on a phone instead of squeezing.
CSS = """
#leftovers .table{overflow-x:auto}#leftovers table{border-collapse:collapse;width:100%;font-size:.875rem}
#leftovers th,#leftovers td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
#leftovers td.num{text-align:right;white-space:nowrap}#leftovers h3{font-size:1rem;margin:12px 0 4px}
"""


def block_of(run: RunResult) -> dict[str, Any] | None:
    block = run.extra.get("cleanup")
    return block if isinstance(block, dict) else None


def _rows(block: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for item in block.get("leftovers") or []:
        if not isinstance(item, dict):
            continue
        cost = _dict(item.get("cost")) or None
        kind, label = str(item.get("kind", "")), str(item.get("label") or item.get("name", ""))
        rows.append(
            {
                "resource": str(item.get("title") or f"{kind} {label}".strip()),
                "region": str(item.get("region", "")),
                "state": str(item.get("state", "")),
                "hourly": hourly(cost.get("hourly_usd") if cost else None),
                "monthly": monthly(cost.get("monthly_usd") if cost else None),
                "commands": " && ".join(map(str, item.get("delete_commands") or [])) or NO_COMMAND,
            }
        )
    return rows


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _total(block: dict[str, Any]) -> tuple[str, str]:
    total = _dict(block.get("total"))
    unknown = total.get("unknown_price") or []
    more = f" + {len(unknown)} unknown" if unknown else ""
    return hourly(total.get("hourly_usd")), monthly(total.get("monthly_usd")) + more


def _plan(block: dict[str, Any]) -> list[str]:
    return [str(s.get("command", "")) for s in block.get("delete_plan") or [] if isinstance(s, dict)]


def _notes(block: dict[str, Any]) -> list[str]:
    notes = [f"Could not take the inventory: {block['error']}"] if block.get("error") else []
    notes += [
        f"Could not look at {e.get('part')} in {e.get('region')}: {e.get('message')}"
        for e in block.get("errors") or []
        if isinstance(e, dict)
    ]
    notes += [f"Not checked: {note}" for note in block.get("not_checked") or []]
    prices = _dict(block.get("prices"))
    if prices:
        notes.append(f"Prices: {prices.get('region')} list prices as of {prices.get('as_of')}: {prices.get('note')}.")
    return notes


def html_section(run: RunResult) -> str:
    """The `Leftovers` card of report.html ("" for a run that is not a cleanup run)."""
    block = block_of(run)
    if block is None:
        return ""
    rows = _rows(block)
    parts = [
        '<section class="card" id="leftovers"><h2><span>Leftovers</span>',
        f'<span class="pts">{len(rows)}</span></h2>',
    ]
    if rows:
        head = "".join(f"<th>{h}</th>" for h in ("Resource", "Region", "State", "$/h", "$/month", "Delete command"))
        body = "".join(
            "<tr>"
            f"<td>{escape(r['resource'])}</td><td>{escape(r['region'])}</td><td>{escape(r['state'])}</td>"
            f'<td class="num">{escape(r["hourly"])}</td><td class="num">{escape(r["monthly"])}</td>'
            f"<td><code>{escape(r['commands'])}</code></td>"
            "</tr>"
            for r in rows
        )
        total_hourly, total_monthly = _total(block)
        foot = (
            f"<tr><th>Total ({len(rows)} leftovers)</th><td></td><td></td>"
            f'<td class="num">{escape(total_hourly)}</td><td class="num">{escape(total_monthly)}</td><td></td></tr>'
        )
        parts.append(f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>')
        parts.append(f"<tfoot>{foot}</tfoot></table></div>")
    else:
        parts.append('<p class="note">Nothing of the lab is left: nothing bills.</p>')
    plan = _plan(block)
    if plan:
        steps = "".join(f"<li><code>{escape(command)}</code></li>" for command in plan)
        parts.append(f"<h3>Delete in this order</h3><ol>{steps}</ol>")
    parts += [f'<p class="note">{escape(note)}</p>' for note in _notes(block)]
    parts.append("</section>")
    return "".join(parts)


def markdown_lines(run: RunResult) -> list[str]:
    """The leftovers table of summary.md ([] for a run that is not a cleanup run)."""
    block = block_of(run)
    if block is None:
        return []
    rows = _rows(block)
    if not rows:
        lines = ["### Leftovers", "", "Nothing of the lab is left: nothing bills.", ""]
    else:
        lines = ["### Leftovers", "", "| Resource | Region | State | $/h | $/month | Delete command |"]
        lines.append("|---|---|---|---:|---:|---|")
        for r in rows:
            cells = [r["resource"], r["region"], r["state"], r["hourly"], r["monthly"], f"`{r['commands']}`"]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        total_hourly, total_monthly = _total(block)
        lines += [f"| **Total ({len(rows)} leftovers)** | | | {total_hourly} | {total_monthly} | |", ""]
    plan = _plan(block)
    if plan:
        lines += ["Delete in this order:", "", *(f"{n}. `{c}`" for n, c in enumerate(plan, start=1)), ""]
    lines += [f"_{note}_" for note in _notes(block)]
    return [*lines, ""]
