"""The lab done as a student does it, with the real `aws` CLI against the sandbox, then graded."""

from __future__ import annotations

import contextlib
import dataclasses
import json

import pytest

from labgrader.dataset import batch_files
from labgrader.engine import catalog
from labgrader.engine.verdict import Hint
from labgrader.services.dynamodb.hints import create_table_cli
from tests.checks.dynamodb.helpers import aws
from tests.conftest import replace_section, unique

pytestmark = pytest.mark.sandbox

DYNAMODB_IDS = frozenset(e.id for e in catalog.CATALOG if e.section == "dynamodb")
REGION = "ap-southeast-1"  # the shipped files name LabProducts: a region of its own keeps the shared reference intact


@pytest.fixture
def student_region(sandbox, clients):
    yield REGION
    client = clients.client("dynamodb", region=REGION)
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName="LabProducts")


def test_a_lab_done_with_the_aws_cli_passes_every_dynamodb_check(sandbox, week8, local_target, student_region, grade):
    def cli(*args: str) -> dict:
        return aws(sandbox, "dynamodb", *args, region=student_region)

    gsi = [
        {
            "IndexName": "brand-price-index",
            "KeySchema": [
                {"AttributeName": "brand", "KeyType": "HASH"},
                {"AttributeName": "price", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    lsi = [
        {
            "IndexName": "category-rating-index",
            "KeySchema": [
                {"AttributeName": "category", "KeyType": "HASH"},
                {"AttributeName": "rating", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    cli(
        "create-table", "--table-name", "LabProducts",
        "--attribute-definitions", "AttributeName=category,AttributeType=S", "AttributeName=sku,AttributeType=S",
        "AttributeName=brand,AttributeType=S", "AttributeName=price,AttributeType=N",
        "AttributeName=rating,AttributeType=N",
        "--key-schema", "AttributeName=category,KeyType=HASH", "AttributeName=sku,KeyType=RANGE",
        "--billing-mode", "PAY_PER_REQUEST",
        "--global-secondary-indexes", json.dumps(gsi),
        "--local-secondary-indexes", json.dumps(lsi),
        "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
    )  # fmt: skip
    cli("wait", "table-exists", "--table-name", "LabProducts")
    cli(
        "update-time-to-live", "--table-name", "LabProducts",
        "--time-to-live-specification", "Enabled=true,AttributeName=expires_at",
    )  # fmt: skip
    cli(
        "update-continuous-backups", "--table-name", "LabProducts",
        "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true",
    )  # fmt: skip
    files = batch_files(week8.dynamodb.dataset.path)
    assert [f.name for f in files] == ["books.json", "games.json", "music.json", "tools.json"]
    for path in files:
        answer = cli("batch-write-item", "--request-items", f"file://fixtures/data/batch/{path.name}")
        assert answer["UnprocessedItems"] == {}
    updated = cli(
        "update-item", "--table-name", "LabProducts",
        "--key", '{"category": {"S": "books"}, "sku": {"S": "BK-0007"}}',
        "--update-expression", "SET price = :new",
        "--condition-expression", "price = :old",
        "--expression-attribute-values", '{":new": {"N": "24.99"}, ":old": {"N": "19.99"}}',
        "--return-values", "UPDATED_NEW",
    )  # fmt: skip
    assert updated["Attributes"] == {"price": {"N": "24.99"}}
    cli("delete-item", "--table-name", "LabProducts", "--key", '{"category": {"S": "games"}, "sku": {"S": "GM-0013"}}')
    counted = cli("scan", "--table-name", "LabProducts", "--select", "COUNT")
    assert counted["Count"] == 99

    target = dataclasses.replace(local_target, region=student_region)
    run = grade(week8, target, only=DYNAMODB_IDS)
    statuses = {c.id: (c.status, c.message) for c in run.checks if c.section == "dynamodb"}
    assert {i: s for i, (s, _m) in statuses.items()} == dict.fromkeys(DYNAMODB_IDS, "pass"), statuses
    assert sum(c.points for c in run.checks if c.section == "dynamodb") == 40


def test_the_create_table_hint_builds_what_the_design_checks_want(solved, local_target, clients, grade, run_fix):
    spec = replace_section(solved, "dynamodb", table=unique("FromHint"))
    run_fix(Hint((create_table_cli(spec.dynamodb),)))
    try:
        design = {
            "dynamodb_table_exists", "dynamodb_table_keys_match", "dynamodb_gsi_configured",
            "dynamodb_lsi_configured", "dynamodb_capacity_mode_valid", "dynamodb_stream_enabled",
        }  # fmt: skip
        run = grade(spec, local_target, only=design)
        assert {c.id: c.status for c in run.checks if c.id in design} == dict.fromkeys(design, "pass")
    finally:
        clients.client("dynamodb").delete_table(TableName=spec.dynamodb.table)
