"""Fixtures of the DynamoDB self-tests: each mutation test grades its own table, never the shared reference."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from labgrader.solve import dynamodb as solve_dynamodb
from labgrader.solve.dynamodb import create_table_request
from labgrader.spec import LabSpec
from labgrader.targets.clients import AwsClients
from tests.conftest import replace_section, unique

LabTable = Callable[..., LabSpec]


@pytest.fixture
def ddb_client(clients: AwsClients) -> Any:
    return clients.client("dynamodb")


@pytest.fixture
def lab_table(solved: LabSpec, ddb_client: Any) -> Iterator[LabTable]:
    """lab_table(**changes) builds a table of its own the way the reference solution does, but from the spec with
    `changes` (the student's mistake), and returns the correct spec naming that table, to grade it with.

    lab_table(data=False, ...) only creates the table (keys, indexes, stream): no TTL, PITR, dataset or exercises.
    Tables are deleted at teardown.
    """
    names: list[str] = []

    def build(*, data: bool = True, **changes: Any) -> LabSpec:
        graded = replace_section(solved, "dynamodb", table=unique("Lab"))
        built = replace_section(graded, "dynamodb", **changes)
        assert built.dynamodb is not None
        names.append(built.dynamodb.table)
        if data:
            solve_dynamodb.apply(built, ddb_client, lambda _line: None)
        else:
            ddb_client.create_table(**create_table_request(built.dynamodb))
        return graded

    yield build
    for name in names:
        with contextlib.suppress(ddb_client.exceptions.ResourceNotFoundException):
            ddb_client.delete_table(TableName=name)


@pytest.fixture
def run_fix(run_hint: Callable[..., None]) -> Callable[..., None]:
    """run_fix(result): paste a miss's commands into bash as printed, from a folder outside the repository."""
    return run_hint


@pytest.fixture
def student_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Grade from (and run hints in) a folder of the student's: hints that write files write them there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
