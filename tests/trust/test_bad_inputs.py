"""The bad-input matrix: every wrong input is one clear line naming the cause and the fix, the right exit code,
within a few seconds — never a traceback, never a hang. Endpoints are loopback only (a closed port, a listener that
accepts and never answers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgrader import paths
from tests.conftest import closed_port
from tests.trust.fake_endpoints import silent_listener

WEEK8 = paths.default_lab_spec()


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def line(self) -> str:
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


def labgrader(*args: str, env: dict[str, str] | None = None, home: Path, timeout: float = 90) -> Outcome:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    clean.update(
        {
            "LABGRADER_HOME": str(home),
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            **(env or {}),
        }
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    outcome = Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    assert "Traceback" not in done.stdout + done.stderr
    return outcome


def _spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "lab.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


WEEK8_TEXT = WEEK8.read_text(encoding="utf-8").replace(
    'path = "../data/batch"', f'path = "{paths.fixtures_dir() / "data" / "batch"}"'
)

SPEC_CASES = {
    "malformed": ("[lab\nname='x'", "not valid TOML"),
    "partial": ("[dynamodb]\ntable = 'T'\n", "lab: required field is missing"),
    "contradictory": (
        WEEK8_TEXT.replace("automatic_failover = true", "automatic_failover = false"),
        "multi_az = true needs automatic_failover = true",
    ),
    "wrong type": (
        WEEK8_TEXT.replace("min_replicas = 1\nautomatic", "min_replicas = 'one'\nautomatic"),
        "elasticache.min_replicas",
    ),
}


@pytest.mark.parametrize("case", sorted(SPEC_CASES))
def test_bad_specs(tmp_path: Path, case: str) -> None:
    text, words = SPEC_CASES[case]
    done = labgrader("grade", "--lab", _spec(tmp_path, text), home=tmp_path)
    assert done.code == 2
    assert words in done.line
    assert done.seconds < 10


def test_a_solution_that_does_not_exist(tmp_path: Path) -> None:
    done = labgrader("grade", "--solution", str(tmp_path / "mine.py"), home=tmp_path)
    assert done.code == 2
    assert "no such file (give the path to your cache-aside module .py)" in done.line


def test_an_unknown_target(tmp_path: Path) -> None:
    done = labgrader("grade", "--target", "gcp", home=tmp_path)
    assert done.code == 2
    assert "invalid choice: 'gcp' (choose from 'local', 'aws', 'containers')" in done.line


def test_a_malformed_region(tmp_path: Path) -> None:
    done = labgrader("grade", "--target", "aws", "--region", "us-east-one", home=tmp_path)
    assert done.code == 2
    assert (
        done.line == "labgrader: --region 'us-east-one' is not an AWS region name (like us-east-1 or ap-southeast-1)."
    )


def test_no_sandbox_for_the_local_target(tmp_path: Path) -> None:
    done = labgrader("grade", "--target", "local", home=tmp_path)
    assert done.code == 3
    assert "the sandbox is not running: start it with `labgrader sandbox up --detach`" in done.line


FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "fake/secret/key/for/tests"}


def test_a_closed_aws_endpoint(tmp_path: Path) -> None:
    env = {**FAKE_KEYS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}
    done = labgrader("grade", "--target", "aws", "--region", "us-east-1", env=env, home=tmp_path)
    assert done.code == 3
    assert "did not answer within 3 s" in done.line
    assert done.seconds < 15


def test_an_aws_endpoint_that_accepts_and_never_answers(tmp_path: Path) -> None:
    with silent_listener() as port:
        env = {**FAKE_KEYS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
        done = labgrader("grade", "--target", "aws", "--region", "us-east-1", env=env, home=tmp_path)
    assert done.code == 3
    assert "did not answer within 3 s" in done.line
    assert done.seconds < 15


def test_no_aws_credentials(tmp_path: Path) -> None:
    done = labgrader(
        "grade", "--target", "aws", "--region", "us-east-1", env={"AWS_EC2_METADATA_DISABLED": "true"}, home=tmp_path
    )
    assert done.code == 3
    assert done.line.startswith("labgrader: no AWS credentials found: run `aws configure`")
    assert done.seconds < 10


@pytest.fixture
def graded_sandbox(sandbox, sandbox_home: Path, solved) -> Path:  # type: ignore[no-untyped-def]
    """The shared sandbox's home, with the reference solution applied."""
    return sandbox_home


@pytest.mark.sandbox
def test_a_wrong_region_fails_naming_where_the_table_is(graded_sandbox: Path, sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**FAKE_KEYS, "AWS_ENDPOINT_URL": sandbox.moto_url}
    done = labgrader(
        "grade",
        "--target",
        "aws",
        "--region",
        "eu-west-3",
        "--redis-url",
        sandbox.redis_url,
        "--out",
        str(tmp_path / "out"),
        "--format",
        "json",
        "--",
        "-k",
        "dynamodb_table_exists",
        env=env,
        home=tmp_path,
    )
    assert done.code == 1
    assert "DynamoDB table LabProducts was not found in eu-west-3" in done.stdout
    assert "us-east-1" in done.stdout


@pytest.mark.sandbox
def test_a_redis_url_with_a_bad_password(graded_sandbox: Path, redis_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = redis_server("--requirepass", "the-right-one")
    bad = url.replace("redis://", "redis://:not-the-password@")
    done = labgrader(
        "grade",
        "--target",
        "local",
        "--redis-url",
        bad,
        "--out",
        str(tmp_path / "out"),
        "--format",
        "json",
        "--",
        "-k",
        "redis_reachable or redis_exercise_state",
        home=graded_sandbox,
    )
    assert done.code == 3
    assert "refused the grader's credentials: fix the password in --redis-url or REDIS_PASSWORD" in done.line
    assert "not-the-password" not in done.stdout + done.stderr
    assert done.seconds < 30


@pytest.mark.sandbox
def test_a_redis_that_accepts_and_never_answers(graded_sandbox: Path, tmp_path: Path) -> None:
    with silent_listener() as port:
        done = labgrader(
            "grade", "--target", "local", "--redis-url", f"redis://127.0.0.1:{port}/0", "--solution",
            str(paths.reference_solution()), "--out", str(tmp_path / "out"), "--format", "json",
            "--", "-k", "redis_ or cache_aside", home=graded_sandbox,
        )  # fmt: skip
    assert done.code == 3, done.stdout
    assert "did not answer (Timeout" in done.line
    assert done.seconds < 40


@pytest.mark.sandbox
def test_a_solution_that_does_not_import(graded_sandbox: Path, tmp_path: Path) -> None:
    module = tmp_path / "broken.py"
    module.write_text("import no_such_module_anywhere\n", encoding="utf-8")
    done = labgrader(
        "grade",
        "--target",
        "local",
        "--solution",
        str(module),
        "--out",
        str(tmp_path / "out"),
        "--format",
        "json",
        "--",
        "-k",
        "cache_aside_miss",
        home=graded_sandbox,
    )
    assert done.code == 1
    assert "No module named 'no_such_module_anywhere'" in done.stdout
