"""`labgrader gradebook`: one CSV row per student run plus a pass-rate row; missing and malformed files are named
in a warning and left out."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from labgrader import cli
from labgrader.engine import catalog


@pytest.fixture
def classroom(tmp_path: Path, results_data: dict[str, Any]) -> Path:
    """Three good runs (identity: --student-id, AWS account, folder name), one malformed file."""
    root = tmp_path / "submissions"
    alice = dict(results_data)  # fixture: student_id alice, 85/98
    bob = json.loads(json.dumps(results_data))
    del bob["student_id"]
    bob["aws_account_id"] = "123456789012"
    bob["target"] = "aws"
    for check in bob["checks"]:
        if check["status"] in ("fail", "error", "pending") and check["required"]:
            check["status"], check["points"] = "pass", check["max_points"]
    carol = json.loads(json.dumps(results_data))
    del carol["student_id"]
    for check in carol["checks"]:
        if check["id"] == "dynamodb_table_exists":
            check["status"], check["points"] = "fail", 0.0
    for name, data in (("alice-run", alice), ("bob-run", bob), ("carol", carol)):
        (root / name).mkdir(parents=True)
        (root / name / "results.json").write_text(json.dumps(data))
    (root / "dave").mkdir()
    (root / "dave" / "results.json").write_text('{"lab": "week8", "checks": [')  # cut short
    return root


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_three_good_one_malformed_one_missing(
    classroom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "grades" / "gradebook.csv"
    missing = tmp_path / "erin"
    code = cli.main(
        [
            "gradebook",
            str(classroom / "alice-run"),
            str(classroom / "bob-run" / "results.json"),
            str(classroom / "carol"),
            str(classroom / "dave"),
            str(missing),
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    warnings = captured.err.strip().splitlines()
    assert len(warnings) == 2
    assert f"skipping {classroom / 'dave' / 'results.json'}: not valid JSON" in warnings[0]
    assert warnings[1] == f"labgrader: skipping {missing}: does not exist"
    assert "gradebook: 3 run(s) of 3 student(s)" in captured.out

    rows = read_csv(out)
    assert len(rows) == 4
    header = list(rows[0])
    ids = catalog.ids_for_phase("grade")
    assert header == ["student", "identity_source", "lab", "target", "date", "score", "max_score", *ids, "source"]
    alice, bob, carol, rate = rows
    assert (alice["student"], alice["identity_source"]) == ("alice", "student_id")
    assert (bob["student"], bob["identity_source"], bob["target"]) == ("123456789012", "aws_account", "aws")
    assert (carol["student"], carol["identity_source"]) == ("carol", "folder")
    assert (alice["score"], alice["max_score"], alice["date"]) == ("85", "98", "2026-11-27T09:00:00+00:00")
    assert bob["score"] == "98"
    assert carol["score"] == "82"
    assert alice["dynamodb_ttl_enabled"] == "fail"
    assert bob["dynamodb_ttl_enabled"] == "pass"
    assert alice["elasticache_parameter_group_eviction_policy"] == "skip"

    assert rate["student"] == "pass rate (n=3)"
    assert rate["dynamodb_table_exists"] == "66.7%"
    assert rate["dynamodb_ttl_enabled"] == "33.3%"
    assert rate["redis_reachable"] == "100.0%"
    assert rate["elasticache_parameter_group_eviction_policy"] == ""  # skipped everywhere: no rate
    assert rate["score"] == "88.33"


def test_a_folder_of_run_folders(classroom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gb.csv"
    assert cli.main(["gradebook", str(classroom), "--out", str(out)]) == 0
    assert [r["student"] for r in read_csv(out)] == ["alice", "123456789012", "carol", "pass rate (n=3)"]
    assert "dave" in capsys.readouterr().err


def test_a_file_that_is_not_labgrader_results_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gradescope = tmp_path / "run" / "results" / "results.json"
    gradescope.parent.mkdir(parents=True)
    gradescope.write_text(json.dumps({"score": 1, "tests": []}))
    assert cli.main(["gradebook", str(gradescope), "--out", str(tmp_path / "gb.csv")]) == 2
    err = capsys.readouterr().err
    assert f"skipping {gradescope}: not a labgrader results.json (no 'lab' field" in err
    assert "nothing to put in a gradebook" in err
    assert not (tmp_path / "gb.csv").exists()


def test_csv_to_stdout(classroom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["gradebook", str(classroom / "carol"), "--out", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("student,identity_source,lab,target,date,score,max_score,dynamodb_table_exists,")
    assert lines[1].startswith("carol,folder,week8,local,")
    assert lines[2].startswith("pass rate (n=1),")
