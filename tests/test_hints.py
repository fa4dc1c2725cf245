"""Every check's default hint runs as printed (the hints a mutation produces are linted where it is graded: the
`grade` fixture of tests/conftest.py), and the lint itself catches what used to slip through."""

from __future__ import annotations

import importlib.util

import pytest

from labgrader import paths
from labgrader.engine import catalog
from labgrader.engine.check import CheckMeta, meta_of
from labgrader.engine.verdict import Hint
from labgrader.spec import LabSpec
from tests.hints import SERVER_ERROR, hint_problems


def _all_metas() -> list[CheckMeta]:
    metas = []
    for entry in catalog.CATALOG:
        path = paths.checks_dir() / entry.section / f"{entry.id}.py"
        spec = importlib.util.spec_from_file_location(f"labgrader_hint_lint_{entry.id}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        meta = meta_of(getattr(module, entry.id))
        assert meta is not None, entry.id
        metas.append(meta)
    return metas


METAS = _all_metas()


@pytest.mark.parametrize("meta", METAS, ids=[m.id for m in METAS])
def test_default_hint_runs_as_printed(meta: CheckMeta, week8: LabSpec) -> None:
    hint = meta.render_hint({"lab": week8, "region": "us-east-1", "target": "local"})
    # A default may be a note alone: cache-aside and latency fixes are code in the student's module, and checks
    # whose every miss prints its own commands keep a sentence for the rest.
    assert hint.commands or hint.note, meta.id
    assert not hint_problems(hint.commands), "\n".join(hint_problems(hint.commands))


@pytest.mark.parametrize(
    ("commands", "why"),
    [
        (("aws elasticache modify-cache-subnet-group --subnet-ids <subnet in another AZ>",), "placeholder"),
        (("The view type cannot change in place: aws dynamodb update-table --table-name T",), "not a program"),
        (("aws dynamodb update-time-to-live --table-name T, then (AWS allows one change) aws x",), "bash -n"),
        (("aws dynamodb batch-write-item --request-items file://fixtures/data/batch/tools.json",), "relative"),
        (("aws dynamodb delete-table --table-name T, then redo the lab's exercises",), "quoting"),
        (("aws elasticache create-replication-group --replication-group-id g ... (see the lab)",), "ellipsis"),
        (("aws dynamodb wait table-exists --table-name T && create it again",), "not a program"),
    ],
)
def test_the_lint_catches_hints_that_do_not_run(commands: tuple[str, ...], why: str) -> None:
    problems = hint_problems(commands)
    assert any(why in p for p in problems), problems


def test_the_lint_accepts_commands_loops_and_lookups() -> None:
    assert not hint_problems(
        (
            "aws dynamodb wait table-exists --table-name LabProducts",
            "for f in /opt/x/books.json /opt/x/games.json; do aws dynamodb batch-write-item "
            '--request-items "file://$f"; done',
            'aws ec2 authorize-security-group-ingress --group-id "$(aws ec2 describe-security-groups '
            "--filters Name=group-name,Values=lab-redis-sg --query 'SecurityGroups[0].GroupId' --output text)\"",
            'redis-cli -u "$REDIS_URL" CONFIG SET maxmemory-policy allkeys-lru',
        )
    )


def test_a_hint_is_its_commands_one_per_line_and_a_note_apart() -> None:
    hint = Hint(("aws a", "aws b"), "Why.")
    assert hint.text() == "aws a\naws b"
    assert Hint(note="Grade again.").text() == "Grade again."
    assert Hint.of("aws x") == Hint(("aws x",))


def test_a_server_error_in_the_sandbox_log_is_seen() -> None:
    """Lines as the sandbox's moto server logs them (an operation moto lacks answers 500)."""
    assert SERVER_ERROR.search('127.0.0.1 - - [06/Dec/2026 17:43:39] "POST / HTTP/1.1" 500 -')
    assert SERVER_ERROR.search('127.0.0.1 - - [06/Dec/2026 17:43:39] "GET /x?a=1 HTTP/1.1" 503 -')
    assert not SERVER_ERROR.search('127.0.0.1 - - [06/Dec/2026 17:43:39] "POST / HTTP/1.1" 200 -')
    assert not SERVER_ERROR.search('127.0.0.1 - - [06/Dec/2026 17:43:39] "POST / HTTP/1.1" 400 -')
