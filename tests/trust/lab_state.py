"""What a grading run must leave as it found it, captured so two captures compare exactly: the student's table
and Redis keys (fingerprints), the grader's scratch leftovers, the sandbox's health, and the processes a run
started. Shared by the no-data-loss and concurrency tests, which grade on a sandbox of their own."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import redis

from labgrader import paths
from labgrader.engine.scratch import SCRATCH_PREFIX
from labgrader.sandbox import manager
from labgrader.sandbox import topology as failover
from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, SandboxState, SentinelInfo
from labgrader.solve import solve
from labgrader.spec import LabSpec
from labgrader.targets import open_target

REFERENCE = paths.reference_solution()
# The settings the student makes with CONFIG SET (solve does it on every node, as a parameter group would).
STUDENT_SETTINGS = ("maxmemory-policy", "save", "appendonly")


# --- fingerprints -----------------------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class LabData:
    """The student's data (canonical JSON, sorted) and the grader's scratch leftovers, as one capture saw them."""

    items: tuple[str, ...]  # every item outside the reserved partition prefix
    keys: tuple[str, ...]  # every Redis key outside the reserved prefix: name, type, value, has a TTL
    scratch_items: tuple[str, ...]
    scratch_keys: tuple[str, ...]  # keys under the reserved prefix, or naming a scratch item (product:__labgrader__…)

    def student(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.items, self.keys

    def differences(self, other: LabData) -> list[str]:
        """What changed from self to other in the student's data (empty: identical)."""
        lines = []
        for what, before, after in (("item", self.items, other.items), ("key", self.keys, other.keys)):
            lines += [f"{what} lost or changed: {x}" for x in sorted(set(before) - set(after))]
            lines += [f"{what} added or changed: {x}" for x in sorted(set(after) - set(before))]
        return lines


def table_rows(ddb: Any, table: str, partition_key: str) -> tuple[list[str], list[str]]:
    """(student items, scratch items) of the table: one strongly consistent paginated Scan, canonical JSON."""
    student: list[str] = []
    scratch: list[str] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page.get("Items", []):
            partition = item.get(partition_key, {}).get("S", "")
            (scratch if str(partition).startswith(SCRATCH_PREFIX) else student).append(_canonical(item))
    return sorted(student), sorted(scratch)


def _value(client: redis.Redis, key: str, kind: str) -> Any:
    if kind == "string":
        return client.get(key)
    if kind == "hash":
        return sorted(client.hgetall(key).items())
    if kind == "list":
        return client.lrange(key, 0, -1)
    if kind == "set":
        return sorted(client.smembers(key))
    if kind == "zset":
        return client.zrange(key, 0, -1, withscores=True)
    if kind == "stream":
        return client.xrange(key)
    return f"<{kind}>"


def redis_rows(client: redis.Redis) -> tuple[list[str], list[str]]:
    """(student keys, scratch keys) of the node: name, type, value and whether it has a TTL (not the TTL itself,
    which ticks). A key naming a scratch item (the cache key of a scratch item) counts as scratch."""
    student: list[str] = []
    scratch: list[str] = []
    for key in sorted(client.scan_iter(count=1000)):
        name = str(key)
        if SCRATCH_PREFIX in name:
            scratch.append(name)
            continue
        kind = str(client.type(name))
        if kind == "none":
            continue  # expired between SCAN and TYPE
        row = {"key": name, "type": kind, "value": _value(client, name, kind), "ttl": int(client.pttl(name)) >= 0}
        student.append(_canonical(row))
    return student, scratch


def ddb_client(state: SandboxState) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=state.moto_url,
        region_name=state.region,
        aws_access_key_id=SANDBOX_ACCESS_KEY,
        aws_secret_access_key=SANDBOX_SECRET_KEY,
    )


def capture(state: SandboxState, spec: LabSpec, redis_url: str | None = None) -> LabData:
    """The student's table and the Redis keys of the sandbox's primary (or `redis_url`)."""
    assert spec.dynamodb is not None
    items, scratch_items = table_rows(ddb_client(state), spec.dynamodb.table, spec.dynamodb.partition_key.name)
    client = redis.Redis.from_url(redis_url or state.redis_url, decode_responses=True, socket_timeout=5)
    try:
        keys, scratch_keys = redis_rows(client)
    finally:
        client.close()
    return LabData(tuple(items), tuple(keys), tuple(scratch_items), tuple(scratch_keys))


# --- the sandbox's health ---------------------------------------------------------------------------------------


def _info(port: int) -> dict[str, Any]:
    client = redis.Redis(port=port, socket_timeout=2, decode_responses=True)
    try:
        info: dict[str, Any] = client.info("replication")
        info["settings"] = {name: client.config_get(name).get(name) for name in STUDENT_SETTINGS}
        return info
    finally:
        client.close()


def health_problems(state: SandboxState, settings: dict[str, Any] | None = None) -> list[str]:
    """What is wrong with the sandbox now (empty: healthy): every process running, REDIS_URL's node the primary
    that sentinel names, the replica following it with its link up, sentinel not failing over, and (when given)
    each node's student settings as they were."""
    problems = [f"{role} (pid {record.pid}) is not running" for role, record in state.processes.items()
                if not record.running()]  # fmt: skip
    if problems:
        return problems
    primary, replica = state.processes["primary"].port, state.processes["replica"].port
    try:
        head, tail = _info(primary), _info(replica)
        sentinel = redis.Redis(port=state.sentinel_port, socket_timeout=2, decode_responses=True)
        try:
            master: Any = sentinel.sentinel_master(state.master_name)
        finally:
            sentinel.close()
    except redis.RedisError as exc:
        return [f"Redis does not answer: {exc}"]
    if head.get("role") != "master":
        problems.append(f"the primary (port {primary}) is a {head.get('role')}")
    if tail.get("role") != "slave" or int(tail.get("master_port") or 0) != primary:
        problems.append(f"the replica (port {replica}) is a {tail.get('role')} of port {tail.get('master_port')}")
    elif tail.get("master_link_status") != "up":
        problems.append(f"the replica's link to the primary is {tail.get('master_link_status')}")
    if int(master["port"]) != primary or "failover_in_progress" in str(master.get("flags", "")):
        problems.append(f"sentinel names port {master['port']} (flags {master.get('flags')}), expected {primary}")
    if settings is not None:
        for role, info in (("primary", head), ("replica", tail)):
            if info["settings"] != settings:
                problems.append(f"the {role}'s settings are {info['settings']}, expected {settings}")
    return problems  # moto answering: `capture` scans the table through it


def student_settings(state: SandboxState) -> dict[str, Any]:
    settings: dict[str, Any] = _info(state.processes["primary"].port)["settings"]
    return settings


def wait_healthy(state: SandboxState, settings: dict[str, Any] | None, timeout: float = 5.0) -> list[str]:
    """Poll until healthy; the remaining problems after `timeout` (a replica link takes a moment to come up)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = health_problems(state, settings)
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.05)


# --- a sandbox of one's own -------------------------------------------------------------------------------------


@contextlib.contextmanager
def solved_sandbox(home: Path, spec: LabSpec) -> Iterator[SandboxState]:
    """A sandbox under `home` with the reference solution applied (these tests kill its processes)."""
    state = manager.up(home)
    try:
        with open_target("local", spec, sandbox_home=home) as target:
            solve(spec, target, log=lambda _line: None)
        yield state
    finally:
        manager.down(home)


@dataclass
class Lab:
    """A solved sandbox of one's own, and what it held before any run: what every run must leave as it was."""

    home: Path
    state: SandboxState
    spec: LabSpec
    baseline: LabData
    settings: dict[str, Any]

    def capture(self, redis_url: str | None = None) -> LabData:
        return capture(self.state, self.spec, redis_url)

    def problems(self) -> list[str]:
        """Everything that differs from the baseline now: student data, scratch leftovers, the sandbox's health."""
        now = self.capture()
        found = self.baseline.differences(now)
        found += [f"scratch item left: {item}" for item in now.scratch_items]
        found += [f"scratch key left: {key}" for key in now.scratch_keys]
        return found + health_problems(self.state, self.settings)

    def sentinel(self) -> failover.Sentinel:
        return failover.Sentinel(SentinelInfo("127.0.0.1", self.state.sentinel_port, self.state.master_name))


@contextlib.contextmanager
def solved_lab(home: Path, spec: LabSpec) -> Iterator[Lab]:
    with solved_sandbox(home, spec) as state:
        baseline = capture(state, spec)
        assert spec.dynamodb is not None
        assert spec.dynamodb.table == "LabProducts"  # the week-8 lab
        assert len(baseline.items) == 99  # 100 items imported, GM-0013 deleted by the exercise
        assert {json.loads(row)["key"] for row in baseline.keys} == {"lab:hello", "lab:session:1"}
        assert baseline.scratch_items == baseline.scratch_keys == ()
        yield Lab(home, state, spec, baseline, student_settings(state))


# --- grading runs as a student would start them -----------------------------------------------------------------


def grade_argv(out: Path, solution: Path = REFERENCE, pytest_args: tuple[str, ...] = ()) -> list[str]:
    argv = [sys.executable, "-m", "labgrader", "grade", "--target", "local", "--solution", str(solution),
            "--out", str(out), "--format", "json"]  # fmt: skip
    return [*argv, "--", *pytest_args] if pytest_args else argv


def grade_env(home: Path) -> dict[str, str]:
    """The caller's environment without AWS/Redis settings (the sandbox's come from its home)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_", "LABGRADER_"))}
    env["LABGRADER_HOME"] = str(home)
    return env


def start_grading(
    home: Path, out: Path, log: Path, solution: Path = REFERENCE, pytest_args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """`labgrader grade` in a process group of its own (so a signal to the group is a terminal's Ctrl-C)."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            grade_argv(out, solution, pytest_args),
            env=grade_env(home),
            cwd=out.parent,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def results(out: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data


def statuses(out: Path) -> dict[str, str]:
    data = results(out) or {"checks": []}
    return {c["id"]: c["status"] for c in data["checks"]}


def interrupted_in(out: Path) -> str:
    """The check a run was in when interrupted: "startup" before the first check (imports, collection),
    "after the checks" (reports), "finished" when the Ctrl-C came too late."""
    data = results(out)
    if data is None:
        return "startup"
    if not data.get("interrupted"):
        return "finished"
    stopped = [c["id"] for c in data["checks"] if c["status"] == "error" and "interrupted before it" in c["message"]]
    if not stopped:
        return "after the checks"
    return "startup" if len(stopped) == len(data["checks"]) else str(stopped[0])


# --- the processes a run starts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    started: int  # clock ticks after boot: tells a recycled pid apart
    command: str

    def alive(self) -> bool:
        stat = _stat(self.pid)
        return stat is not None and stat[1] == self.started and stat[2] != "Z"


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, start time, state) of a process, None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[19]), fields[0]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def descendants(root: int) -> set[Proc]:
    parents: dict[int, list[int]] = {}
    stats: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                stats[int(entry.name)] = stat
                parents.setdefault(stat[0], []).append(int(entry.name))
    found: set[Proc] = set()
    todo = list(parents.get(root, []))
    while todo:
        pid = todo.pop()
        found.add(Proc(pid, stats[pid][1], _command(pid)))
        todo.extend(parents.get(pid, []))
    return found


@dataclass
class ProcessWatch:
    """Every process started under `root` while it runs (sampled every 50 ms, and on demand with `sample`)."""

    root: int
    seen: set[Proc] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ProcessWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def sample(self) -> None:
        self.seen |= descendants(self.root)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.05)  # the moment of the Ctrl-C is sampled on demand; this catches the rest

    def survivors(self) -> list[Proc]:
        return sorted((p for p in self.seen if p.alive()), key=lambda p: p.pid)


def interrupt(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C as a terminal sends it: SIGINT to the run's whole foreground process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- scratch names seen while runs are under way ----------------------------------------------------------------


def run_id_of(name: str) -> str:
    """The run id in a scratch name: `__labgrader__:<id>:…` (grader key), `…__labgrader__<id>#…` (scratch
    partition value, or a cache key built from one)."""
    rest = name.split(SCRATCH_PREFIX, 1)[1]
    return rest.lstrip(":").split(":", 1)[0].split("#", 1)[0]


@dataclass
class ScratchWatch:
    """Every scratch key (primary, every 20 ms) and scratch item (table, every 100 ms) seen while runs go on."""

    state: SandboxState
    spec: LabSpec
    names: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ScratchWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        assert self.spec.dynamodb is not None
        table, key = self.spec.dynamodb.table, self.spec.dynamodb.partition_key.name
        ddb = ddb_client(self.state)
        client = redis.Redis.from_url(self.state.redis_url, decode_responses=True, socket_timeout=2)
        rounds = 0
        try:
            while not self._stop.is_set():
                with contextlib.suppress(redis.RedisError):  # a failover drops the connection for a moment
                    self.names.update(str(k) for k in client.scan_iter(match=f"*{SCRATCH_PREFIX}*", count=1000))
                if rounds % 5 == 0:
                    for item in table_rows(ddb, table, key)[1]:
                        self.names.add(json.loads(item)[key]["S"])
                rounds += 1
                time.sleep(0.02)
        finally:
            client.close()

    def run_ids(self) -> set[str]:
        return {run_id_of(name) for name in self.names}
