"""One private sandbox for the cleanup checks' tests (cleanup deletes: never the shared session sandbox), and each
scenario of tests/cleanup/helpers.py built once (own lab names and tag) and graded once by every cleanup check."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from labgrader.engine import runner
from labgrader.engine.results import RunResult
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.cleanup.helpers import SCENARIOS, Facts, fresh_lab, private_sandbox
from tests.conftest import closed_port


@dataclass(frozen=True)
class Scenario:
    spec: LabSpec
    facts: Facts
    run: RunResult


@pytest.fixture(scope="package")
def own_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with private_sandbox(tmp_path_factory.mktemp("cleanup-checks-home")) as target:
        yield target


@pytest.fixture(scope="package")
def own_clients(own_target: Target) -> AwsClients:
    return AwsClients(own_target)


@pytest.fixture(scope="package")
def scenario(
    own_target: Target, own_clients: AwsClients, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Scenario]:
    """scenario("snapshot") → the lab left that way (built once) and the cleanup phase graded on it (once)."""
    built: dict[str, Scenario] = {}

    def get(name: str) -> Scenario:
        if name not in built:
            spec = fresh_lab()
            builder, _fails = SCENARIOS[name]
            facts = builder(spec, own_clients, own_target)
            run = runner.grade(spec, own_target, out_dir=tmp_path_factory.mktemp(name), phase="cleanup")
            built[name] = Scenario(spec, facts, run)
        return built[name]

    return get


@pytest.fixture(scope="package")
def unreachable_run(own_target: Target, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """Every cleanup check graded once against an endpoint nobody listens on."""
    down = dataclasses.replace(own_target, endpoint_url=f"http://127.0.0.1:{closed_port()}")
    return runner.grade(fresh_lab(), down, out_dir=tmp_path_factory.mktemp("unreachable"), phase="cleanup")
