"""A target: which endpoints and credentials the clients use there and which capabilities exist (ElastiCache's
control plane has no container; CONFIG/BGSAVE are refused on ElastiCache); checks needing a missing capability
report `skip` with the reason given here."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from labgrader import paths
from labgrader.sandbox.state import SentinelInfo

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
            return f"are your containers running? Start them with `{start_command()}`."
        if self.emulator:
            option = "--redis-url" if service == "redis" else "--endpoint-url"
            return f"is the emulator running? Start it (e.g. `docker compose up -d`), or fix {option}."
        if service == "redis":
            return (
                "ElastiCache is reachable only from inside its VPC: run labgrader on the lab's EC2 instance, "
                "or pass --redis-url through an SSH tunnel."
            )
        return "check your network and the region."


def start_command() -> str:
    """`docker compose -f PATH up -d` with the compose.yaml installed with labgrader (the wheel's copy, or the
    checkout's): a command that starts the containers target's pair from any folder."""
    return f"docker compose -f {shlex.quote(str(paths.compose_file()))} up -d"


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
