"""labgrader.services.dynamodb.hints: exact `aws dynamodb` commands with the lab's names (each is also run for real
against the sandbox by the check tests, e.g. tests/checks/dynamodb/test_dynamodb_ttl_enabled.py)."""

from __future__ import annotations

import shlex

import pytest

from labgrader import paths
from labgrader.batch_files import batch_files
from labgrader.engine.check import CheckMeta
from labgrader.engine.verdict import Hint
from labgrader.services.dynamodb import hints
from labgrader.spec import load_spec
from tests.hints import hint_problems


@pytest.fixture(scope="module")
def spec():
    return load_spec(paths.default_lab_spec()).dynamodb


def test_a_finished_command_is_shown_unchanged_braces_included():
    command = hints.update_item_cli(
        load_spec(paths.default_lab_spec()).dynamodb,
        {"category": {"S": "books"}, "sku": {"S": "BK-0007"}},
        {"price": {"N": "24.99"}},
    )
    meta = CheckMeta("dynamodb_exercise_state", 3, "o", Hint(("h",)))
    assert "{" in command
    assert meta.render_hint({"lab": None, "region": "us-east-1"}, Hint((command,))) == Hint((command,))


def test_every_hint_runs_as_printed(spec):
    commands = [
        hints.create_table_cli(spec),
        *hints.recreate_table_hint(spec).commands,
        *hints.gsi_create_commands(spec, spec.gsi[0]),
        *hints.gsi_replace_hint(spec, spec.gsi[0], (5, 5)).commands,
        hints.provisioned_cli(spec, 5, 5, ["brand-price-index"]),
        hints.ttl_cli(spec, "expires_at"),
        *hints.stream_replace_hint(spec, "NEW_AND_OLD_IMAGES").commands,
        hints.pitr_cli(spec),
        *hints.batch_write_commands(spec, batch_files(spec.dataset.path)),
        *hints.import_dataset_hint(spec).commands,
        hints.delete_item_cli(spec, {"category": {"S": "games"}, "sku": {"S": "GM-0013"}}),
    ]
    assert not hint_problems(commands), hint_problems(commands)
    for command in commands:
        words = shlex.split(command)
        assert words[0] in ("aws", "until"), command
        assert "LabProducts" in command or "batch-write-item" in words  # the batch files name the table themselves


def test_create_table_cli_carries_keys_indexes_and_stream(spec):
    words = shlex.split(hints.create_table_cli(spec))
    assert words[words.index("--key-schema") + 1 : words.index("--key-schema") + 3] == [
        "AttributeName=category,KeyType=HASH",
        "AttributeName=sku,KeyType=RANGE",
    ]
    assert "--global-secondary-indexes" in words
    assert "--local-secondary-indexes" in words
    assert words[-1] == "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES"


def test_batch_write_uses_the_shipped_files_by_absolute_path_from_any_folder(spec, monkeypatch):
    monkeypatch.chdir(paths.project_root())  # even from the checkout, where a relative path would work
    data = (paths.fixtures_dir() / "data" / "batch").resolve()
    assert hints.batch_write_commands(spec, batch_files(spec.dataset.path)[:2]) == [
        f"aws dynamodb batch-write-item --request-items file://{data}/books.json",
        f"aws dynamodb batch-write-item --request-items file://{data}/games.json",
    ]


def test_batch_write_regenerates_the_files_for_another_table_name_in_a_temporary_folder(spec):
    other = spec.model_copy(update={"table": "Products"})
    generator = (paths.fixtures_dir() / "data" / "generate_batch.py").resolve()
    assert hints.batch_write_commands(other, batch_files(spec.dataset.path)[3:]) == [
        f'batch="$(mktemp -d)" && python3 {generator} --table Products --out "$batch" && '
        'aws dynamodb batch-write-item --request-items "file://$batch/tools.json"'
    ]


def test_update_item_cli_guards_with_attribute_exists(spec):
    command = hints.update_item_cli(
        spec, {"category": {"S": "books"}, "sku": {"S": "BK-0007"}}, {"price": {"N": "24.99"}}
    )
    words = shlex.split(command)
    assert words[words.index("--condition-expression") + 1] == "attribute_exists(#pk)"
    assert words[words.index("--expression-attribute-names") + 1] == '{"#a0":"price","#pk":"category"}'
