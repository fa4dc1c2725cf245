"""Real containers for the container tests: a Docker engine (started by .ci/run, see docker_engine.sh) and the
images of images.py. Without an engine every test that needs one skips, saying why.

testcontainers is told to stay on loopback and to start no reaper (its image cannot be pulled here): these
variables are read when testcontainers is imported, so they are set before anything imports it. Every container a
test starts is removed when the test's fixture ends, also when the test fails or is interrupted.
"""

from __future__ import annotations

import os

os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"
os.environ["TESTCONTAINERS_CONNECTION_MODE"] = "docker_host"
os.environ["TC_HOST"] = "127.0.0.1"

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis

from labgrader import paths
from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tests.containers import images

READY_TIMEOUT_S = 30.0
# The label every container of these tests carries: what the leftover checks look for.
TEST_LABEL = "labgrader-test"
# The lab's steps as a student's CLI script (what `grade --setup` grades too).
REFERENCE_SETUP_SCRIPT = paths.fixtures_dir() / "solutions" / "setup_reference.sh"


def engine_problem() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    try:
        answer = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except FileNotFoundError:
        return "no docker CLI on this machine (.ci/run installs Debian's docker.io)"
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer `docker info` within 10 s"
    if answer.returncode != 0:
        lines = answer.stderr.strip().splitlines()
        return f"no Docker engine answers ({lines[-1] if lines else 'docker info failed'}); .ci/run starts one"
    return None


@pytest.fixture(scope="session")
def built_images() -> images.Images:
    problem = engine_problem()
    if problem:
        pytest.skip(problem)
    return images.build_all()


def containers_labelled(label_value: str | None = None) -> list[str]:
    """IDs of every container (running or not) carrying the tests' label (with this value, if given)."""
    selector = f"{TEST_LABEL}={label_value}" if label_value else TEST_LABEL
    listed = subprocess.run(
        ["docker", "ps", "-a", "-q", "--no-trunc", "--filter", f"label={selector}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return listed.stdout.split()


def remove_labelled(label_value: str) -> None:
    leftovers = containers_labelled(label_value)
    if leftovers:
        subprocess.run(["docker", "rm", "-f", *leftovers], capture_output=True, timeout=60, check=False)


def loopback_container(image: str, port: int, name: str, label_value: str) -> Any:
    """A testcontainers container publishing `port` on 127.0.0.1 only (a random host port)."""
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(image).with_name(name).with_kwargs(labels={TEST_LABEL: label_value})
    container.ports[f"{port}/tcp"] = ("127.0.0.1", None)  # docker-py's (address, port) binding
    return container


def wait_until(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer within {READY_TIMEOUT_S:g} s")
        time.sleep(0.05)


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _dynamodb_answers(endpoint: str) -> bool:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=SANDBOX_ACCESS_KEY,
        aws_secret_access_key=SANDBOX_SECRET_KEY,
    )
    try:
        client.list_tables(Limit=1)
    except Exception:  # noqa: BLE001 - anything but an answer means "not yet"
        return False
    return True


@dataclass(frozen=True)
class Stack:
    """A compose-like pair: what `docker compose up -d` with labgrader's compose.yaml gives a student."""

    endpoint_url: str
    redis_url: str
    dynamodb_name: str
    redis_name: str
    label_value: str


def start_stack(built: images.Images, stack: ExitStack) -> Stack:
    label_value = uuid.uuid4().hex[:10]
    stack.callback(remove_labelled, label_value)  # also what a failed start left behind
    names = {"redis": f"lab-redis-{label_value}", "dynamodb": f"lab-dynamodb-{label_value}"}
    redis_container = loopback_container(built.redis, images.REDIS_PORT, names["redis"], label_value)
    dynamodb_container = loopback_container(built.dynamodb, images.DYNAMODB_PORT, names["dynamodb"], label_value)
    for container in (redis_container, dynamodb_container):
        container.start()
        stack.callback(container.stop)
    redis_url = f"redis://127.0.0.1:{redis_container.get_exposed_port(images.REDIS_PORT)}/0"
    endpoint = f"http://127.0.0.1:{dynamodb_container.get_exposed_port(images.DYNAMODB_PORT)}"
    wait_until(lambda: redis_answers(redis_url), f"Redis container {names['redis']}")
    wait_until(lambda: _dynamodb_answers(endpoint), f"DynamoDB container {names['dynamodb']}")
    return Stack(endpoint, redis_url, names["dynamodb"], names["redis"], label_value)


@pytest.fixture
def fresh_stack(built_images: images.Images) -> Iterator[Stack]:
    """An empty pair, removed after the test."""
    with ExitStack() as stack:
        yield start_stack(built_images, stack)


def apply_students_setup(pair: Stack, home: Path, script: Path = REFERENCE_SETUP_SCRIPT) -> None:
    """Run a student's setup script with bash against the pair, as a student practising locally does (the README's
    "Doing the lab in containers"): the venv's `aws` CLI and the machine's `redis-cli`, pointed at the containers by
    AWS_ENDPOINT_URL and REDIS_URL, any credentials (DynamoDB Local ignores them), nothing of the grader's."""
    tools = Path(sys.executable).parent  # the venv's bin: `aws` (awscli, a dev dependency) and `python`
    path = os.pathsep.join([str(tools), "/usr/local/bin", "/usr/bin", "/bin"])
    for tool in ("aws", "redis-cli"):
        if shutil.which(tool, path=path) is None:
            pytest.skip(f"a student's setup needs `{tool}` on PATH (pip install -e '.[dev]'; apt-get install redis)")
    env = {
        "PATH": path,
        "HOME": str(home),  # no ~/.aws of the machine's
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": pair.endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "REDIS_URL": pair.redis_url,
        # The script's own switch: leave out the EC2 and ElastiCache steps, which have no container.
        "LABGRADER_SETUP_TARGET": "containers",
    }
    done = subprocess.run(
        ["bash", str(script)], cwd=home, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{script.name} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def student_stack(built_images: images.Images, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A pair with a student's setup applied (the lab's CLI steps as a script, run with bash), for the module."""
    with ExitStack() as stack:
        pair = start_stack(built_images, stack)
        apply_students_setup(pair, tmp_path_factory.mktemp("student-home"))
        yield pair
