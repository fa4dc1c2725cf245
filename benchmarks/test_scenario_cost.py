"""What a cache-aside scenario costs: the fork-server (one per grading run) against a fresh interpreter per
scenario, and one scenario end to end (fork, fresh import of the reference module, a miss and a hit through the
grader's DynamoDB endpoint), contained by bubblewrap and, for the cost of isolation, by a process group only."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.credentials import ReadOnlyCredentials

from labgrader import paths
from labgrader import redis_connection as redis_conn
from labgrader.cacheaside import containment
from labgrader.cacheaside.harness import module_environment
from labgrader.cacheaside.protocol import ScenarioRequest, call, delete
from labgrader.cacheaside.proxy import DynamoDBProxy, throwaway_credentials
from labgrader.cacheaside.runner import ScenarioRunner
from labgrader.sandbox import manager
from labgrader.solve import solve
from labgrader.spec import LabSpec, load_spec
from labgrader.targets import open_target
from labgrader.targets.base import Target


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A sandbox with the week-8 reference solution applied."""
    home: Path = tmp_path_factory.mktemp("labgrader-bench-home")
    manager.up(home)
    try:
        spec = load_spec(paths.default_lab_spec())
        with open_target("local", spec, sandbox_home=home) as local:
            solve(spec, local, log=lambda _line: None)
            yield local
    finally:
        manager.down(home)


@pytest.fixture(scope="module")
def solved() -> LabSpec:
    return load_spec(paths.default_lab_spec())


@pytest.mark.parametrize("level", ["bwrap", "process-group"])
def test_scenario_through_the_fork_server(benchmark, solved: LabSpec, target: Target, level: containment.Level):
    if level == "bwrap" and containment.available() != "bwrap":
        pytest.skip("bubblewrap is not available here")
    assert target.redis_url is not None
    assert target.endpoint_url is not None
    assert target.static_credentials is not None
    key_id, secret = target.static_credentials
    proxy = DynamoDBProxy(
        target.endpoint_url, target.region, lambda: ReadOnlyCredentials(key_id, secret, None), "LabProducts"
    )
    env = module_environment(target, "LabProducts", target.redis_url, proxy.url, throwaway_credentials())
    key = "product:books:BK-0001"
    request = ScenarioRequest(
        module=str(paths.reference_solution()),
        env=env,
        steps=[delete(key), call("get_product", "books", "BK-0001"), call("get_product", "books", "BK-0001")],
        timeout_s=10,
        grader_redis_url=target.redis_url,
        dynamodb=proxy,
    )
    runner = ScenarioRunner(level=level)
    try:
        outcome = benchmark.pedantic(runner.run, args=(request,), rounds=30, iterations=1, warmup_rounds=1)
        benchmark.extra_info["server_start_s"] = round(runner.started_in_s or 0.0, 3)
        benchmark.extra_info["containment"] = level
    finally:
        runner.close()
        proxy.close()
    assert outcome.status == "ok"
    assert [len(s.reads) for s in outcome.calls] == [1, 0]
    redis_conn.connect(target.redis_url).delete(key)


def test_fork_server_start(benchmark):
    def start_and_stop() -> None:
        runner = ScenarioRunner()
        runner.prestart()
        runner._server()  # waits for "ready": boto3, botocore and redis imported, loader warmed
        runner.close()

    benchmark.pedantic(start_and_stop, rounds=5, iterations=1)


def test_fresh_interpreter_per_scenario_for_comparison(benchmark):
    """The alternative the fork-server replaces: a new Python importing boto3 and redis and making a client."""
    code = "import boto3, redis; boto3.client('dynamodb', region_name='us-east-1'); redis.Redis()"
    benchmark.pedantic(
        lambda: subprocess.run([sys.executable, "-c", code], check=True), rounds=5, iterations=1, warmup_rounds=1
    )
