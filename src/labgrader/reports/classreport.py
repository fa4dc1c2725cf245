"""`class.html`: the instructor's page of a roster run, in the style of `report.html` (self-contained, no script).

One row per student (status, score, the reason when the account could not be graded, a link to the student's own
report), a pass-rate bar per check over the students graded (skips left out), and the most common misses with
their fixes. Every text from a results file or the roster is escaped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from labgrader.engine import catalog, outdir
from labgrader.reports.html import CSS, _text, page_head
from labgrader.reports.model import split_hint
from labgrader.engine.results import RunResult

FILE_NAME = "class.html"
COMMON_MISSES = 10
STATUS_BADGE = {"pass": "pass", "fail": "fail", "incomplete": "error", "error": "error"}

CLASS_CSS = """
table.roster{width:100%;border-collapse:collapse;margin-top:8px;font-size:.9rem}
table.roster th,table.roster td{text-align:left;padding:6px 8px;border-top:1px solid var(--line);vertical-align:top}
table.roster td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
ol.rates{list-style:none;margin:8px 0 0;padding:0}
ol.rates li{display:grid;grid-template-columns:minmax(0,1fr) 8rem 4.5rem;gap:8px;align-items:center;
padding:4px 0;border-top:1px solid var(--line)}
ol.rates .sbar{height:10px;background:var(--line);border-radius:5px;overflow:hidden}
ol.rates .sbar span{display:block;height:100%;background:var(--pass)}
"""


@dataclass(frozen=True)
class StudentRow:
    """One student of the class: the run when the account was graded (or its all-`error` stand-in)."""

    student_id: str
    account: str
    folder: str
    status: str
    score: float
    max_score: float
    reason: str
    run: RunResult | None
    has_report: bool = False  # the student's folder holds report.html (--format with html)


def pass_rates(rows: Sequence[StudentRow]) -> list[tuple[str, int, int]]:
    """(check ID, passes, graded) in catalog order, over the students whose account was graded (skips left out)."""
    graded_runs = [row.run for row in rows if row.run is not None and row.status != "error"]
    rates = []
    for check_id in catalog.ids_for_phase("grade"):
        statuses = [c.status for run in graded_runs for c in run.checks if c.id == check_id and c.status != "skip"]
        if statuses:
            rates.append((check_id, statuses.count("pass"), len(statuses)))
    return rates


def common_misses(rows: Sequence[StudentRow], limit: int = COMMON_MISSES) -> list[tuple[str, int, str, str]]:
    """(check ID, students failing it, objective, the most common fix) for the most failed checks."""
    failed: Counter[str] = Counter()
    hints: dict[str, Counter[str]] = {}
    objectives: dict[str, str] = {}
    for row in rows:
        if row.run is None or row.status == "error":
            continue
        for check in row.run.checks:
            if check.status == "fail":
                failed[check.id] += 1
                hints.setdefault(check.id, Counter())[check.hint] += 1
                objectives.setdefault(check.id, check.objective)
    return [
        (check_id, count, objectives.get(check_id, ""), hints[check_id].most_common(1)[0][0])
        for check_id, count in failed.most_common(limit)
    ]


def _student_row(row: StudentRow) -> str:
    link = quote(f"{row.folder}/report.html")
    name = f'<a href="{_text(link)}">{_text(row.student_id)}</a>' if row.has_report else _text(row.student_id)
    badge = STATUS_BADGE.get(row.status, "error")
    score = "-" if row.status == "error" else f"{row.score:g}/{row.max_score:g}"
    return (
        f"<tr><td>{name}</td><td><code>{_text(row.account)}</code></td>"
        f'<td><span class="badge {badge}">{_text(row.status.upper())}</span></td>'
        f'<td class="num">{_text(score)}</td><td>{_text(row.reason)}</td></tr>'
    )


def _rate_item(check_id: str, passes: int, graded: int) -> str:
    percent = round(100 * passes / graded, 1)
    return (
        f'<li><code>{_text(check_id)}</code><div class="sbar" role="img" aria-label="{percent:g} percent pass">'
        f'<span style="width:{percent}%"></span></div><span class="pts">{passes}/{graded}</span></li>'
    )


def _miss_item(check_id: str, count: int, objective: str, hint: str) -> str:
    prose, command = split_hint(hint)
    fix = f"<p>{_text(prose)}</p>" if prose else ""
    fix += f"<pre><code>{_text(command)}</code></pre>" if command else ""
    return (
        f'<li class="fail"><div class="row"><span class="badge fail">{count} FAIL</span>'
        f'<code class="cid">{_text(check_id)}</code></div><p class="objective">{_text(objective)}</p>'
        f'<div class="fix"><b>Fix</b>{fix}</div></li>'
    )


def render(lab: str, rows: Sequence[StudentRow], duration_s: float) -> str:
    graded = [row for row in rows if row.status != "error"]
    errors = len(rows) - len(graded)
    mean = sum(row.score for row in graded) / len(graded) if graded else 0.0
    mean_max = sum(row.max_score for row in graded) / len(graded) if graded else 0.0
    statuses = Counter(row.status for row in rows)
    chips = "".join(f'<li class="{STATUS_BADGE[s]}">{statuses[s]} {s}</li>' for s in STATUS_BADGE if statuses.get(s))
    students = "".join(_student_row(row) for row in rows)
    rates = "".join(_rate_item(*rate) for rate in pass_rates(rows))
    misses = common_misses(rows)
    miss_body = (
        f'<ol class="checks">{"".join(_miss_item(*miss) for miss in misses)}</ol>'
        if misses
        else '<p class="note">No check failed for any graded student.</p>'
    )
    return f"""{page_head(f"{lab}: class of {len(rows)} · labgrader", CSS + CLASS_CSS)}
<body>
<div class="wrap">
<header class="top">
<h1>Lab {_text(lab)}: class of {len(rows)}</h1>
<p class="meta">{len(graded)} graded · {errors} could not be graded · {duration_s:.1f} s</p>
<p class="score" id="score">{mean:.1f} <span class="of">/ {mean_max:.1f} points on average</span></p>
<ul class="counts">{chips}</ul>
</header>
<main>
<section class="card" id="misses"><h2><span>Most common misses</span></h2>{miss_body}</section>
<section class="card" id="rates"><h2><span>Pass rate per check</span></h2>
<p class="note">Over the {len(graded)} students whose account was graded; a skipped check does not count.</p>
<ol class="rates">{rates}</ol></section>
<section class="card" id="students"><h2><span>Students</span><span class="pts">{len(rows)}</span></h2>
<table class="roster"><thead><tr><th>Student</th><th>Account</th><th>Status</th><th>Score</th><th>Note</th></tr>
</thead><tbody>{students}</tbody></table></section>
</main>
<footer>Generated by labgrader from each student's results.json. PASS every required check passes · FAIL at least
one fails · INCOMPLETE the grader could not look at some checks · ERROR the account could not be graded.</footer>
</div>
</body>
</html>
"""


def write(lab: str, rows: Sequence[StudentRow], duration_s: float, out_dir: Path) -> Path:
    return outdir.write_text(out_dir / FILE_NAME, render(lab, rows, duration_s))
