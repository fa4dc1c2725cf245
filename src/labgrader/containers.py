"""The `containers` target: a Redis container and DynamoDB Local, started with testcontainers.

ElastiCache's control plane has no container image, so its checks `skip` here; Redis runs self-hosted, so
CONFIG/BGSAVE are allowed as on the sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from labgrader.sandbox_state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from labgrader.targets import Target, TargetError

REDIS_PORT = 6379
DYNAMODB_PORT = 8000


@dataclass(frozen=True)
class ContainerPlan:
    image: str
    port: int
    command: str | None = None


def plans() -> tuple[ContainerPlan, ContainerPlan]:
    """Redis (with its default RDB rules) and DynamoDB Local (in memory); images overridable by environment."""
    redis_image = os.environ.get("LABGRADER_REDIS_IMAGE", "redis:7-alpine")
    dynamodb_image = os.environ.get("LABGRADER_DYNAMODB_IMAGE", "amazon/dynamodb-local:latest")
    return (
        ContainerPlan(redis_image, REDIS_PORT),
        ContainerPlan(dynamodb_image, DYNAMODB_PORT, "-jar DynamoDBLocal.jar -inMemory -sharedDb"),
    )


def containers_target(dynamodb_endpoint: str, redis_url: str, region: str) -> Target:
    return Target(
        name="containers",
        region=region,
        region_source="containers",
        endpoint_url=dynamodb_endpoint,
        endpoint_services=frozenset({"dynamodb", "dynamodbstreams"}),
        static_credentials=(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
        redis_url=redis_url,
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


@contextmanager
def started(region: str, factory: Callable[[str], Any] | None = None) -> Iterator[Target]:
    """Start both containers, yield the target, stop them (also on error)."""
    factory = factory or _default_factory()
    redis_plan, dynamodb_plan = plans()
    with ExitStack() as stack:
        running = []
        for plan in (redis_plan, dynamodb_plan):
            container = factory(plan.image).with_exposed_ports(plan.port)
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
