"""Crafted results files: `labgrader report` given a hostile results.json answers one line naming the file and exits
2 (no traceback, no hang, no memory spike); `labgrader gradebook` skips each hostile file with a one-line warning and
still writes the gradebook of the good ones."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labgrader import cli
from labgrader.engine.bounded import RESULTS_LIMIT
from labgrader.engine.results import RESULTS_FILE
from tests.reports.conftest import FIXTURE

GOOD: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


def _with_check(**changes: Any) -> bytes:
    data = json.loads(json.dumps(GOOD))
    data["checks"][0].update(changes)
    return _json(data)


def _literal(field: str, literal: bytes) -> bytes:
    """The fixture with the first check's `field` written as a raw JSON literal (NaN, Infinity, 1e999)."""
    marker = "__literal__"
    data = _with_check(**{field: marker})
    assert data.count(f'"{marker}"'.encode()) == 1
    return data.replace(f'"{marker}"'.encode(), literal)


def _nested(depth: int) -> bytes:
    data = json.loads(json.dumps(GOOD))
    evidence: dict[str, Any] = {}
    data["checks"][0]["evidence"] = evidence
    for _ in range(depth):
        evidence["deeper"] = {}
        evidence = evidence["deeper"]
    return _json(data)


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


# name → bytes of a hostile results.json, or a function that makes the hostile path itself.
Maker = bytes | Callable[[Path], None]
HOSTILE: dict[str, Maker] = {
    "huge integer beyond Python's digit limit": b'{"lab": "w", "target": "local", "checks": [], "duration_s": '
    + b"9" * 5000
    + b"}",
    "huge integer within the digit limit": _with_check(points=10**4000),
    "float overflow": _literal("points", b"1e999"),
    "NaN": _literal("points", b"NaN"),
    "Infinity": _literal("duration_s", b"-Infinity"),
    "deep nesting (a million brackets)": b"[" * 1_000_000 + b"]" * 1_000_000,
    "deep nesting below the interpreter's limit": _nested(500),
    "UTF-16": json.dumps(GOOD).encode("utf-16"),
    "Latin-1 bytes": _json(GOOD).replace(b"week8", "wéek8".encode("latin-1"), 1),
    "UTF-8 byte order mark": b"\xef\xbb\xbf" + _json(GOOD),
    "empty file": b"",
    "cut short": _json(GOOD)[:1000],
    "a JSON list": b"[]",
    "a JSON string": b'"results"',
    "a JSON number": b"42",
    "null": b"null",
    "checks not a list": _json({**GOOD, "checks": {"id": "x"}}),
    "a check not an object": _json({**GOOD, "checks": ["pass"]}),
    "unknown status (a megabyte long)": _with_check(status="p" * 1_000_000),
    "status with terminal escapes": _with_check(status="\x1b[2J\x1b]0;pwned\x07pass\n"),
    "lab not a string": _json({**GOOD, "lab": {"nested": ["week8"]}}),
    "points a string": _with_check(points="3"),
    "points a boolean": _with_check(points=True),
    "unknown visibility": _with_check(visibility="everyone"),
    "100 MB file": lambda path: _sparse(path, 100 << 20),
    "just over the limit": lambda path: _sparse(path, RESULTS_LIMIT + 1),
    "FIFO": os.mkfifo,
    "/dev/zero": lambda path: path.symlink_to("/dev/zero"),
    "a directory": lambda path: path.mkdir(),
    "a dangling link": lambda path: path.symlink_to(path.parent / "nowhere.json"),
}
# What the one line says for each kind of problem.
EXPECTED = {
    "100 MB file": "over the",
    "just over the limit": "over the",
    "FIFO": "not a regular file",
    "/dev/zero": "not a regular file",
    "a directory": "folder",
    "UTF-16": "not UTF-8",
    "Latin-1 bytes": "not UTF-8",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "huge integer beyond Python's digit limit": "not valid JSON",
    "deep nesting (a million brackets)": "nested deeper",
    "deep nesting below the interpreter's limit": "nested deeper",
}


def plant(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RESULTS_FILE
    maker = HOSTILE[name]
    if isinstance(maker, bytes):
        path.write_bytes(maker)
    else:
        maker(path)
    return path


@pytest.mark.parametrize("name", list(HOSTILE))
def test_report_answers_one_line_and_exit_2(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plant(tmp_path / "run", name)
    assert cli.main(["report", str(path), "--out", str(tmp_path / "out"), "--format", "all"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"labgrader: {path}"), line  # the file, or for a folder the folder
    assert "Traceback" not in captured.err
    assert "\x1b" not in captured.err
    assert len(line) < 400
    assert EXPECTED.get(name, "") in line
    assert captured.out == ""
    assert not (tmp_path / "out").exists()  # nothing written for a file that is not a results.json


def test_report_reads_a_results_json_with_lone_surrogates_and_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid JSON that UTF-8 writers and terminals choke on is a results.json all the same: it is rendered."""
    path = tmp_path / RESULTS_FILE
    path.write_bytes(_with_check(message="\\ud800 \x1b[31m red", id="dynamodb_table_exists").replace(b"\\\\", b"\\"))
    assert cli.main(["report", str(path), "--format", "all"]) == 0
    assert "\x1b" not in capsys.readouterr().out
    assert "\ufffd" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_gradebook_skips_each_hostile_file_and_keeps_the_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "class"
    for student in ("alice", "bob"):
        (root / student).mkdir(parents=True)
        (root / student / RESULTS_FILE).write_text(json.dumps({**GOOD, "student_id": student}))
    bad = {name: plant(root / f"hostile-{index:02d}", name) for index, name in enumerate(HOSTILE)}
    out = tmp_path / "gradebook.csv"

    assert cli.main(["gradebook", str(root), "--out", str(out)]) == 0

    captured = capsys.readouterr()
    warnings = captured.err.splitlines()
    assert "Traceback" not in captured.err
    assert len(warnings) == len(HOSTILE)  # one line per bad file
    for name, path in bad.items():
        (line,) = [w for w in warnings if f" {path}: " in w]
        assert line.startswith(f"labgrader: skipping {path}: "), line
        assert EXPECTED.get(name, "").replace("folder", "directory") in line
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student"] for row in rows[:-1]] == ["alice", "bob"]
    assert rows[-1]["student"] == "pass rate (n=2)"


def test_gradebook_of_only_hostile_files_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = plant(tmp_path / "run", "FIFO")
    assert cli.main(["gradebook", str(fifo), "--out", str(tmp_path / "gb.csv")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"labgrader: skipping {fifo}: cannot read it (not a regular file (a device, FIFO or socket))"
    assert len(lines) == 2  # and "nothing to put in a gradebook"
    assert not (tmp_path / "gb.csv").exists()
