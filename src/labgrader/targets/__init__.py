"""Where the lab is graded: `local` (the embedded sandbox), `aws` (real AWS, or an AWS-compatible emulator at
`--endpoint-url`) or `containers` (the student's own DynamoDB Local + Redis containers).

A `Target` says which endpoints and credentials the clients use and which capabilities exist there (ElastiCache's
control plane has no container; CONFIG/BGSAVE are refused on ElastiCache); checks needing a missing capability
report `skip` with the reason given here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import boto3
import botocore.exceptions

from labgrader.sandbox import state as sandbox_state
from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, SentinelInfo
from labgrader.spec import LabSpec

TargetName = Literal["local", "aws", "containers"]
AWS_REGION_NAME = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}")
TARGET_NAMES: tuple[TargetName, ...] = ("local", "aws", "containers")


class TargetError(Exception):
    """The target cannot be used: one line with the cause and the fix, and the exit code it deserves."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Target:
    name: TargetName
    region: str
    region_source: str
    endpoint_url: str | None = None
    profile: str | None = None
    static_credentials: tuple[str, str] | None = None
    redis_url: str | None = None
    sentinel: SentinelInfo | None = None
    unavailable: Mapping[str, str] = field(default_factory=dict)
    # Services reached through `endpoint_url`; others (on containers) are unavailable.
    endpoint_services: frozenset[str] = frozenset()
    # What answers at each endpoint, when known ("dynamodb"/"redis" → "container lab-redis (redis:7)").
    endpoint_owners: Mapping[str, str] = field(default_factory=dict)
    # The endpoint is one the student runs and named (--endpoint-url, or their containers), not AWS or the sandbox.
    student_endpoint: bool = False
    # With `static_credentials`: the session token of temporary credentials (an assumed role, `grade --roster`).
    session_token: str | None = None

    @property
    def emulator(self) -> bool:
        """An AWS-compatible emulator the student runs (not AWS, not labgrader's own sandbox): an API it does not
        implement makes the check concerned `skip`, naming the API."""
        return self.student_endpoint and self.endpoint_url is not None

    def provides(self, capability: str) -> bool:
        return capability not in self.unavailable

    def endpoint_for(self, service: str) -> str | None:
        if self.endpoint_url and (not self.endpoint_services or service in self.endpoint_services):
            return self.endpoint_url
        return None

    def describe(self) -> str:
        if self.name == "aws" and not self.emulator:
            profile = f", profile {self.profile}" if self.profile else ""
            return f"AWS, region {self.region} ({self.region_source}){profile}"
        if self.name == "containers":
            parts = [self._owned("dynamodb", f"DynamoDB at {self.endpoint_url}")]
            if self.redis_url:
                parts.append(self._owned("redis", f"Redis at {redact_url(self.redis_url)}"))
            return f"containers ({', '.join(parts)}; region {self.region})"
        if self.name == "aws":
            where = f"an AWS-compatible emulator at {self.endpoint_url} (region {self.region}"
            return where + (f", Redis at {redact_url(self.redis_url)})" if self.redis_url else ")")
        where = f"{self.name} (AWS API at {self.endpoint_url}, region {self.region}"
        return where + (f", Redis at {redact_url(self.redis_url)})" if self.redis_url else ")")

    def _owned(self, service: str, text: str) -> str:
        owner = self.endpoint_owners.get(service)
        return f"{text} in {owner}" if owner else text

    def unreachable_advice(self, service: str) -> str:
        if self.name == "local":
            return "is the sandbox up? Run `labgrader sandbox status` (or `labgrader sandbox up --detach`)."
        if self.name == "containers":
            return "are your containers running? Start them with `docker compose up -d` (labgrader's compose.yaml)."
        if self.emulator:
            option = "--redis-url" if service == "redis" else "--endpoint-url"
            return f"is the emulator running? Start it (e.g. `docker compose up -d`), or fix {option}."
        if service == "redis":
            return (
                "ElastiCache is reachable only from inside its VPC: run labgrader on the lab's EC2 instance, "
                "or pass --redis-url through an SSH tunnel."
            )
        return "check your network and the region."


def redact_url(url: str | None) -> str:
    """A Redis URL without its password, for messages and reports."""
    if not url:
        return ""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    userinfo, _, hostpart = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user + ':' if user else ':'}***@{hostpart}"


def _aws_target(
    spec: LabSpec, region: str | None, profile: str | None, redis_url: str | None, endpoint_url: str | None = None
) -> Target:
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except botocore.exceptions.ProfileNotFound:
        raise TargetError(f"AWS profile {profile!r} not found: check `aws configure list-profiles`.") from None
    if endpoint_url is not None:
        return _emulator_target(
            spec, session, endpoint_url=endpoint_url, region=region, profile=profile, redis_url=redis_url
        )
    if region and not AWS_REGION_NAME.fullmatch(region):
        raise TargetError(f"--region {region!r} is not an AWS region name (like us-east-1 or ap-southeast-1).")
    if region:
        source = "--region"
    elif session.region_name:
        region, source = session.region_name, "AWS config/environment"
    elif spec.lab.region:
        region, source = spec.lab.region, "lab spec"
    else:
        raise TargetError("no AWS region: pass --region R or set AWS_REGION (labgrader never guesses a region).")
    return Target(
        name="aws",
        region=region,
        region_source=source,
        profile=profile,
        redis_url=redis_url or os.environ.get("REDIS_URL") or None,
        unavailable={
            "redis-admin": "ElastiCache refuses CONFIG/BGSAVE: this objective is judged from the AWS API there",
            "sentinel": "ElastiCache fails over with TestFailover, not sentinel",
        },
    )


def check_endpoint_url(url: str, option: str = "--endpoint-url") -> str:
    """An http(s) URL with a host, or one line and exit 2."""
    parsed = urlsplit(url)
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise TargetError(f"{option} {url!r} has an invalid port (like http://localhost:8000).") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise TargetError(f"{option} {url!r} is not an http(s) URL (like http://localhost:4566).")
    return url


def _emulator_target(
    spec: LabSpec,
    session: boto3.Session,
    *,
    endpoint_url: str,
    region: str | None,
    profile: str | None,
    redis_url: str | None,
) -> Target:
    """`--target aws --endpoint-url URL`: every AWS API at the student's emulator (LocalStack, moto, ...). The
    emulator's Redis is self-hosted, so CONFIG/BGSAVE are allowed; emulators accept any credentials, so the chain's
    are used when there are some and placeholders otherwise."""
    check_endpoint_url(endpoint_url)
    if region and not AWS_REGION_NAME.fullmatch(region):
        raise TargetError(f"--region {region!r} is not an AWS region name (like us-east-1 or ap-southeast-1).")
    if region:
        source = "--region"
    elif session.region_name:
        region, source = session.region_name, "AWS config/environment"
    else:
        region, source = spec.lab.region or "us-east-1", "lab spec" if spec.lab.region else "emulator default"
    has_credentials = profile is not None or session.get_credentials() is not None
    return Target(
        name="aws",
        region=region,
        region_source=source,
        endpoint_url=endpoint_url,
        profile=profile,
        static_credentials=None if has_credentials else (SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
        student_endpoint=True,
        redis_url=redis_url or os.environ.get("REDIS_URL") or None,
        unavailable={"sentinel": "an emulator's Redis has no sentinel: failover is graded on the sandbox or AWS"},
    )


def _local_target(region: str | None, redis_url: str | None, sandbox_home: Path | None) -> Target:
    state = sandbox_state.read(sandbox_home)
    if state is None or not state.alive():
        raise TargetError(
            "the sandbox is not running: start it with `labgrader sandbox up --detach`, then grade again.",
            exit_code=3,
        )
    return Target(
        name="local",
        region=region or state.region,
        region_source="--region" if region else "sandbox",
        endpoint_url=state.moto_url,
        static_credentials=(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
        redis_url=redis_url or state.redis_url,
        sentinel=SentinelInfo("127.0.0.1", state.sentinel_port, state.master_name),
    )


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
        yield _aws_target(spec, region, profile, redis_url, endpoint_url)
    elif name == "local":
        yield _local_target(region, redis_url, sandbox_home)
    elif name == "containers":
        from labgrader.targets import containers  # noqa: PLC0415

        yield containers.attach(
            endpoint_url,
            redis_url,
            region or spec.lab.region or "us-east-1",
            needs_dynamodb=spec.dynamodb is not None,
            needs_redis=spec.redis is not None or spec.cache_aside is not None,
        )
    else:
        raise TargetError(f"unknown target {name!r}: use one of {', '.join(TARGET_NAMES)}.")
