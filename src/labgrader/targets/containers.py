"""The `containers` target: the DynamoDB Local + Redis containers the student runs (`docker compose -f
<labgrader's compose.yaml> up -d`, see base.start_command), graded where they answer; `started` can also start
fresh, empty ones with testcontainers.

ElastiCache's control plane has no container image, so its checks `skip` here; Redis runs self-hosted, so
CONFIG/BGSAVE are allowed as on the sandbox.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK
from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from labgrader.targets.base import Target, TargetError, check_endpoint_url, redact_url, start_command

REDIS_PORT = 6379
DYNAMODB_PORT = 8000
DEFAULT_DYNAMODB_ENDPOINT = "http://localhost:8000"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"
# Both endpoints are probed one after the other: a missing one is reported within 3 s in all.
CONNECT_PROBE_S = 1.4
DOCKER_SOCKET = "/var/run/docker.sock"
DOCKER_QUERY_S = 1.0


@dataclass(frozen=True)
class ContainerPlan:
    image: str
    port: int
    command: str | None = None


DYNAMODB_LOCAL_IMAGE = "amazon/dynamodb-local:latest"


def plans() -> tuple[ContainerPlan, ContainerPlan]:
    """Redis (with its default RDB rules) and DynamoDB Local (in memory); images overridable by environment (another
    DynamoDB image runs its own command)."""
    redis_image = os.environ.get("LABGRADER_REDIS_IMAGE", "redis:7-alpine")
    dynamodb_image = os.environ.get("LABGRADER_DYNAMODB_IMAGE", DYNAMODB_LOCAL_IMAGE)
    command = "-jar DynamoDBLocal.jar -inMemory -sharedDb" if dynamodb_image == DYNAMODB_LOCAL_IMAGE else None
    return (ContainerPlan(redis_image, REDIS_PORT), ContainerPlan(dynamodb_image, DYNAMODB_PORT, command))


def attach(
    endpoint_url: str | None,
    redis_url: str | None,
    region: str,
    *,
    needs_dynamodb: bool = True,
    needs_redis: bool = True,
) -> Target:
    """The student's running DynamoDB endpoint and Redis; one line and exit 3 (within 3 s) when one the lab needs is
    not there. A Redis the lab does not use (a DynamoDB-only lab) is neither required nor graded."""
    endpoint = check_endpoint_url(endpoint_url or DEFAULT_DYNAMODB_ENDPOINT)
    used_redis_url = redis_url or (DEFAULT_REDIS_URL if needs_redis else None)
    wanted = [("dynamodb", endpoint, _address(endpoint, "--endpoint-url", ("http", "https"), 80))]
    if used_redis_url is not None:
        wanted.append(
            ("redis", used_redis_url, _address(used_redis_url, "--redis-url", ("redis", "rediss"), REDIS_PORT))
        )
    for service, url, (host, port) in wanted:
        if service == "dynamodb" and not needs_dynamodb:
            continue
        problem = _connect_problem(host, port)
        if problem:
            what, option = (
                ("DynamoDB endpoint", "--endpoint-url") if service == "dynamodb" else ("Redis", "--redis-url")
            )
            raise TargetError(
                f"no {what} at {redact_url(url)} ({problem}): start your containers with `{start_command()}`, "
                f"or pass {option}.",
                exit_code=EXIT_COULD_NOT_LOOK,
            )
    publishers = published_ports()
    owners = {
        service: publishers[port] for service, _, (host, port) in wanted if _is_loopback(host) and port in publishers
    }
    return containers_target(endpoint, used_redis_url, region, owners)


def _address(url: str, option: str, schemes: tuple[str, ...], default_port: int) -> tuple[str, int]:
    parsed = urlsplit(url)
    try:
        port = parsed.port
    except ValueError:
        raise TargetError(f"{option} {redact_url(url)!r} has an invalid port.") from None
    if parsed.scheme not in schemes or not parsed.hostname:
        raise TargetError(f"{option} {redact_url(url)!r} is not a {' or '.join(s + '://' for s in schemes)} URL.")
    if port is None and parsed.scheme in ("https", "rediss"):
        port = 443 if parsed.scheme == "https" else REDIS_PORT
    return parsed.hostname, port or default_port


def _connect_problem(host: str, port: int) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_PROBE_S):
            return None
    except TimeoutError:
        return f"no answer within {CONNECT_PROBE_S:g} s"
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def published_ports(socket_path: str | None = None) -> dict[int, str]:
    """Host port → "container NAME (IMAGE)" for the running containers of the local Docker engine; empty when no
    engine answers within a second (the scorecard then names the endpoints only)."""
    if socket_path is None:
        docker_host = os.environ.get("DOCKER_HOST", f"unix://{DOCKER_SOCKET}")
        if not docker_host.startswith("unix://"):
            return {}
        socket_path = docker_host.removeprefix("unix://")
    connection = _UnixHTTPConnection(socket_path, DOCKER_QUERY_S)
    try:
        connection.request("GET", "/containers/json")
        response = connection.getresponse()
        listed = json.loads(response.read()) if response.status == 200 else []
    except (OSError, http.client.HTTPException, ValueError):
        return {}
    finally:
        connection.close()
    return _publishers(listed)


def _publishers(listed: Any) -> dict[int, str]:
    found: dict[int, str] = {}
    for container in listed if isinstance(listed, list) else []:
        if not isinstance(container, Mapping):
            continue
        names = [str(name).lstrip("/") for name in container.get("Names") or []]
        label = f"container {names[0] if names else str(container.get('Id', '?'))[:12]} ({container.get('Image')})"
        for port in container.get("Ports") or []:
            if isinstance(port, Mapping) and isinstance(port.get("PublicPort"), int):
                found.setdefault(port["PublicPort"], label)
    return found


def containers_target(
    dynamodb_endpoint: str, redis_url: str | None, region: str, owners: Mapping[str, str] | None = None
) -> Target:
    return Target(
        name="containers",
        region=region,
        region_source="containers",
        endpoint_url=dynamodb_endpoint,
        student_endpoint=True,
        endpoint_services=frozenset({"dynamodb", "dynamodbstreams"}),
        static_credentials=(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
        redis_url=redis_url,
        endpoint_owners=dict(owners or {}),
        unavailable={
            "elasticache": "ElastiCache's control plane has no container image (grade it on the sandbox or AWS)",
            "ec2": "no EC2 control plane in containers (grade it on the sandbox or AWS)",
            "sentinel": "one Redis container without sentinel: failover is graded on the sandbox or AWS",
        },
    )


def _default_factory() -> Callable[[str], Any]:
    try:
        from testcontainers.core.container import DockerContainer  # noqa: PLC0415 - optional extra
    except ImportError:
        raise TargetError("the containers target needs testcontainers: pip install 'labgrader[containers]'.") from None
    return DockerContainer


def _loopback_only(container: Any, port: int) -> None:
    """Publish `port` on 127.0.0.1 only (a free port), not on every interface as testcontainers does."""
    ports = getattr(container, "ports", None)
    if isinstance(ports, dict):
        ports.pop(port, None)
        ports.pop(str(port), None)
        ports[f"{port}/tcp"] = ("127.0.0.1", None)  # docker-py's (address, port) binding


@contextmanager
def started(
    region: str, factory: Callable[[str], Any] | None = None, labels: Mapping[str, str] | None = None
) -> Iterator[Target]:
    """Start both containers, yield the target, stop them (also on error). Ports are published on 127.0.0.1 only;
    `labels` mark the containers, so a caller can find one whose start was interrupted."""
    factory = factory or _default_factory()
    redis_plan, dynamodb_plan = plans()
    with ExitStack() as stack:
        running = []
        for plan in (redis_plan, dynamodb_plan):
            container = factory(plan.image).with_exposed_ports(plan.port)
            _loopback_only(container, plan.port)
            if labels:
                container = container.with_kwargs(labels=dict(labels))
            if plan.command:
                container = container.with_command(plan.command)
            try:
                container.start()
            except Exception as exc:  # noqa: BLE001 - docker errors vary by version; each means "no engine here"
                raise TargetError(
                    f"the containers target needs a running Docker engine; starting {plan.image} failed "
                    f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}).",
                    exit_code=3,
                ) from None
            stack.callback(container.stop)
            running.append(container)
        redis_container, dynamodb_container = running
        host = redis_container.get_container_host_ip()
        redis_url = f"redis://{host}:{redis_container.get_exposed_port(REDIS_PORT)}/0"
        dynamodb_host = dynamodb_container.get_container_host_ip()
        endpoint = f"http://{dynamodb_host}:{dynamodb_container.get_exposed_port(DYNAMODB_PORT)}"
        yield containers_target(endpoint, redis_url, region)
