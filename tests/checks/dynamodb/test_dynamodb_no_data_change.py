"""A grading run leaves the student's table byte-for-byte as it found it: after a full run, after a run killed
with SIGINT while a scratch item is in the table, and with another run's scratch items around."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine import catalog, runner
from labgrader.engine.scratch import SCRATCH_PREFIX
from tests.checks.dynamodb.helpers import fingerprint, scratch_items

pytestmark = pytest.mark.sandbox

DYNAMODB_IDS = frozenset(e.id for e in catalog.CATALOG if e.section == "dynamodb")
WRITING_CHECKS = ("dynamodb_crud_roundtrip", "dynamodb_condition_expression_enforced", "dynamodb_stream_records")
LABGRADER = Path(sys.executable).parent / "labgrader"


def test_a_full_dynamodb_run_leaves_every_item_unchanged(solved, local_target, ddb_client, tmp_path):
    table = solved.dynamodb.table
    before, rows = fingerprint(ddb_client, table)
    assert len(rows) == 99
    run = runner.grade(solved, local_target, out_dir=tmp_path, only=DYNAMODB_IDS)
    assert {c.id: c.status for c in run.checks if c.section == "dynamodb"} == dict.fromkeys(DYNAMODB_IDS, "pass")
    assert fingerprint(ddb_client, table)[0] == before
    assert scratch_items(ddb_client, table) == []


@pytest.mark.parametrize("check", WRITING_CHECKS)
def test_a_run_interrupted_with_a_scratch_item_in_the_table_leaves_it_unchanged(
    solved, sandbox_home, ddb_client, tmp_path, check
):
    table = solved.dynamodb.table
    before, _rows = fingerprint(ddb_client, table)
    marker = tmp_path / "paused"
    env = {
        **os.environ,
        "LABGRADER_HOME": str(sandbox_home),
        "PYTHONPATH": os.pathsep.join([str(paths.project_root()), os.environ.get("PYTHONPATH", "")]),
        "LABGRADER_TEST_PAUSE_MARKER": str(marker),
        "LABGRADER_TEST_PAUSE_CHECK": check,
    }
    out = tmp_path / "out"
    argv = [str(LABGRADER), "grade", "--target", "local", "--out", str(out), "--", "-k", "dynamodb"]
    argv += ["-p", "tests.checks.dynamodb.pause_after_scratch_write"]
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), f"the run never paused in {check}: {proc.communicate(timeout=30)[0].decode()[-2000:]}"
        mid_run = scratch_items(ddb_client, table)
        assert [i["category"]["S"] for i in mid_run] == [f"{SCRATCH_PREFIX}{_run_id(mid_run)}#{check}"]
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert scratch_items(ddb_client, table) == [], output[-2000:]
    assert fingerprint(ddb_client, table)[0] == before
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["interrupted"] is True
    statuses = {c["id"]: c["status"] for c in results["checks"]}
    assert statuses[check] == "error"  # "Not graded: the run was interrupted before it."


def _run_id(items):
    return items[0]["category"]["S"].removeprefix(SCRATCH_PREFIX).split("#", 1)[0]


@pytest.fixture
def foreign_scratch_items(solved, ddb_client):
    """Scratch items of another, concurrent grading run, in the shared reference table; removed afterwards."""
    table = solved.dynamodb.table
    items = [
        {
            "category": {"S": f"{SCRATCH_PREFIX}0badc0de#dynamodb_crud_roundtrip"},
            "sku": {"S": f"item-000{n}"},
            "name": {"S": "x"},
            "brand": {"S": "Bosch"},  # even shaped to match this run's GSI query, they must not count
            "price": {"N": "99"},
            "rating": {"N": "1"},
            "stock": {"N": "1"},
        }
        for n in range(1, 4)
    ]
    for item in items:
        ddb_client.put_item(TableName=table, Item=item)
    yield items
    for item in items:
        ddb_client.delete_item(TableName=table, Key={"category": item["category"], "sku": item["sku"]})


def test_another_run_s_scratch_items_change_no_verdict_and_stay(
    solved, local_target, ddb_client, foreign_scratch_items, tmp_path
):
    run = runner.grade(solved, local_target, out_dir=tmp_path, only=DYNAMODB_IDS)
    assert {c.id: c.status for c in run.checks if c.section == "dynamodb"} == dict.fromkeys(DYNAMODB_IDS, "pass")
    assert "99 items counted" in run.get("dynamodb_dataset_imported").message
    remaining = scratch_items(ddb_client, solved.dynamodb.table)
    assert sorted(i["sku"]["S"] for i in remaining) == ["item-0001", "item-0002", "item-0003"]
