"""Shared fixtures of labgrader's self-tests.

One sandbox per test session (moto server + redis primary/replica/sentinel on free ports, under a private
LABGRADER_HOME), the week-8 reference solution applied once, and `grade()` to run real grading passes against it.
Mutation tests get their own resources by renaming them in a copy of the spec (`unique()`), so they never
disturb the shared reference setup.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from labgrader import paths
from labgrader.engine import runner
from labgrader.engine.results import CheckResult, RunResult
from labgrader.engine.verdict import Hint
from labgrader.sandbox import manager
from labgrader.sandbox import moto as moto_corrections
from labgrader.sandbox.state import SandboxState
from labgrader.solve import dynamodb as solve_dynamodb
from labgrader.solve import solve
from labgrader.solve.dynamodb import create_table_request
from labgrader.spec import LabSpec, load_spec
from labgrader.targets import open_target
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.hints import assert_runnable
from tests.hints import run_hint as run_hint_as_printed

Grade = Callable[..., RunResult]


def unique(name: str) -> str:
    """`name` with a short random suffix: resources of one test never collide with another's."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


def replace_section(spec: LabSpec, section: str, **changes: Any) -> LabSpec:
    """A copy of `spec` with fields of one section changed (frozen models: copy, don't mutate)."""
    current = getattr(spec, section)
    return spec.model_copy(update={section: current.model_copy(update=changes)})


@pytest.fixture(scope="session")
def week8() -> LabSpec:
    return load_spec(paths.default_lab_spec())


@pytest.fixture(scope="session")
def sandbox_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("labgrader-home")


@pytest.fixture(scope="session")
def sandbox(sandbox_home: Path) -> Iterator[SandboxState]:
    state = manager.up(sandbox_home)
    yield state
    manager.down(sandbox_home)


@pytest.fixture(scope="session")
def local_target(sandbox: SandboxState, sandbox_home: Path, week8: LabSpec) -> Iterator[Target]:
    with open_target("local", week8, sandbox_home=sandbox_home) as target:
        yield target


@pytest.fixture(scope="session")
def clients(local_target: Target) -> AwsClients:
    """boto3 clients of the sandbox, for tests that build or break a setup."""
    return AwsClients(local_target)


@pytest.fixture(scope="session")
def solved(week8: LabSpec, local_target: Target) -> LabSpec:
    """The week-8 reference solution applied once to the shared sandbox; returns its spec."""
    solve(week8, local_target, log=lambda _line: None)
    return week8


@pytest.fixture
def grade(tmp_path: Path) -> Grade:
    """Run a real grading pass: grade(spec, target, only={"dynamodb_ttl_enabled"}, solution=None) -> RunResult."""

    def run(
        spec: LabSpec,
        target: Target,
        *,
        only: set[str] | None = None,
        solution: Path | None = None,
        extra_args: tuple[str, ...] = (),
        phase: str = "grade",
    ) -> RunResult:
        result = runner.grade(
            spec,
            target,
            out_dir=tmp_path / f"out-{uuid.uuid4().hex[:6]}",
            solution=solution,
            extra_args=extra_args,
            only=frozenset(only) if only is not None else None,
            phase=phase,  # type: ignore[arg-type]
        )
        # Every miss any test produces prints commands that run as printed (tests/hints.py lints them).
        for check in result.checks:
            if check.status == "fail":
                assert_runnable(check)
        return result

    return run


@pytest.fixture
def run_hint(
    sandbox: SandboxState, sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., None]:
    """run_hint(result): paste a miss's commands, as printed, into bash in a folder outside the repository with the
    environment `labgrader sandbox env` gives (then grade again and assert the check passes).
    run_hint(result, redis_url=url): the student graded the Redis at `url` (REDIS_URL exported after the eval)."""
    folder = tmp_path_factory.mktemp("student-folder")

    def run(result: CheckResult | Hint, redis_url: str | None = None) -> None:
        run_hint_as_printed(sandbox, result, folder, sandbox_home, redis_url)

    return run


def load_check(check_id: str) -> Callable[..., Any]:
    """The check function of `check_id`, imported from checks/ (to unit-test a verdict with a given API answer)."""
    import importlib.util

    from labgrader.engine import catalog

    section = catalog.BY_ID[check_id].section
    path = paths.checks_dir() / section / f"{check_id}.py"
    spec = importlib.util.spec_from_file_location(f"labgrader_checks_{check_id}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function: Callable[..., Any] = getattr(module, check_id)
    return function


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    return manager.free_port()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start throwaway redis-server processes: redis_server("--replicaof", "127.0.0.1", "1") -> URL."""
    import subprocess
    import time

    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> str:
        port = manager.free_port()
        proc = subprocess.Popen(
            [
                manager.find_redis_server(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(tmp_path),
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(proc)
        deadline = time.monotonic() + 5
        while not manager.port_open(port) and time.monotonic() < deadline:
            time.sleep(0.02)
        return f"redis://127.0.0.1:{port}/0"

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


@pytest.fixture
def unpatched_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Upstream moto in-process (`mock_aws`), with fake credentials only: the strict-xfail tests that tell when
    upstream fixes what labgrader's sandbox corrects."""
    # The corrections belong to the sandbox's moto server process; applied here they would hide upstream's state.
    assert not moto_corrections.applied(), "labgrader.sandbox.moto.apply() ran inside the test process"
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


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
