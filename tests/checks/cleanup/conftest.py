"""One private sandbox for the cleanup checks' tests (cleanup deletes: never the shared session sandbox), each
scenario of tests/cleanup/helpers.py built once (own lab names and tag) and graded once by every cleanup check, and
`fix`: a leftover's delete commands run as printed, then its one check graded again."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgrader.engine import runner
from labgrader.engine.results import CheckResult, RunResult
from labgrader.sandbox import state as sandbox_state
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.cleanup.helpers import SCENARIOS, Facts, fresh_lab, private_sandbox
from tests.conftest import closed_port
from tests.hints import run_hint


@dataclass(frozen=True)
class Scenario:
    spec: LabSpec
    facts: Facts
    run: RunResult


@pytest.fixture(scope="package")
def own_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cleanup-checks-home")


@pytest.fixture(scope="package")
def own_target(own_home: Path) -> Iterator[Target]:
    with private_sandbox(own_home) as target:
        yield target


@pytest.fixture(scope="package")
def own_clients(own_target: Target) -> AwsClients:
    return AwsClients(own_target)


@pytest.fixture(scope="package")
def scenario(
    own_target: Target, own_clients: AwsClients, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Scenario]:
    """scenario("snapshot") → the lab left that way (built once) and the cleanup phase graded on it (once). A test
    that runs a hint (`fix`) deletes that scenario's leftover: one test per scenario does, the others assert that
    they print the same commands."""
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


@pytest.fixture
def fix(
    own_home: Path, own_target: Target, own_clients: AwsClients, tmp_path: Path
) -> Callable[[Scenario, str], CheckResult]:
    """fix(left, check) → `check` graded again on the scenario `left` after its miss's delete commands ran as printed
    (bash, a folder outside the repository, the private sandbox's `labgrader sandbox env`). The sandbox, like AWS,
    answers `deleting` for a moment after DeleteReplicationGroup / DeleteCacheCluster: the check is graded again
    once nothing is deleting any more (what `aws elasticache wait` does for a student, without its 15 s polls)."""
    state = sandbox_state.read(own_home)
    assert state is not None
    folder = tmp_path / "student"
    folder.mkdir()
    elasticache = own_clients.client("elasticache")

    def deleting() -> bool:
        groups = elasticache.describe_replication_groups()["ReplicationGroups"]
        clusters = elasticache.describe_cache_clusters()["CacheClusters"]
        return any(item.get("Status") == "deleting" for item in groups) or any(
            item.get("CacheClusterStatus") == "deleting" for item in clusters
        )

    def run(left: Scenario, check: str) -> CheckResult:
        run_hint(state, left.run.get(check), folder, own_home)
        deadline = time.monotonic() + 10
        while deleting() and time.monotonic() < deadline:
            time.sleep(0.1)
        return runner.grade(
            left.spec, own_target, out_dir=tmp_path / "again", phase="cleanup", only=frozenset({check})
        ).get(check)

    return run
