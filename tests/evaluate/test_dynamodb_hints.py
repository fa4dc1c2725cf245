"""labgrader.hints: exact `aws dynamodb` commands with the lab's names (each is also run for real against the
sandbox by the check tests, e.g. tests/checks/dynamodb/test_dynamodb_ttl_enabled.py)."""

from __future__ import annotations

import shlex

import pytest

from labgrader import hints, paths
from labgrader.check import CheckMeta
from labgrader.dataset import batch_files
from labgrader.spec import load_spec


@pytest.fixture(scope="module")
def spec():
    return load_spec(paths.default_lab_spec()).dynamodb


def test_a_finished_command_is_shown_unchanged_braces_included():
    command = hints.update_item_cli(
        load_spec(paths.default_lab_spec()).dynamodb,
        {"category": {"S": "books"}, "sku": {"S": "BK-0007"}},
        {"price": {"N": "24.99"}},
    )
    meta = CheckMeta("dynamodb_exercise_state", 3, "o", "h")
    assert "{" in command
    assert meta.render_hint({"lab": None, "region": "us-east-1"}, command) == command


def test_every_hint_is_a_valid_shell_line(spec):
    for command in (
        hints.create_table_cli(spec),
        hints.recreate_table_cli(spec),
        hints.gsi_create_cli(spec, spec.gsi[0]),
        hints.gsi_replace_cli(spec, spec.gsi[0], (5, 5)),
        hints.provisioned_cli(spec, 5, 5, ["brand-price-index"]),
        hints.ttl_cli(spec, "expires_at"),
        hints.stream_replace_cli(spec, "NEW_AND_OLD_IMAGES"),
        hints.pitr_cli(spec),
        hints.batch_write_cli(spec, batch_files(spec.dataset.path)),
        hints.delete_item_cli(spec, {"category": {"S": "games"}, "sku": {"S": "GM-0013"}}),
    ):
        words = shlex.split(command.replace(", then once describe-table no longer lists it:", " &&"))
        assert words[:2] == ["aws", "dynamodb"], command
        assert "LabProducts" in words or "batch-write-item" in words  # the batch files name the table themselves


def test_create_table_cli_carries_keys_indexes_and_stream(spec):
    words = shlex.split(hints.create_table_cli(spec))
    assert words[words.index("--key-schema") + 1 : words.index("--key-schema") + 3] == [
        "AttributeName=category,KeyType=HASH",
        "AttributeName=sku,KeyType=RANGE",
    ]
    assert "--global-secondary-indexes" in words
    assert "--local-secondary-indexes" in words
    assert words[-1] == "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES"


def test_batch_write_uses_the_shipped_files_when_they_name_the_table(spec, monkeypatch):
    monkeypatch.chdir(paths.project_root())
    command = hints.batch_write_cli(spec, batch_files(spec.dataset.path)[:2])
    assert command == (
        "aws dynamodb batch-write-item --request-items file://fixtures/data/batch/books.json && "
        "aws dynamodb batch-write-item --request-items file://fixtures/data/batch/games.json"
    )


def test_batch_write_regenerates_the_files_for_another_table_name(spec, monkeypatch):
    monkeypatch.chdir(paths.project_root())
    other = spec.model_copy(update={"table": "Products"})
    command = hints.batch_write_cli(other, batch_files(spec.dataset.path)[3:])
    assert command == (
        "python3 fixtures/data/generate_batch.py --table Products --out Products-batch && "
        "aws dynamodb batch-write-item --request-items file://Products-batch/tools.json"
    )


def test_update_item_cli_guards_with_attribute_exists(spec):
    command = hints.update_item_cli(
        spec, {"category": {"S": "books"}, "sku": {"S": "BK-0007"}}, {"price": {"N": "24.99"}}
    )
    words = shlex.split(command)
    assert words[words.index("--condition-expression") + 1] == "attribute_exists(#pk)"
    assert words[words.index("--expression-attribute-names") + 1] == '{"#a0":"price","#pk":"category"}'
