"""JUnit XML: pytest's own `--junitxml` file of the grading run, made to agree with results.json.

`--format junit` runs the grading pytest with `--junitxml <out>/junit.xml` (pytest writes it even with its terminal
plugin off). Afterwards `finalize` reconciles the file with results.json, so CI tools (Jenkins, GitLab, GitHub test
reporters) show exactly one testcase per check ID, named by the ID, classname `labgrader.<section>`:
pass → no child; fail → `<failure>`; error (the grader could not look) → `<error>`, never a failure; skip and pending
→ `<skipped>` with the reason. pytest's own detail (a traceback) is kept after ours. A check with no pytest testcase
(not implemented, or regenerating from a saved results.json without the file) gets one built from results.json.

An advisory miss (a check with `required: false`) is `<skipped type="advice">` with the advice and its fix, not a
`<failure>`: skipped is the one non-failing outcome that Jenkins, GitLab and the GitHub JUnit reporters list with its
message (a passing testcase's system-out is hidden or dropped by most of them, so the advice would vanish), and a
failure would turn the CI job red over something that costs no points. A check blocked by a root cause stays a
`<failure>` whose message starts "blocked by <id>" and whose text names that check instead of repeating its fix.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from labgrader.engine.inert import EVIDENCE_LIMIT, HINT_LIMIT, MESSAGE_LIMIT, bounded
from labgrader.engine import outdir
from labgrader.reports.model import blocked_roots, is_advice
from labgrader.engine.results import CheckResult, RunResult

FILE_NAME = "junit.xml"
PRIVATE_PREFIX = ".labgrader-pytest-junit-"
_OUTCOMES = ("failure", "error", "skipped")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str, limit: int = EVIDENCE_LIMIT) -> str:
    """Text XML can carry (no characters XML 1.0 forbids), bounded: it can quote what a module printed."""
    return _ILLEGAL_XML.sub("?", bounded(text, limit))


def suite_name(run: RunResult) -> str:
    return clean(f"labgrader.{run.lab}", MESSAGE_LIMIT)


def pytest_options(path: Path, lab: str) -> list[str]:
    """The pytest arguments that make the grading run write its JUnit XML to `path`."""
    return ["--junitxml", str(path), "-o", f"junit_suite_name=labgrader.{lab}"]


def junit_path_in(extra: list[str] | tuple[str, ...]) -> Path | None:
    """The --junitxml path a user already passed to pytest (after `--`), if any."""
    for index, argument in enumerate(extra):
        for option in ("--junitxml", "--junit-xml"):
            if argument.startswith(f"{option}="):
                return Path(argument.split("=", 1)[1])
            if argument == option and index + 1 < len(extra):
                return Path(extra[index + 1])
    return None


def _detail(check: CheckResult, pytest_text: str, blocked_by: str | None = None) -> str:
    parts = [bounded(check.message)]
    if blocked_by is not None:
        parts.append(f"Blocked by {blocked_by}: fix that first (its fix is in that testcase); this check is graded then.")
    elif check.hint:
        # The commands one per line, then the sentence explaining them (when it is not the whole hint).
        note = f"\n{bounded(check.hint_note)}" if check.hint_note and check.hint_note != check.hint else ""
        parts.append(f"Fix: {bounded(check.hint, HINT_LIMIT)}{note}")
    if check.evidence:
        parts.append("Evidence: " + bounded(json.dumps(check.evidence, indent=2, default=str, sort_keys=True)))
    if pytest_text.strip():
        parts.append("pytest:\n" + bounded(pytest_text.strip()))
    return clean("\n\n".join(p for p in parts if p), 4 * EVIDENCE_LIMIT)


def _apply(case: ET.Element, check: CheckResult, blocked_by: str | None = None) -> None:
    pytest_text = "\n".join((child.text or "") for child in case if child.tag in _OUTCOMES)
    for child in [c for c in case if c.tag in _OUTCOMES]:
        case.remove(child)
    case.set("name", clean(check.id, MESSAGE_LIMIT))
    case.set("classname", clean(f"labgrader.{check.section or 'other'}", MESSAGE_LIMIT))
    case.set("time", f"{check.duration_s:.3f}")
    outcome: ET.Element | None = None
    if is_advice(check):
        advice = f"ADVICE (advisory: it never fails the lab): {check.message}"
        outcome = ET.Element("skipped", {"type": "advice", "message": clean(advice, MESSAGE_LIMIT)})
        outcome.text = _detail(check, "")
    elif check.status == "fail":
        message = check.message if blocked_by is None else f"blocked by {blocked_by}: {check.message}"
        outcome = ET.Element("failure", {"type": "fail", "message": clean(message, MESSAGE_LIMIT)})
        outcome.text = _detail(check, pytest_text, blocked_by)
    elif check.status == "error":
        outcome = ET.Element(
            "error", {"type": "error", "message": clean(f"The grader could not look: {check.message}", MESSAGE_LIMIT)}
        )
        outcome.text = _detail(check, pytest_text)
    elif check.status in ("skip", "pending"):
        reason = check.message if check.status == "skip" else f"pending: {check.message} {check.hint}".strip()
        outcome = ET.Element("skipped", {"type": check.status, "message": clean(reason, MESSAGE_LIMIT)})
        outcome.text = clean(reason, MESSAGE_LIMIT)
    if outcome is not None:
        case.insert(0, outcome)


def private_pytest_file(out_dir: Path) -> Path:
    """Where the grading pytest writes its JUnit file: a fresh folder of the run's own under `out_dir` (the secret
    scrub covers it; a `junit.xml` symlink planted in `out_dir` is never written through, since pytest opens its
    file itself). `write` turns it into `out_dir/junit.xml` and `discard_private` removes the folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=PRIVATE_PREFIX, dir=out_dir)) / FILE_NAME


def _is_private(path: Path | None, out_dir: Path) -> bool:
    return path is not None and path.parent.name.startswith(PRIVATE_PREFIX) and path.parent.parent == out_dir


def discard_private(path: Path | None, out_dir: Path) -> None:
    if path is not None and _is_private(path, out_dir):
        shutil.rmtree(path.parent, ignore_errors=True)


def finalize(run: RunResult, path: Path, source: Path | None = None) -> Path:
    """Reconcile pytest's JUnit file (at `source`, default `path`) with `run` (or build it from `run` when pytest
    wrote none), written whole to `path`."""
    root: ET.Element | None = None
    source = source or path
    if source.is_file() and not source.is_symlink():
        try:
            root = ET.parse(source).getroot()  # noqa: S314 - our own pytest run's file, not untrusted input
        except ET.ParseError:
            root = None
    if root is None or root.tag not in ("testsuites", "testsuite"):
        root = ET.Element("testsuites")
    if root.tag == "testsuite":
        wrapper = ET.Element("testsuites")
        wrapper.append(root)
        root = wrapper
    root.set("name", "labgrader")
    suite = root.find("testsuite")
    if suite is None:
        suite = ET.SubElement(root, "testsuite")
    suite.set("name", suite_name(run))
    if run.started_at and not suite.get("timestamp"):
        suite.set("timestamp", clean(run.started_at, MESSAGE_LIMIT))
    by_id = {c.id: c for c in run.checks}
    roots = blocked_roots(run)
    seen: set[str] = set()
    for parent in root.iter("testsuite"):
        for case in list(parent.findall("testcase")):
            check_id = _check_id_of(case, by_id)
            if check_id is None:
                continue
            if check_id in seen:  # never two testcases for one check
                parent.remove(case)
                continue
            seen.add(check_id)
            _apply(case, by_id[check_id], roots.get(check_id))
    for check in run.checks:
        if check.id not in seen:
            _apply(ET.SubElement(suite, "testcase"), check, roots.get(check.id))
    for parent in root.iter("testsuite"):
        cases = parent.findall("testcase")
        parent.set("tests", str(len(cases)))
        for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            parent.set(attribute, str(sum(1 for case in cases if case.find(tag) is not None)))
        parent.set("time", parent.get("time") or f"{run.duration_s:.3f}")
    ET.indent(root)
    with outdir.replacing(path) as temporary:
        ET.ElementTree(root).write(temporary, encoding="utf-8", xml_declaration=True)
    return path


def _check_id_of(case: ET.Element, by_id: dict[str, CheckResult]) -> str | None:
    name = case.get("name", "")
    if name in by_id:
        return name
    module = case.get("classname", "").rsplit(".", 1)[-1]
    return module if module in by_id else None


def write(run: RunResult, out_dir: Path, path: Path | None = None) -> Path:
    """junit.xml in `out_dir` from pytest's file at `path` (the run's private one, or a --junitxml the user chose,
    which is then where it is written)."""
    if _is_private(path, out_dir):
        try:
            return finalize(run, out_dir / FILE_NAME, source=path)
        finally:
            discard_private(path, out_dir)
    return finalize(run, path or out_dir / FILE_NAME)
