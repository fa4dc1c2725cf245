"""End to end, as a student works: a sandbox of its own, `eval "$(labgrader sandbox env)"`, the ElastiCache part
with the real `aws` CLI and the Redis part with `redis-cli -u "$REDIS_URL"`, graded before and after."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labgrader.engine import catalog, runner
from labgrader.engine.results import RunResult
from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState
from labgrader.spec import LabSpec
from labgrader.targets import open_target

pytestmark = pytest.mark.sandbox
AWS = str(Path(sys.executable).with_name("aws"))
GRADED = frozenset(e.id for e in catalog.CATALOG if e.section in ("elasticache", "redis"))


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, SandboxState]]:
    home = tmp_path_factory.mktemp("student-home")
    state = manager.up(home)
    yield home, state
    manager.down(home)


def grade(spec: LabSpec, home: Path, out: Path) -> RunResult:
    with open_target("local", spec, sandbox_home=home) as target:
        return runner.grade(spec, target, out_dir=out, only=GRADED)


def test_a_student_builds_the_lab_with_the_aws_cli_and_redis_cli(own_sandbox, week8, tmp_path):
    home, state = own_sandbox
    env = {**os.environ, **manager.env_exports(state)}
    redis_cli = shutil.which("redis-cli")
    assert redis_cli is not None, "redis-cli is part of the lab; install redis-tools"

    def aws(*args: str) -> dict:
        done = subprocess.run([AWS, *args, "--output", "json"], env=env, capture_output=True, text=True, check=True)
        return json.loads(done.stdout or "{}")

    def redis(*args: str) -> str:
        done = subprocess.run(
            [redis_cli, "-u", env["REDIS_URL"], *args], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    before = grade(week8, home, tmp_path / "before")
    assert before.get("elasticache_replication_group_available").status == "fail"
    assert before.get("redis_exercise_state").status == "fail"
    assert before.get("redis_eviction_policy").status == "fail"  # redis-server's default is noeviction

    spec = week8.elasticache
    vpc = aws("ec2", "create-vpc", "--cidr-block", "10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", f"10.30.{i}.0/24", "--availability-zone", zone)[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"), start=1)
    ]
    app = aws(
        "ec2",
        "create-security-group",
        "--group-name",
        spec.app_security_group,
        "--description",
        "lab app",
        "--vpc-id",
        vpc,
    )["GroupId"]
    sg = aws(
        "ec2", "create-security-group", "--group-name", spec.security_group, "--description", "redis", "--vpc-id", vpc
    )["GroupId"]
    aws(
        "ec2",
        "authorize-security-group-ingress",
        "--group-id",
        sg,
        "--protocol",
        "tcp",
        "--port",
        "6379",
        "--source-group",
        app,
    )
    aws(
        "elasticache",
        "create-cache-subnet-group",
        "--cache-subnet-group-name",
        spec.subnet_group,
        "--cache-subnet-group-description",
        "lab redis",
        "--subnet-ids",
        *subnets,
    )
    aws(
        "elasticache",
        "create-cache-parameter-group",
        "--cache-parameter-group-name",
        spec.parameter_group,
        "--cache-parameter-group-family",
        "redis7",
        "--description",
        "lab eviction policy",
    )
    aws(
        "elasticache",
        "modify-cache-parameter-group",
        "--cache-parameter-group-name",
        spec.parameter_group,
        "--parameter-name-values",
        f"ParameterName=maxmemory-policy,ParameterValue={spec.eviction_policy}",
    )
    created = aws(
        "elasticache",
        "create-replication-group",
        "--replication-group-id",
        spec.replication_group,
        "--replication-group-description",
        "week 8",
        "--engine",
        "redis",
        "--cache-node-type",
        "cache.t4g.micro",
        "--num-cache-clusters",
        "2",
        "--automatic-failover-enabled",
        "--multi-az-enabled",
        "--cache-subnet-group-name",
        spec.subnet_group,
        "--security-group-ids",
        sg,
        "--snapshot-retention-limit",
        "1",
        "--cache-parameter-group-name",
        spec.parameter_group,
    )
    assert created["ReplicationGroup"]["ReplicationGroupId"] == spec.replication_group

    assert redis("SET", "lab:hello", "world") == "OK"
    assert redis("SET", "lab:session:1", '{"user": "student", "cart": []}', "EX", "1800") == "OK"
    # The parameter group's maxmemory-policy runs on the sandbox's nodes, as ElastiCache applies it.
    assert redis("CONFIG", "GET", "maxmemory-policy").splitlines() == ["maxmemory-policy", "allkeys-lru"]

    after = grade(week8, home, tmp_path / "after")
    statuses = {check.id: check.status for check in after.checks if check.id in GRADED}
    assert statuses.pop("elasticache_encryption_enabled") == "fail"  # advisory: the student did not encrypt
    assert set(statuses.values()) == {"pass"}, {k: v for k, v in statuses.items() if v != "pass"}
    assert after.get("elasticache_encryption_enabled").points == 0
    # The failover check ran and handed the sandbox back with REDIS_URL the primary again.
    assert redis("INFO", "replication").splitlines()[1] == "role:master"
    assert redis("GET", "lab:hello") == "world"
