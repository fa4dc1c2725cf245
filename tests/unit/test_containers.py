"""The `containers` target's wiring, with a stand-in for testcontainers' DockerContainer and for the Docker engine's
answer; the real containers are in tests/containers (they run where a Docker engine answers)."""

from __future__ import annotations

import socket
from typing import ClassVar

import pytest

from labgrader import paths
from labgrader.targets import containers
from labgrader.targets.base import TargetError
from tests.conftest import closed_port


class FakeContainer:
    """Records what labgrader asks of a container; hands out fixed host ports."""

    started: ClassVar[list[FakeContainer]] = []
    fail_image: ClassVar[str | None] = None

    def __init__(self, image: str) -> None:
        self.image = image
        self.ports: list[int] = []
        self.command: str | None = None
        self.running = False

    def with_exposed_ports(self, *ports: int) -> FakeContainer:
        self.ports.extend(ports)
        return self

    def with_kwargs(self, **kwargs: object) -> FakeContainer:
        self.labels = kwargs["labels"]
        return self

    def with_command(self, command: str) -> FakeContainer:
        self.command = command
        return self

    def start(self) -> FakeContainer:
        if self.image == FakeContainer.fail_image:
            raise ConnectionError("Error while fetching server API version: no such file /var/run/docker.sock")
        self.running = True
        FakeContainer.started.append(self)
        return self

    def stop(self) -> None:
        self.running = False

    def get_container_host_ip(self) -> str:
        return "127.0.0.1"

    def get_exposed_port(self, port: int) -> int:
        return 40000 + port


@pytest.fixture(autouse=True)
def _reset() -> None:
    FakeContainer.started = []
    FakeContainer.fail_image = None


def test_starts_redis_and_dynamodb_local_and_describes_the_target() -> None:
    with containers.started("eu-west-1", factory=FakeContainer) as target:
        redis_container, dynamodb_container = FakeContainer.started
        assert (redis_container.image, redis_container.ports) == ("redis:7-alpine", [6379])
        assert dynamodb_container.image == "amazon/dynamodb-local:latest"
        assert dynamodb_container.command == "-jar DynamoDBLocal.jar -inMemory -sharedDb"
        assert target.name == "containers"
        assert target.region == "eu-west-1"
        assert target.redis_url == "redis://127.0.0.1:46379/0"
        assert target.endpoint_for("dynamodb") == "http://127.0.0.1:48000"
        assert target.endpoint_for("dynamodbstreams") == "http://127.0.0.1:48000"
        assert target.endpoint_for("elasticache") is None
        assert not target.provides("elasticache")
        assert "no container image" in target.unavailable["elasticache"]
        assert target.provides("redis-admin")
    assert not any(c.running for c in FakeContainer.started)


def test_no_docker_engine_is_one_line_exit_3_and_stops_what_started() -> None:
    FakeContainer.fail_image = "amazon/dynamodb-local:latest"
    with pytest.raises(TargetError) as caught, containers.started("us-east-1", factory=FakeContainer):
        pass
    assert caught.value.exit_code == 3
    assert "needs a running Docker engine" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not FakeContainer.started[0].running


def test_images_can_be_pinned_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABGRADER_REDIS_IMAGE", "valkey/valkey:8")
    assert containers.plans()[0].image == "valkey/valkey:8"


def test_dynamodb_local_gets_its_command_and_another_image_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    assert containers.plans()[1].command == "-jar DynamoDBLocal.jar -inMemory -sharedDb"
    monkeypatch.setenv("LABGRADER_DYNAMODB_IMAGE", "labgrader-test/dynamodb:abc")
    assert containers.plans()[1].command is None


ALL_INTERFACES = ".".join("0000")  # what the engine reports for a port published on every interface
ENGINE_ANSWER = [
    {
        "Id": "0123456789abcdef",
        "Names": ["/week8-dynamodb-1"],
        "Image": "amazon/dynamodb-local",
        "Ports": [{"IP": ALL_INTERFACES, "PrivatePort": 8000, "PublicPort": 8000, "Type": "tcp"}],
    },
    {
        "Id": "fedcba9876543210",
        "Names": ["/week8-redis-1"],
        "Image": "redis:7",
        "Ports": [
            {"IP": ALL_INTERFACES, "PrivatePort": 6379, "PublicPort": 6379, "Type": "tcp"},
            {"IP": "::", "PrivatePort": 6379, "PublicPort": 6379, "Type": "tcp"},
        ],
    },
    {"Id": "unpublished", "Names": ["/worker"], "Image": "busybox", "Ports": [{"PrivatePort": 80, "Type": "tcp"}]},
    "not a container",
]


def test_the_engine_names_the_container_behind_each_published_port() -> None:
    assert containers._publishers(ENGINE_ANSWER) == {
        8000: "container week8-dynamodb-1 (amazon/dynamodb-local)",
        6379: "container week8-redis-1 (redis:7)",
    }
    assert containers._publishers({"message": "page not found"}) == {}


def test_the_first_line_names_the_containers_found_and_only_the_endpoints_otherwise() -> None:
    owners = {"dynamodb": "container week8-dynamodb-1 (amazon/dynamodb-local)", "redis": "container week8-redis-1"}
    found = containers.containers_target("http://localhost:8000", "redis://:pw@localhost:6379/0", "us-east-1", owners)
    assert found.describe() == (
        "containers (DynamoDB at http://localhost:8000 in container week8-dynamodb-1 (amazon/dynamodb-local), "
        "Redis at redis://:***@localhost:6379/0 in container week8-redis-1; region us-east-1)"
    )
    bare = containers.containers_target("http://localhost:8000", "redis://localhost:6379/0", "us-east-1")
    assert "in container" not in bare.describe()


@pytest.mark.parametrize(
    ("endpoint", "redis_url", "named"),
    [
        ("localhost:8000", "redis://localhost:6379/0", "--endpoint-url"),
        ("http://localhost:port", "redis://localhost:6379/0", "--endpoint-url"),
        ("http://localhost:8000", "http://localhost:6379", "--redis-url"),
    ],
)
def test_a_malformed_url_is_a_usage_error(endpoint: str, redis_url: str, named: str) -> None:
    with pytest.raises(TargetError) as caught:
        containers.attach(endpoint, redis_url, "us-east-1")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(named)


def test_a_dynamodb_only_lab_needs_no_redis_and_never_looks_at_the_default_one() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        endpoint = f"http://127.0.0.1:{listening.getsockname()[1]}"
        target = containers.attach(endpoint, None, "us-east-1", needs_redis=False)
    assert target.redis_url is None
    assert target.describe() == f"containers (DynamoDB at {endpoint}; region us-east-1)"


def test_a_missing_endpoint_names_the_command_that_starts_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        endpoint = f"http://127.0.0.1:{listening.getsockname()[1]}"
        redis_url = f"redis://:secret@127.0.0.1:{closed_port()}/0"
        with pytest.raises(TargetError) as caught:
            containers.attach(endpoint, redis_url, "us-east-1")
    message = str(caught.value)
    assert caught.value.exit_code == 3
    assert message.startswith(f"no Redis at redis://:***@127.0.0.1:{redis_url.rsplit(':', 1)[1]}")
    assert f"`docker compose -f {paths.compose_file()} up -d`" in message
    assert paths.compose_file().is_file()
    assert "secret" not in message
