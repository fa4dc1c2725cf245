"""The `containers` target's wiring, with a stand-in for testcontainers' DockerContainer (no Docker engine here);
the real integration test runs only where a Docker engine answers."""

from __future__ import annotations

from typing import ClassVar

import pytest

from labgrader import containers
from labgrader.targets import TargetError


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


def _docker_engine_answers() -> bool:
    """True when a Docker engine listens on DOCKER_HOST (unix socket) or the default socket."""
    import os
    import socket

    address = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not address.startswith("unix://"):
        return True  # a remote engine: let the test try it
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1)
    try:
        probe.connect(address.removeprefix("unix://"))
        probe.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
        return b"OK" in probe.recv(1024)
    except OSError:
        return False
    finally:
        probe.close()


@pytest.mark.skipif(not _docker_engine_answers(), reason="no Docker engine answers on this machine")
def test_containers_target_grades_redis_reachable_for_real(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from labgrader import paths, runner
    from labgrader.spec import load_spec

    spec = load_spec(paths.default_lab_spec())
    with containers.started("us-east-1") as target:
        run = runner.grade(spec, target, out_dir=tmp_path, only=frozenset({"redis_reachable"}))
    assert run.get("redis_reachable").status == "pass"
    assert run.get("elasticache_replicas_present").status == "skip"
