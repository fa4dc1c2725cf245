"""`report.html`: one self-contained page (inline CSS, pictures as data URIs, no script, no network) for a student
or an instructor: the score, what to fix with the exact fix, every check by section with its evidence, and the
latency pictures the latency checks leave in the report folder. Mobile-first layout: readable on a phone.

"What to fix" lists each root cause once, with the checks it blocks (and their points) under it; in the sections a
blocked check links to its root cause instead of repeating the fix. An advisory miss is ADVICE, in its own colour.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from labgrader.engine.bounded import BoundedReadError, read_bytes_bounded
from labgrader.engine.inert import EVIDENCE_LIMIT, HINT_LIMIT, MESSAGE_LIMIT, bounded, printable
from labgrader.engine import outdir
from labgrader.reports import cleanup_section, setup_section
from labgrader.reports.model import (
    LABELS,
    Section,
    blocked_points,
    blocked_roots,
    display_counts,
    is_advice,
    label,
    points_text,
    root_causes,
    sections,
    hint_parts,
    summary_counts,
    title,
)
from labgrader.engine.results import CheckResult, RunResult

FILE_NAME = "report.html"
# Written by the latency checks into the report folder; shown in this order, then any other latency-*.svg/png.
LATENCY_PICTURES = {
    "latency-redis-vs-dynamodb.svg": "Redis GET vs DynamoDB GetItem latency",
    "latency-hit-vs-miss.svg": "Cache hit vs cache miss latency",
}
_MIME = {".svg": "image/svg+xml", ".png": "image/png"}
# A latency picture is a few KB; anything bigger under that name was not written by labgrader.
PICTURE_LIMIT = 2 << 20

CSS = """
:root{--bg:#f6f7f9;--card:#fff;--text:#1d2430;--muted:#5b6573;--line:#dde1e7;--code:#f0f2f5;
--pass:#1a7f37;--fail:#cf222e;--error:#b35900;--skip:#6e7781;--pending:#0969da;--advice:#8250df}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--card:#181c22;--text:#e6e9ee;--muted:#9aa4b2;
--line:#2d333b;--code:#22272e;--pass:#3fb950;--fail:#f85149;--error:#d29922;--skip:#8b949e;--pending:#58a6ff;
--advice:#a371f7}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans",sans-serif;overflow-wrap:anywhere}
.wrap{max-width:960px;margin:0 auto;padding:12px}
header.top{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px;margin-bottom:12px}
h1{font-size:1.25rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:0;display:flex;justify-content:space-between;gap:8px;align-items:baseline}
.meta{color:var(--muted);font-size:.875rem;margin:0}
.score{font-size:2.25rem;font-weight:700;margin:8px 0 4px;line-height:1.1}
.score .of{font-size:1.25rem;color:var(--muted);font-weight:600}
.meter{height:10px;background:var(--line);border-radius:5px;overflow:hidden}
.meter span{display:block;height:100%;background:var(--pass)}
.counts{list-style:none;padding:0;margin:10px 0 0;display:flex;flex-wrap:wrap;gap:6px}
.counts li,.badge{border-radius:999px;padding:1px 10px;font-size:.8rem;font-weight:700;color:#fff;white-space:nowrap}
.pass{--c:var(--pass)}.fail{--c:var(--fail)}.error{--c:var(--error)}.skip{--c:var(--skip)}.pending{--c:var(--pending)}
.advice{--c:var(--advice)}
.counts li,.badge{background:var(--c)}
section.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px;
margin-bottom:12px}
section.card>p.note{color:var(--muted);margin:6px 0 0}
ol.checks{list-style:none;margin:10px 0 0;padding:0}
ol.checks>li{border-top:1px solid var(--line);padding:10px 0;border-left:4px solid var(--c);padding-left:10px}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px}
.row .cid{font-weight:600;flex:1 1 auto;min-width:0}
.pts{font-variant-numeric:tabular-nums;color:var(--muted);white-space:nowrap;margin-left:auto}
.tag{font-size:.75rem;color:var(--muted);border:1px solid var(--line);border-radius:6px;padding:0 6px}
p.objective{margin:4px 0 0;color:var(--muted);font-size:.9rem}
p.msg{margin:4px 0 0}
.fix{margin:8px 0 0}
.fix p{margin:0 0 2px}
.fix b,.blocks b{display:block;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--c)}
.blocks{margin:8px 0 0}.blocks ul{margin:2px 0 0;padding-left:1.2rem}
p.blocked{margin:4px 0 0;color:var(--muted)}
code,pre{font:.85rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--code);border-radius:8px;padding:8px 10px;margin:2px 0 0;white-space:pre-wrap;
overflow-wrap:anywhere}
details.evidence{margin-top:6px}
details.evidence summary{cursor:pointer;color:var(--muted);font-size:.875rem}
dl{display:grid;grid-template-columns:minmax(5rem,max-content) 1fr;gap:4px 10px;margin:6px 0 0}
dt{color:var(--muted);font-size:.85rem}dd{margin:0;min-width:0}
figure{margin:10px 0 0}figure img{display:block;max-width:100%;height:auto;background:#fff;border-radius:8px}
figcaption{color:var(--muted);font-size:.875rem}
.sbar{height:6px;background:var(--line);border-radius:3px;overflow:hidden;margin-top:6px}
.sbar span{display:block;height:100%;background:var(--pass)}
a{color:var(--pending)}
footer{color:var(--muted);font-size:.8rem;padding:4px 2px 24px}
@media (min-width:720px){.wrap{padding:24px}.score{font-size:3rem}}
"""


def page_head(title: str, css: str) -> str:
    """The start of every labgrader page up to </head>: `title` escaped, `css` (labgrader's own) inline."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{_text(title)}</title>
<style>{css}</style>
</head>"""


def _text(value: Any, limit: int = MESSAGE_LIMIT) -> str:
    """Text as HTML, also inside attributes (quotes escaped), without control characters; bounded, since it can quote
    what a module printed."""
    return escape(printable(bounded(str(value), limit)), quote=True)


def _value(value: Any) -> str:
    if isinstance(value, str):
        shown = _text(value, EVIDENCE_LIMIT)
        return f"<pre>{shown}</pre>" if "\n" in value or len(value) > 60 else f"<code>{shown}</code>"
    return f"<pre>{_text(json.dumps(value, indent=2, default=str, sort_keys=True), EVIDENCE_LIMIT)}</pre>"


def _evidence(check: CheckResult) -> str:
    if not check.evidence:
        return ""
    ordered: list[str] = [k for k in ("call", "observed", "expected") if k in check.evidence]
    ordered += sorted(k for k in check.evidence if k not in ordered)
    rows = "".join(f"<dt>{_text(k)}</dt><dd>{_value(check.evidence[k])}</dd>" for k in ordered)
    return f'<details class="evidence"><summary>Evidence</summary><dl>{rows}</dl></details>'


def _tags(check: CheckResult) -> str:
    tags = []
    if not check.required:
        tags.append("advisory")
    if check.visibility != "visible":
        tags.append(f"{check.visibility.replace('_', ' ')} on Gradescope")
    return "".join(f'<span class="tag">{_text(t)}</span>' for t in tags)


def _kind(check: CheckResult) -> str:
    """The CSS class of a check's colour: its status, or `advice` for an advisory miss."""
    return "advice" if is_advice(check) else check.status


def _row(check: CheckResult) -> str:
    return (
        f'<div class="row"><span class="badge {_kind(check)}">{label(check)}</span>'
        f'<code class="cid">{_text(check.id)}</code>{_tags(check)}'
        f'<span class="pts">{_text(points_text(check))}</span></div>'
    )


def _blocks(blocked: list[CheckResult]) -> str:
    if not blocked:
        return ""
    items = "".join(
        f'<li><a href="#c-{_text(c.id)}"><code>{_text(c.id)}</code></a> '
        f'<span class="pts">{_text(points_text(c))}</span></li>'
        for c in blocked
    )
    return f'<div class="blocks"><b>Blocks {_text(blocked_points(blocked))}</b><ul>{items}</ul></div>'


def _fix_item(check: CheckResult, blocked: list[CheckResult]) -> str:
    hint = ""
    if check.hint:
        note, commands = hint_parts(check)
        shown = f"<p>{_text(note)}</p>" if note else ""
        shown += f"<pre><code>{chr(10).join(_text(c, HINT_LIMIT) for c in commands)}</code></pre>" if commands else ""
        hint = f'<div class="fix"><b>Fix</b>{shown}</div>'

    lead = "The grader could not look: " if check.status == "error" else ""
    return (
        f'<li class="{_kind(check)}">{_row(check)}'
        f'<p class="msg">{_text(lead + (check.message or title(check)))}</p>{hint}{_blocks(blocked)}'
        f'<p class="objective"><a href="#c-{_text(check.id)}">details and evidence</a></p></li>'
    )


def _check_item(check: CheckResult, blocked_by: str | None) -> str:
    objective = f'<p class="objective">{_text(check.objective)}</p>' if title(check) != check.id else ""
    message = f'<p class="msg">{_text(check.message)}</p>' if check.message else ""
    if blocked_by is not None:
        fix = (
            f'<p class="blocked">Blocked by <a href="#c-{_text(blocked_by)}"><code>{_text(blocked_by)}</code></a>: '
            "fix that first, then this check is graded.</p>"
        )
    elif check.status in ("fail", "error", "pending") and check.hint:
        fix = '<p class="objective"><a href="#to-fix">the fix is under "What to fix"</a></p>'
    else:
        fix = ""
    body = f"{_row(check)}{objective}{message}{fix}{_evidence(check)}"
    return f'<li class="{_kind(check)}" id="c-{_text(check.id)}">{body}</li>'


def _percent(score: float, max_score: float) -> float:
    return round(100 * score / max_score, 1) if max_score else 0.0


def _section(section: Section, roots: dict[str, str]) -> str:
    head = f"<h2><span>{_text(section.title)}</span>"
    if not section.graded:
        return (
            f'<section class="card" id="s-{_text(section.key)}">{head}<span class="pts">-</span></h2>'
            f'<p class="note">{_text(section.skip_reason)}</p></section>'
        )
    width = _percent(section.score, section.max_score)
    items = "".join(_check_item(c, roots.get(c.id)) for c in section.checks)
    return (
        f'<section class="card" id="s-{_text(section.key)}">{head}'
        f'<span class="pts">{section.score:g}/{section.max_score:g}</span></h2>'
        f'<div class="sbar"><span style="width:{width}%"></span></div><ol class="checks">{items}</ol></section>'
    )


def pictures(folder: Path) -> list[tuple[str, str]]:
    """(caption, data URI) of the latency pictures found in `folder`: regular files of at most PICTURE_LIMIT bytes,
    never through a symbolic link (the folder may hold files the grader did not write)."""
    found: list[tuple[str, str]] = []
    names = list(LATENCY_PICTURES)
    if folder.is_dir():
        names += sorted(
            p.name for p in folder.glob("latency-*") if p.suffix in _MIME and p.name not in LATENCY_PICTURES
        )
    for name in names:
        path = folder / name
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data = base64.b64encode(read_bytes_bounded(path, PICTURE_LIMIT)).decode("ascii")
        except BoundedReadError:
            continue
        caption = LATENCY_PICTURES.get(name, path.stem.replace("-", " "))
        found.append((caption, f"data:{_MIME[path.suffix]};base64,{data}"))
    return found


def _when(started_at: str) -> str:
    try:
        return datetime.fromisoformat(started_at).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return started_at


def render(run: RunResult, picture_dir: Path | None = None) -> str:
    percent = _percent(run.score, run.max_score)
    counts = display_counts(run)
    chips = "".join(f'<li class="{s}">{counts[s]} {s}</li>' for s in (*LABELS, "advice") if counts.get(s))
    meta = " · ".join(
        _text(part)
        for part in (
            f"target {run.target}",
            run.region or "",
            _when(run.started_at),
            f"{run.duration_s:.1f} s",
            f"labgrader {run.labgrader_version}" if run.labgrader_version else "",
            f"student {run.extra['student_id']}" if run.extra.get("student_id") else "",
        )
        if part
    )
    to_fix = root_causes(run)
    if to_fix:
        fix_body = f'<ol class="checks">{"".join(_fix_item(c, blocked) for c, blocked in to_fix)}</ol>'
        if any(c.status == "error" for c, _ in to_fix):
            fix_body += (
                '<p class="note">ERROR means the grader could not look (endpoint unreachable, missing permission):'
                " there is no verdict on those objectives yet.</p>"
            )
    else:
        fix_body = '<p class="note">Nothing: every graded check passes.</p>'
    figures = pictures(picture_dir) if picture_dir is not None else []
    latency = ""
    if figures:
        latency = (
            '<section class="card" id="latency-pictures"><h2><span>Latency pictures</span></h2>'
            + "".join(
                f'<figure><img src="{uri}" alt="{_text(caption)}"><figcaption>{_text(caption)}</figcaption></figure>'
                for caption, uri in figures
            )
            + "</section>"
        )
    roots = blocked_roots(run)
    body = "".join(_section(s, roots) for s in sections(run))
    setup_lines = "\n".join(_text(line) for line in setup_section.summary_lines(run.extra.get("setup")))
    setup = (
        f'<section class="card" id="setup"><h2><span>Setup script</span></h2><pre>{setup_lines}</pre></section>\n'
        if setup_lines
        else ""
    )
    return f"""{page_head(f"{run.lab}: {run.score:g}/{run.max_score:g} · labgrader", CSS + cleanup_section.CSS)}
<body>
<div class="wrap">
<header class="top">
<h1>Lab {_text(run.lab)}</h1>
<p class="meta">{meta}</p>
<p class="score" id="score">{run.score:g} <span class="of">/ {run.max_score:g} points · {percent:g} %</span></p>
<div class="meter" role="img" aria-label="{percent:g} percent"><span style="width:{percent}%"></span></div>
<ul class="counts" aria-label="{_text(summary_counts(run))}">{chips}</ul>
</header>
<main>
{setup}<section class="card" id="to-fix"><h2><span>What to fix</span><span class="pts">{len(to_fix)}</span></h2>
{fix_body}</section>
{latency}
{cleanup_section.html_section(run)}
{body}
</main>
<footer>Generated by labgrader from results.json ({_text(run.phase)} phase). Statuses: PASS met · FAIL the lab is
wrong · ADVICE an advisory objective not met (no points) · ERROR the grader could not look · PENDING still being
created · SKIP not graded here.</footer>
</div>
</body>
</html>
"""


def write(run: RunResult, out_dir: Path, picture_dir: Path | None = None) -> Path:
    return outdir.write_text(out_dir / FILE_NAME, render(run, picture_dir if picture_dir is not None else out_dir))
