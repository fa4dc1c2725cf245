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

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import redis

from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tests.containers import images

READY_TIMEOUT_S = 30.0
# The label every container of these tests carries: what the leftover checks look for.
TEST_LABEL = "labgrader-test"


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


@pytest.fixture(scope="module")
def student_stack(built_images: images.Images) -> Iterator[Stack]:
    """A pair with the student's setup applied (the reference steps, against the containers), for the module."""
    from labgrader import paths
    from labgrader.solve import solve
    from labgrader.spec import load_spec
    from labgrader.targets import containers

    with ExitStack() as stack:
        pair = start_stack(built_images, stack)
        target = containers.attach(pair.endpoint_url, pair.redis_url, "us-east-1")
        solve(load_spec(paths.default_lab_spec()), target, log=lambda _line: None)
        yield pair
