"""Evaluating Redis answers (INFO, TTL, CONFIG GET) against the lab spec: pure functions, no connection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labgrader.spec import RedisKeySpec

# Commands ElastiCache refuses (lab-facts): never sent on the aws target, where persistence and eviction are judged
# from the ElastiCache API instead.
RESTRICTED_COMMANDS = frozenset(
    {
        "BGSAVE",
        "SAVE",
        "CONFIG",
        "DEBUG",
        "REPLICAOF",
        "SLAVEOF",
        "SYNC",
        "PSYNC",
        "SHUTDOWN",
        "BGREWRITEAOF",
        "MIGRATE",
        "FAILOVER",
    }
)
MAX_SHOWN = 60


def shown(value: object) -> str:
    """A value for a one-sentence message: quoted, cut at MAX_SHOWN characters."""
    text = str(value)
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…")


# --- TTL ------------------------------------------------------------------------------------------------------


def ttl_meaning(ttl: int) -> str:
    """TTL's answer in words: -2 no such key, -1 no expiry, else seconds left."""
    if ttl == -2:
        return "does not exist"
    if ttl == -1:
        return "has no TTL"
    return f"expires in {ttl} s"


@dataclass(frozen=True)
class KeyObservation:
    name: str
    type: str  # TYPE's answer: string, hash, list, ..., or "none"
    value: str | None  # GET's answer for strings
    ttl: int  # TTL's answer


def key_problems(spec: RedisKeySpec, seen: KeyObservation) -> list[str]:
    """What is wrong with one of the student's keys (empty list: it is as the lab expects)."""
    if seen.type == "none":
        return [f"{spec.name} does not exist"]
    problems = []
    if spec.value is not None:
        if seen.type != "string":
            problems.append(f"{spec.name} is a {seen.type}, expected the string {shown(spec.value)}")
        elif seen.value != spec.value:
            problems.append(f"{spec.name} = {shown(seen.value)}, expected {shown(spec.value)}")
    if spec.ttl:
        limit = spec.max_ttl
        if seen.ttl < 0:
            problems.append(
                f"{spec.name} {ttl_meaning(seen.ttl)}, expected a TTL" + (f" of at most {limit} s" if limit else "")
            )
        elif limit is not None and seen.ttl > limit:
            problems.append(f"{spec.name} expires in {seen.ttl} s, expected at most {limit} s")
    return problems


def expected_text(spec: RedisKeySpec) -> str:
    parts = [f"= {shown(spec.value)}" if spec.value is not None else "exists"]
    if spec.ttl:
        parts.append(f"TTL in (0, {spec.max_ttl}]" if spec.max_ttl else "TTL > 0")
    return f"{spec.name} " + ", ".join(parts)


def observed_text(seen: KeyObservation) -> str:
    if seen.type == "none":
        return f"{seen.name} missing"
    value = f"= {shown(seen.value)}" if seen.type == "string" else f"({seen.type})"
    return f"{seen.name} {value}, {ttl_meaning(seen.ttl)}"


# --- replication ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaLink:
    """One `slaveN:` line of the primary's INFO replication."""

    ip: str
    port: int
    state: str  # online, wait_bgsave, send_bulk, ...
    offset: int
    lag: int | None

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"


def replica_links(info: Mapping[str, Any]) -> list[ReplicaLink]:
    """The replicas a primary lists in INFO replication (redis-py parses each slaveN line into a dict)."""
    links = []
    for index in range(int(info.get("connected_slaves") or 0) + 8):
        entry = info.get(f"slave{index}")
        if isinstance(entry, Mapping):
            lag = entry.get("lag")
            links.append(
                ReplicaLink(
                    ip=str(entry.get("ip", "?")),
                    port=int(entry.get("port", 0)),
                    state=str(entry.get("state", "?")),
                    offset=int(entry.get("offset", 0)),
                    lag=int(lag) if lag is not None else None,
                )
            )
    return links


def replication_problems(info: Mapping[str, Any], min_replicas: int) -> list[str]:
    role = info.get("role")
    if role != "master":
        where = f" of {info.get('master_host')}:{info.get('master_port')}" if role == "slave" else ""
        return [f"the endpoint is a {role}{where}, not the primary"]
    links = replica_links(info)
    online = [link for link in links if link.state == "online"]
    problems = []
    if len(online) < min_replicas:
        problems.append(
            f"{len(online)} replica(s) online of {info.get('connected_slaves', 0)} connected, "
            f"expected at least {min_replicas}"
        )
    for link in links:
        if link.state != "online":
            problems.append(f"replica {link.address} is {link.state}")
    return problems


def describe_links(links: list[ReplicaLink]) -> str:
    return ", ".join(f"{link.address} {link.state} (lag {link.lag} s)" for link in links) or "no replicas"


# --- persistence ----------------------------------------------------------------------------------------------


def save_rules(config: Mapping[str | None, str | None]) -> list[tuple[int, int]]:
    """CONFIG GET save as (seconds, changes) pairs; [] when RDB snapshots are off (save "")."""
    numbers = str(config.get("save") or "").split()
    pairs = []
    for seconds, changes in zip(numbers[::2], numbers[1::2], strict=False):
        if seconds.isdigit() and changes.isdigit():
            pairs.append((int(seconds), int(changes)))
    return pairs


def describe_save_rules(rules: list[tuple[int, int]]) -> str:
    return ", ".join(f"after {s} s if {c} change(s)" for s, c in rules) or 'none (save "")'
