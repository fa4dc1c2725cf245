"""report.html: self-contained, the same content as the scorecard plus evidence and latency pictures; checked in a
real headless Chromium (visible text, phone width, embedded pictures) with a screenshot kept in the test's folder."""

from __future__ import annotations

import base64
import dataclasses
import html as htmllib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from labgrader.reports import html
from labgrader.reports.model import split_hint
from labgrader.engine.results import RunResult

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="80" viewBox="0 0 320 80">'
    '<rect x="0" y="10" width="30" height="20" fill="#c33"/><rect x="0" y="45" width="300" height="20" fill="#36c"/>'
    "</svg>"
)
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # No network at all: the page must not need any.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


@pytest.fixture
def report(tmp_path: Path, fixture_run: RunResult) -> Path:
    (tmp_path / "latency-redis-vs-dynamodb.svg").write_text(SVG)
    (tmp_path / "latency-hit-vs-miss.svg").write_text(SVG.replace("#c33", "#3a3"))
    return html.write(fixture_run, tmp_path)


def test_self_contained_no_network_no_script(report: Path) -> None:
    text = report.read_text()
    assert "<script" not in text
    assert "<link" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text)
    assert "@import" not in text


def test_score_misses_hints_and_evidence_are_there(report: Path, fixture_run: RunResult) -> None:
    text = report.read_text()
    assert '<p class="score" id="score">85 <span class="of">/ 98 points · 86.7 %</span></p>' in text
    for check in fixture_run.checks:
        assert f'id="c-{check.id}"' in text
        if check.status in ("fail", "error", "pending"):
            prose, command = split_hint(check.hint)
            assert prose or command
            assert htmllib.escape(prose) in text
            assert htmllib.escape(command) in text
            assert htmllib.escape(check.message) in text
    assert "<summary>Evidence</summary>" in text
    assert "dynamodb.describe_time_to_live" in text  # evidence: staff detail lives here
    assert (
        '<div class="fix"><b>Fix</b><p>Start the sandbox again.</p><pre><code>labgrader sandbox down &amp;&amp; '
        "labgrader sandbox up --detach</code></pre></div>" in text
    )
    assert "after due date on Gradescope" in text
    assert "advisory" in text


def test_latency_pictures_are_embedded_as_data_uris(report: Path) -> None:
    text = report.read_text()
    uris = re.findall(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', text)
    assert [alt for _, alt in uris] == ["Redis GET vs DynamoDB GetItem latency", "Cache hit vs cache miss latency"]
    assert base64.b64decode(uris[0][0]).decode() == SVG


def test_without_pictures_there_is_no_latency_section(tmp_path: Path, fixture_run: RunResult) -> None:
    assert 'id="latency-pictures"' not in html.write(fixture_run, tmp_path).read_text()


def test_grader_text_is_escaped(tmp_path: Path, fixture_run: RunResult) -> None:
    checks = [
        dataclasses.replace(c, message='<img src=x onerror="alert(1)">') if c.id == "dynamodb_ttl_enabled" else c
        for c in fixture_run.checks
    ]
    text = html.write(dataclasses.replace(fixture_run, checks=checks), tmp_path).read_text()
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text


# --- in a real browser -----------------------------------------------------------------------------------------

PROBE = """<script>
(function () {
  var phone = 360;
  var visible = document.body.innerText;  // layout-aware: text of closed <details> and hidden nodes is left out
  document.documentElement.style.width = phone + "px";
  var wide = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var box = el.getBoundingClientRect();
    var spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible";
    if (box.width > 0 && (box.right > phone + 1 || spills)) { wide.push(el.tagName + "." + el.className); }
  });
  var images = Array.prototype.map.call(document.images, function (img) {
    return {alt: img.alt, loaded: img.complete && img.naturalWidth > 0};
  });
  var probe = document.createElement("pre");
  probe.id = "labgrader-probe";
  probe.textContent = JSON.stringify({visible: visible, wide: wide, images: images});
  document.body.appendChild(probe);
})();
</script>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def probe(report: Path, tmp_path: Path) -> dict[str, Any]:
    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text().replace("</body>", PROBE + "\n</body>"))
    done = chromium("--dump-dom", "--window-size=390,844", probed.as_uri(), profile=tmp_path / "profile-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="labgrader-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stdout[-2000:]
    data: dict[str, Any] = json.loads(htmllib.unescape(found.group(1)))
    return data


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_in_chromium_the_score_and_a_failing_hint_are_visible_on_a_phone(
    report: Path, tmp_path: Path, fixture_run: RunResult
) -> None:
    seen = probe(report, tmp_path)
    visible = seen["visible"]
    assert "85 / 98 points · 86.7 %" in visible
    ttl = fixture_run.get("dynamodb_ttl_enabled")
    assert ttl.hint in visible
    assert ttl.message in visible
    # Evidence sits in closed <details>: in the page, not on screen (proves the probe sees visibility).
    assert "dynamodb.describe_time_to_live" in report.read_text()
    assert "dynamodb.describe_time_to_live" not in visible
    assert seen["wide"] == [], "elements wider than a 360 px phone"
    assert seen["images"] == [
        {"alt": "Redis GET vs DynamoDB GetItem latency", "loaded": True},
        {"alt": "Cache hit vs cache miss latency", "loaded": True},
    ]
    for name, size in (("report-phone.png", "390,2400"), ("report-desktop.png", "1280,1600")):
        shot = tmp_path / name
        done = chromium(
            f"--screenshot={shot}", f"--window-size={size}", report.as_uri(), profile=tmp_path / f"profile-{shot.stem}"
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(shot.read_bytes()[16:20], "big")
        assert width == int(size.split(",")[0])


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_the_browser_probe_catches_what_a_phone_cannot_show(tmp_path: Path) -> None:
    """The probe is not vacuous: a no-wrap line wider than a phone and text in a display:none block are caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html><head><meta name="viewport" content="width=device-width"></head><body>'
        '<pre style="white-space:pre">' + "x" * 200 + '</pre><p style="display:none">invisible words</p>'
        "<p>shown words</p></body></html>"
    )
    seen = probe(page, tmp_path)
    assert seen["wide"] == ["PRE."]
    assert "shown words" in seen["visible"]
    assert "invisible words" not in seen["visible"]
