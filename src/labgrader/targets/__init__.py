"""Where the lab is graded: `local` (the embedded sandbox), `aws` (real AWS, or an AWS-compatible emulator at
`--endpoint-url`) or `containers` (the student's own DynamoDB Local + Redis containers). `base` holds the Target
every check receives; `open_target` resolves one by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labgrader.spec import LabSpec
from labgrader.targets import containers
from labgrader.targets.aws import aws_target
from labgrader.targets.base import TARGET_NAMES, Target, TargetError
from labgrader.targets.local import local_target


@contextmanager
def open_target(
    name: str,
    spec: LabSpec,
    *,
    region: str | None = None,
    profile: str | None = None,
    redis_url: str | None = None,
    sandbox_home: Path | None = None,
    endpoint_url: str | None = None,
) -> Iterator[Target]:
    """Resolve a target; `containers` attaches to the containers the student runs (it starts none)."""
    if endpoint_url is not None and name == "local":
        raise TargetError("--endpoint-url is for --target containers or aws (an emulator); the sandbox has its own.")
    if name == "aws":
        yield aws_target(spec, region, profile, redis_url, endpoint_url)
    elif name == "local":
        yield local_target(region, redis_url, sandbox_home)
    elif name == "containers":
        yield containers.attach(
            endpoint_url,
            redis_url,
            region or spec.lab.region or "us-east-1",
            needs_dynamodb=spec.dynamodb is not None,
            needs_redis=spec.redis is not None or spec.cache_aside is not None,
        )
    else:
        raise TargetError(f"unknown target {name!r}: use one of {', '.join(TARGET_NAMES)}.")
