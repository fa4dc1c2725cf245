"""Injection-proof outputs: text a student controls (exception messages, printed output, item values, evidence,
`--student-id`) is inert in every format. Each output is parsed as its consumer would parse it: the HTML's elements
and attributes, the Markdown's tokens (GFM-like: tables and bare-URL autolinks on), the gradebook's CSV cells, the
terminal's bytes, the JUnit XML, the Gradescope and Classroom JSON; and a megabyte of output stays out of all of
them."""

from __future__ import annotations

import copy
import csv
import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console

from labgrader import cli, reports
from labgrader.engine.inert import terminal
from labgrader.engine.results import RESULTS_FILE, RunResult
from labgrader.reports import classroom, gradescope, junit, markdown, scorecard
from labgrader.reports.model import run_from_dict, sections
from labgrader.reports.progress import PlainProgress
from tests.reports.conftest import FIXTURE

MARKUP = (
    "[click](http://evil.example/a) ![pixel](http://evil.example/p.png) <img src=x onerror=alert(1)> "
    "<script>alert(1)</script> <http://evil.example/auto> http://evil.example/bare www.evil.example "
    "mail@evil.example [ref]: http://evil.example/ref &#x3C;b&#x3E; a | b || c `tick` \\[x\\](y) "
    "<!-- comment --> <a href='javascript:alert(1)'>x</a>\n\n# heading\n- item\n| x | y |"
)
TERMINAL = (
    "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\\x9b31m\u202edesrever\x07\x08"
)
FAKE_LINE = "\n  PASS      9/9  redis_reachable\r"
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", " =1")
XML_ILLEGAL = "\x00\x01\x0b\x0c\x1f\ufffe\uffff\ud800"
HOSTILE = " ".join((MARKUP, TERMINAL, FAKE_LINE, FORMULAS[0], XML_ILLEGAL))
MEGABYTE = "x" * 1_000_000
ATTRIBUTE = 'x" onmouseover="alert(1)" data-x=\'y\' | `z` [l](http://evil.example)'


@pytest.fixture
def results_data() -> dict[str, Any]:
    """The report tests' fixed results.json (every status, an advisory miss, hidden checks)."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def hostile_results(results_data: dict[str, Any], student_id: str = HOSTILE) -> dict[str, Any]:
    """The report fixture with student-controlled text everywhere a student's module or CLI flag can put it."""
    data = copy.deepcopy(results_data)
    data["student_id"] = student_id
    for check in data["checks"]:
        if check["id"] == "cache_aside_miss_populates":  # a module's exception, with a megabyte of printed output
            check.update(status="fail", points=0.0, message=f"The module raised: {HOSTILE} {MEGABYTE}")
            check["evidence"] = {"observed": HOSTILE, "printed": MEGABYTE, HOSTILE: [HOSTILE, {"item": HOSTILE}]}
        elif check["id"] == "dynamodb_ttl_enabled":  # an item value quoted in a message, and in the hint
            hint = f"aws dynamodb ... {HOSTILE}"
            check.update(message=f"TTL attribute holds {HOSTILE!s}", hint=hint, hint_commands=[hint], hint_note=HOSTILE)
        elif check["id"] == "redis_failover_recovers":  # an error
            check.update(message=HOSTILE)
    # A crafted file's check ID and section land in attributes (HTML id/href, JUnit name) and table cells.
    data["checks"].append(
        {"id": ATTRIBUTE, "status": "fail", "points": 0, "max_points": 1, "message": HOSTILE, "section": ATTRIBUTE}
    )
    return data


@pytest.fixture
def hostile_run(results_data: dict[str, Any]) -> RunResult:
    return run_from_dict(hostile_results(results_data))


@pytest.fixture
def written(tmp_path: Path, hostile_run: RunResult) -> dict[str, Path]:
    environ = {"GITHUB_OUTPUT": str(tmp_path / "github-output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    return reports.write_reports(hostile_run, tmp_path / "out", reports.FORMATS, environ=environ)


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def test_html_shows_the_text_and_runs_nothing(written: dict[str, Path]) -> None:
    page = Elements()
    page.feed(written["html"].read_text(encoding="utf-8"))
    names = {tag for tag, _ in page.tags}
    # Only the page's own elements (its links are in-page anchors, checked below).
    assert names.isdisjoint({"script", "img", "iframe", "object", "embed", "svg", "form", "base", "link"}), names
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "a":
            assert (attrs["href"] or "").startswith("#"), attrs
    assert page.comments == []
    shown = "".join(page.text)
    assert "<script>alert(1)</script>" in shown  # the payload is shown as text
    assert "<img src=x onerror=alert(1)>" in shown
    assert "\x1b" not in written["html"].read_text(encoding="utf-8")  # nor terminal escapes, for `cat report.html`


def _tokens(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        found.append(token)
        found += _tokens(token.children or [])
    return found


def test_markdown_has_no_link_image_html_or_extra_structure(written: dict[str, Path], hostile_run: RunResult) -> None:
    text = written["markdown"].read_text(encoding="utf-8")
    parser = MarkdownIt("gfm-like")  # tables, strikethrough, bare-URL autolinks (linkify)
    tokens = _tokens(parser.parse(text))
    kinds = {t.type for t in tokens}
    assert kinds.isdisjoint({"link_open", "image", "html_inline", "code_block"}), kinds
    # The only code blocks are the fixes' commands, each a bash block holding exactly one check's commands (a
    # hostile command neither closes its fence early nor opens another).
    blocks = [t for t in tokens if t.type == "fence"]
    commands = [
        c.hint_commands for c in hostile_run.checks if c.hint_commands and c.status in ("fail", "error", "pending")
    ]
    assert [t.info for t in blocks] == ["bash"] * len(blocks)
    assert len(blocks) == len([c for c in commands if c])
    for block in blocks:
        assert any(block.content == "".join(f"{terminal(c)}\n" for c in cs) for cs in commands), block.content
    # The only raw HTML is the report's own collapsible block around the table of every check.
    own_html = ["<details><summary>Every check</summary>\n", "</details>\n"]
    assert [t.content for t in tokens if t.type == "html_block"] == own_html
    headings = [t for t in tokens if t.type == "heading_open"]
    assert len(headings) == 2  # the title and "What to fix": none from the payload
    rendered = parser.render(text)
    assert "<script>" not in rendered
    assert "<img" not in rendered
    assert "<a " not in rendered
    widths = _row_widths(parser.parse(text))
    assert len(widths) == 2  # the section table and the table of every check
    assert widths[0] == [3] * (1 + len(sections(hostile_run)))  # three cells a row: no cell broke out
    assert widths[1] == [4] * (1 + len(hostile_run.checks))


def _row_widths(tokens: list[Token]) -> list[list[int]]:
    """For each table, the number of cells of each row (header first)."""
    tables: list[list[int]] = []
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append(0)
        elif token.type in ("th_open", "td_open"):
            tables[-1][-1] += 1
    return tables


def test_markdown_inline_escaping_round_trips_to_the_same_text() -> None:
    """What an escaped message renders to is the message itself (one line), not markup."""
    parser = MarkdownIt("gfm-like")
    payload = MARKUP.replace("\n", " ")
    html = parser.render(f"- {markdown.inline(payload)}")
    page = Elements()
    page.feed(html)
    assert [tag for tag, _ in page.tags] == ["ul", "li"]
    assert " ".join("".join(page.text).split()) == " ".join(payload.split())


def test_gradebook_cells_are_never_formulas(tmp_path: Path, results_data: dict[str, Any]) -> None:
    root = tmp_path / "class"
    for index, student in enumerate((*FORMULAS, HOSTILE)):
        data = hostile_results(results_data, student_id=student)
        data["lab"] = FORMULAS[index % len(FORMULAS)]
        data["checks"].append({"id": "=cmd|' /C calc'!A0", "status": "pass", "points": 0, "max_points": 0})
        folder = root / f"-{index}=1+1"
        folder.mkdir(parents=True)
        (folder / RESULTS_FILE).write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "gradebook.csv"
    assert cli.main(["gradebook", str(root), "--out", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert len(table) == 1 + len(FORMULAS) + 1 + 1  # header, one row per run, the pass-rate row
    for row in table:
        for value in row:
            assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), value
            assert "\n" not in value
            assert "\x1b" not in value
    students = [row[0] for row in table[1:-1]]
    assert '\'=HYPERLINK("http://evil.example","x")' in students  # kept, visibly, as text


def test_terminal_output_has_no_escape_or_control_character(hostile_run: RunResult) -> None:
    lines: list[str] = []
    scorecard.render(hostile_run, lines.append, results_path="out/\x1b[31mresults.json")
    progress = PlainProgress(lines.append)
    for result in hostile_run.checks:
        progress.check_done(result)
    console = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=160)
    scorecard.render_rich(hostile_run, console, results_path="out/results.json")
    for result in hostile_run.checks:
        console.print(scorecard.rich_progress_line(result))
    output = "\n".join(lines) + console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in output
    assert "\x9b" not in output
    controls = {c for c in output if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F}
    assert controls == set()
    assert "\u202e" not in output
    # The payload's own line break cannot forge a scorecard line: one PASS line for redis_reachable.
    assert sum(1 for line in lines if line.strip().startswith("PASS") and line.strip().endswith("redis_reachable")) == 2
    assert max(len(line) for line in lines) < 3_000  # a megabyte of output is not printed


def test_junit_xml_parses_and_is_bounded(written: dict[str, Path]) -> None:
    text = written["junit"].read_text(encoding="utf-8")
    root = ET.fromstring(text)  # noqa: S314 - the test's own output
    cases = {case.get("name"): case for case in root.iter("testcase")}
    failure = cases["cache_aside_miss_populates"].find("failure")
    assert failure is not None
    assert "<script>alert(1)</script>" in (failure.get("message") or "")
    assert len(text) < 200_000


def test_gradescope_and_classroom_json_are_valid_and_bounded(tmp_path: Path, written: dict[str, Path]) -> None:
    for name in ("gradescope", "classroom"):
        document = json.loads(written[name].read_text(encoding="utf-8"))
        assert written[name].stat().st_size < 100_000
        for test in document["tests"]:
            text = test.get("output", test.get("message", ""))
            assert len(text) < 2_500
            assert len(test["name"]) < 400
    output = (tmp_path / "github-output").read_text()
    (line,) = output.splitlines()  # one `result=` line: the payload's line breaks cannot add outputs
    assert classroom.decode(line.split("=", 1)[1])["tests"]
    assert gradescope.RESULTS_PATH.parts[-1] in str(written["gradescope"])


def test_a_megabyte_of_output_is_bounded_in_every_report(tmp_path: Path, written: dict[str, Path]) -> None:
    for name, path in written.items():
        assert path.stat().st_size < 250_000, (name, path.stat().st_size)
    assert (tmp_path / "summary").stat().st_size < 250_000
    saved = json.loads(written["json"].read_text(encoding="utf-8"))
    check = next(c for c in saved["checks"] if c["id"] == "cache_aside_miss_populates")
    assert check["message"].endswith("more characters not shown]")
    assert len(check["evidence"]["printed"]) < 10_000


def test_junit_file_of_pytest_keeps_its_text_inert(tmp_path: Path, hostile_run: RunResult) -> None:
    """pytest's own JUnit file of the run (its traceback text is kept after ours) is reconciled into valid XML, its
    text still text."""
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="x">'
        '<testcase classname="checks.cache_aside.cache_aside_miss_populates" name="cache_aside_miss_populates">'
        "<failure>E   Failed: &lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &lt;!--</failure></testcase></testsuite>"
        "</testsuites>",
        encoding="utf-8",
    )
    junit.finalize(hostile_run, path)
    root = ET.parse(path).getroot()  # noqa: S314 - the test's own output
    (case,) = [case for case in root.iter("testcase") if case.get("name") == "cache_aside_miss_populates"]
    failure = case.find("failure")
    assert failure is not None
    assert "pytest:\nE   Failed: <script>alert(1)</script> ]]> <!--" in (failure.text or "")
    assert [child.tag for child in failure] == []  # the text did not become elements
