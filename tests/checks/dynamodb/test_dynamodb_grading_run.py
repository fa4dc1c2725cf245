"""Whole DynamoDB grading runs: every catalog ID in results.json, and the DynamoDB-only lab (the time a run takes is
benchmarks/test_bench_dynamodb_run.py)."""

from __future__ import annotations

import contextlib
import json

import pytest

from labgrader import paths
from labgrader.engine import catalog, runner
from labgrader.solve import dynamodb as solve_dynamodb
from labgrader.spec import load_spec

pytestmark = pytest.mark.sandbox

DYNAMODB_IDS = [e.id for e in catalog.CATALOG if e.section == "dynamodb"]
POINTS = {
    "dynamodb_table_exists": 3, "dynamodb_table_keys_match": 3, "dynamodb_gsi_configured": 3,
    "dynamodb_lsi_configured": 3, "dynamodb_capacity_mode_valid": 2, "dynamodb_ttl_enabled": 3,
    "dynamodb_stream_enabled": 3, "dynamodb_pitr_enabled": 0, "dynamodb_dataset_imported": 3,
    "dynamodb_items_well_formed": 2, "dynamodb_exercise_state": 3, "dynamodb_crud_roundtrip": 2,
    "dynamodb_condition_expression_enforced": 2, "dynamodb_query_by_key": 2, "dynamodb_query_gsi": 2,
    "dynamodb_scan_filter_projection": 2, "dynamodb_stream_records": 2,
}  # fmt: skip


def test_results_json_carries_every_dynamodb_id_passing_on_the_reference(solved, local_target, tmp_path):
    runner.grade(solved, local_target, out_dir=tmp_path, only=frozenset(DYNAMODB_IDS))
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    checks = {c["id"]: c for c in results["checks"] if c["section"] == "dynamodb"}
    assert list(checks) == DYNAMODB_IDS
    assert {i: c["status"] for i, c in checks.items()} == dict.fromkeys(DYNAMODB_IDS, "pass")
    assert {i: c["points"] for i, c in checks.items()} == POINTS
    assert checks["dynamodb_pitr_enabled"]["required"] is False
    for check in checks.values():
        assert check["message"].endswith("."), check
        assert "\n" not in check["message"]
        assert check["evidence"]["call"]


@pytest.fixture
def music(sandbox, clients):
    """A correct Music setup of the FCJ DynamoDB-basics lab (table, keys, GSI, a few songs)."""
    spec = load_spec(paths.labs_dir() / "fcj-music.toml")
    client = clients.client("dynamodb")
    solve_dynamodb.apply(spec, client, lambda _line: None)
    songs = [
        ("No One You Know", "Call Me Today", "Somewhat Famous"),
        ("Acme Band", "Happy Day", "Songs About Life"),
        ("Acme Band", "PartiQL Rocks", "Another Album Title"),
    ]
    for artist, title, album in songs:
        client.put_item(
            TableName="Music",
            Item={"Artist": {"S": artist}, "SongTitle": {"S": title}, "AlbumTitle": {"S": album}},
        )
    yield spec
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName="Music")


def test_fcj_music_grades_a_correct_music_table_at_full_dynamodb_points(music, local_target, grade, clients):
    before = clients.client("dynamodb").scan(TableName="Music", ConsistentRead=True)["Items"]
    run = grade(music, local_target)  # the whole grade phase
    dynamodb = {c.id: c for c in run.checks if c.section == "dynamodb"}
    passing = {i for i, c in dynamodb.items() if c.status == "pass"}
    assert passing == {
        "dynamodb_table_exists", "dynamodb_table_keys_match", "dynamodb_gsi_configured",
        "dynamodb_capacity_mode_valid", "dynamodb_crud_roundtrip", "dynamodb_condition_expression_enforced",
    }  # fmt: skip
    skipped = {i: c.message for i, c in dynamodb.items() if i not in passing}
    assert {c.status for i, c in dynamodb.items() if i in skipped} == {"skip"}
    assert skipped["dynamodb_ttl_enabled"] == "the lab spec sets no dynamodb.ttl"
    assert skipped["dynamodb_lsi_configured"] == "the lab spec sets no dynamodb.lsi"
    assert skipped["dynamodb_stream_records"] == "the lab spec sets no dynamodb.stream"
    assert skipped["dynamodb_dataset_imported"] == "the lab spec sets no dynamodb.dataset"
    earned = sum(c.points for c in dynamodb.values())
    assert earned == sum(c.max_points for c in dynamodb.values()) == 15
    others = [c for c in run.checks if c.section in ("elasticache", "redis", "cache_aside", "latency")]
    assert others
    assert {c.status for c in others} == {"skip"}
    assert all(c.message.startswith("not part of this lab") for c in others)
    assert clients.client("dynamodb").scan(TableName="Music", ConsistentRead=True)["Items"] == before
