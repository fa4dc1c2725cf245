"""What the cache-aside and latency checks share: the student's module, its environment, scratch items written by
the grader, the cache keys they map to, and scenarios run through the fork-server.

Scratch data only: items live under the run's reserved partition value (`Scratch.partition_value`), carry the
dataset's attribute shapes (so the lab's indexes accept them) and a TTL a day out, and are deleted when the check
ends, with the Redis keys the scenarios touched. The student's dataset items are never read or written.
"""

from __future__ import annotations

import contextlib
import shlex
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from botocore.credentials import ReadOnlyCredentials

from labgrader.cacheaside.containment import PROCESS_LIMIT, weaker_note
from labgrader.cacheaside.protocol import ScenarioOutcome, ScenarioRequest, Step, StepResult
from labgrader.cacheaside.proxy import DynamoDBProxy, throwaway_credentials
from labgrader.cacheaside.runner import OUTPUT_KEPT, ScenarioRunner
from labgrader.dataset import to_attribute_value, to_python
from labgrader.engine.scratch import SCRATCH_PREFIX, WRITE_SETTLE_S, Scratch
from labgrader.engine.state import run_state
from labgrader.engine.verdict import Hint, could_not_look, fail, not_applicable
from labgrader.services.dynamodb.evaluation import TableKey, actual_keys, attribute_types
from labgrader.services.dynamodb.scratch import delete_item_command
from labgrader.spec import CacheAsideSpec, DynamoDBSpec, LabSpec
from labgrader.targets.base import Target

# Numbers a scratch item carries: a price that floats cannot hold exactly, a fractional rating, an integer stock.
NUMBER_VALUES = (Decimal("24.99"), Decimal("4.5"), Decimal("7"), Decimal("12.25"), Decimal("3"))
DEFAULT_ATTRIBUTES = {"name": "S", "price": "N"}
# An hour, as the README says: long enough for any run, short enough that a lost item soon expires.
SCRATCH_ITEM_LIFETIME_S = 3600
NO_MODULE = (
    "No cache-aside module to grade: the lab's deliverable is a Python module with get_product and "
    "update_product, given with --solution (or solution in the lab spec's [cache_aside] section)."
)
NO_MODULE_HINT = (
    "labgrader grade --solution path/to/cache_aside.py  (the module defining get_product and update_product)"
)

NO_ENDPOINT = "http://127.0.0.1:9"  # the discard port: a harness without the grader's endpoint reaches nothing

_STUDENT_SIDE_KEY = pytest.StashKey["StudentSide"]()


def prestart_runner(config: pytest.Config) -> None:
    """Spawn the scenario server as soon as the run knows it grades a check running the student's module: its
    imports (≈ 0.3 s) then overlap with the checks before it instead of delaying the first scenario."""
    grading = run_state(config)
    if grading is None or grading.phase != "grade" or grading.spec.cache_aside is None:
        return
    solution = grading.solution or grading.spec.cache_aside.solution
    if solution is None:
        return
    shared_runner(config).prestart(Path(solution).parent)


class StudentSide:
    """The run's scenario server and DynamoDB endpoint. Stopped first when the session finishes (before the
    grader writes results.json and the reports), and every student process is then known to be gone."""

    def __init__(self) -> None:
        self.runner = ScenarioRunner()
        self.proxy: DynamoDBProxy | None = None

    def endpoint(self, dynamodb: Any, credentials: Callable[[], ReadOnlyCredentials], table: str) -> DynamoDBProxy:
        if self.proxy is None:
            self.proxy = DynamoDBProxy(dynamodb.meta.endpoint_url, dynamodb.meta.region_name, credentials, table)
        return self.proxy

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        level, network_shared = self.runner.level, self.runner.network_shared
        self.close()
        grading = run_state(session.config)
        if grading is not None and level is not None:
            grading.notes["student_code_containment"] = level
            grading.notes["student_process_limit"] = (
                f"{PROCESS_LIMIT} ({self.runner.process_limit})" if self.runner.process_limit else None
            )
            grading.notes["student_memory_limit_bytes"] = self.runner.memory_limit
            warning = weaker_note(level, network_shared=network_shared)
            if warning is not None:
                grading.notes["containment_warning"] = warning
            if self.runner.survivors:
                grading.notes["student_processes_left"] = self.runner.survivors

    def close(self) -> None:
        self.runner.close()
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None


def student_side(config: pytest.Config) -> StudentSide:
    """One scenario server and one DynamoDB endpoint per grading run, whichever check asks first."""
    side = config.stash.get(_STUDENT_SIDE_KEY, None)
    if side is None:
        side = StudentSide()
        config.stash[_STUDENT_SIDE_KEY] = side
        config.pluginmanager.register(side, f"labgrader-student-side-{id(side)}")
        config.add_cleanup(side.close)
    return side


def shared_runner(config: pytest.Config) -> ScenarioRunner:
    return student_side(config).runner


def closed_redis_url() -> str:
    """A Redis URL on a loopback port nothing listens on (bound and released at once): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def module_environment(
    target: Target, table: str, redis_url: str, endpoint_url: str, credentials: tuple[str, str]
) -> dict[str, str]:
    """The whole environment a student's module gets (SPEC §1), an allow-list: the region, the grader's DynamoDB
    endpoint with throwaway credentials (the endpoint re-signs with the grader's own), the lab's Redis and table.
    Nothing of the grader's own environment (tokens, keys, profiles) is passed on; HOME and TMPDIR are the
    sandbox's scratch folder, PATH the system's (runner.py)."""
    key, secret = credentials
    return {
        "AWS_REGION": target.region,
        "AWS_DEFAULT_REGION": target.region,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_EC2_METADATA_DISABLED": "true",
        "REDIS_URL": redis_url,  # the lab's own Redis: the module needs it, password included
        "LAB_TABLE": table,
        "LANG": "C.UTF-8",
    }


def scratch_attribute_types(spec: DynamoDBSpec) -> dict[str, str]:
    """Attribute name → type for a scratch item: the dataset's attributes and every index key, minus the table key."""
    types: dict[str, str] = dict(
        spec.dataset.attributes if spec.dataset and spec.dataset.attributes else DEFAULT_ATTRIBUTES
    )
    for _label, attr in spec.key_attributes():
        types[attr.name] = attr.type
    for name in spec.key_names:
        types.pop(name, None)
    return types


def scratch_values(spec: DynamoDBSpec, now: float | None = None) -> dict[str, Any]:
    """The non-key attributes of a scratch item (Python form, numbers as Decimal)."""
    item: dict[str, Any] = {}
    numbers = iter(NUMBER_VALUES)
    types = scratch_attribute_types(spec)
    if "price" in types and types["price"] == "N":
        item["price"] = next(numbers)
    for name, kind in types.items():
        if name in item:
            continue
        if kind == "S":
            item[name] = f"labgrader scratch {name}"
        elif kind == "N":
            item[name] = next(numbers, Decimal("1"))
        else:
            item[name] = b"labgrader"
    if spec.ttl:
        item[spec.ttl.attribute] = Decimal(int(now if now is not None else time.time()) + SCRATCH_ITEM_LIFETIME_S)
    return item


def _scratch_value(kind: str, text: str) -> Any:
    """A scratch value of a DynamoDB scalar type (Python form)."""
    return {"N": Decimal(1), "B": b"labgrader"}.get(kind, text)


@dataclass
class CacheAsideHarness:
    lab: LabSpec
    target: Target
    solution: Path | None
    runner: ScenarioRunner
    dynamodb: Any
    redis: redis.Redis
    redis_url: str
    scratch: Scratch
    proxy: DynamoDBProxy | None = None
    module_credentials: tuple[str, str] = field(default_factory=throwaway_credentials)
    _items: list[dict[str, Any]] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)
    # A scratch write a Ctrl-C cut short may still land after cleanup's delete (the server had the request).
    _write_cut_short: bool = False
    _timeout_s: float = 0.0
    _table: dict[str, Any] | None = None  # DescribeTable of the lab's table, once per check

    # --- the lab ----------------------------------------------------------------------------------------------

    @property
    def table_spec(self) -> DynamoDBSpec:
        assert self.lab.dynamodb is not None  # the spec requires [dynamodb] with [cache_aside] / [latency]
        return self.lab.dynamodb

    @property
    def spec(self) -> CacheAsideSpec:
        return self.lab.cache_aside or CacheAsideSpec()

    @property
    def table(self) -> str:
        return self.table_spec.table

    def module(self) -> Path:
        """The student's module, or the check's `fail` (the deliverable is missing)."""
        if self.solution is None:
            fail(
                NO_MODULE,
                call="--solution",
                observed=None,
                expected="path/to/module.py",
                hint=Hint(note=NO_MODULE_HINT),
            )
        if not self.solution.is_file():
            what = "is not a file" if self.solution.exists() else "does not exist"
            fail(
                f"The cache-aside module {self.solution} {what}; expected a Python file (module.py).",
                call="--solution",
                observed=str(self.solution),
                expected="an existing .py file",
                hint=Hint(note=NO_MODULE_HINT),
            )
        return self.solution

    def key_for(self, category: str, sku: str) -> str:
        spec = self.table_spec
        names = {"category": category, "sku": sku, spec.key_names[0]: category}
        if len(spec.key_names) > 1:
            names[spec.key_names[1]] = sku
        return self.spec.key_template.format(**names)

    def _table_keys(self) -> tuple[TableKey, TableKey | None]:
        """The table's real (partition, sort) key from one DescribeTable (the lab's when there is no client to
        ask); `fail` naming the prerequisite when the table does not exist."""
        if self._table is None:
            if self.dynamodb is None:
                spec = self.table_spec
                lab_sort = spec.sort_key
                return TableKey(spec.partition_key.name, spec.partition_key.type), (
                    TableKey(lab_sort.name, lab_sort.type) if lab_sort else None
                )
            try:
                self._table = self.dynamodb.describe_table(TableName=self.table)["Table"]
            except self.dynamodb.exceptions.ResourceNotFoundException:
                fail(
                    f"DynamoDB table {self.table} was not found, so the cache-aside module cannot be exercised "
                    "(prerequisite: dynamodb_table_exists).",
                    call="dynamodb.describe_table",
                    observed="ResourceNotFoundException",
                    expected=self.table,
                )
        partition, sort = actual_keys(self._table or {})
        assert partition is not None  # a table always has a partition key
        return partition, sort

    def _key_attributes(self, category: str, sku: str) -> dict[str, Any]:
        """The attributes that identify a scratch item: the contract's (category, sku under the lab's key names)
        and the table's real key attributes, whatever they are. The real partition value always carries the run's
        reserved prefix; a table whose keys cannot hold it, or that types a contract attribute other than a String,
        fails naming dynamodb_table_keys_match (nothing is written)."""
        spec = self.table_spec
        if spec.sort_key is None:
            not_applicable("the cache-aside contract needs a table with a partition key and a sort key")
        if spec.partition_key.type != "S" or spec.sort_key.type != "S":
            not_applicable("the grader's scratch items need string partition and sort keys")
        contract: dict[str, Any] = {spec.partition_key.name: category, spec.sort_key.name: sku}
        partition, sort = self._table_keys()
        problem = ""
        if partition.type != "S":
            problem = f"its partition key {partition.name} is not a String ({partition.type or 'type unknown'})"
        elif sort is not None and sort.name in contract and sort.type != "S":
            problem = f"its sort key {sort.name} is not a String ({sort.type or 'type unknown'})"
        if problem:
            fail(
                f"DynamoDB table {self.table}: {problem}, and the grader writes its scratch items only under its "
                "reserved String prefix with the contract's String category and sku, so the cache-aside module "
                "cannot be exercised (prerequisite: dynamodb_table_keys_match).",
                call="dynamodb.describe_table",
                observed=f"partition {partition.name} ({partition.type}), sort "
                + (f"{sort.name} ({sort.type})" if sort else "none"),
                expected=f"partition {spec.partition_key.name} (S), sort {spec.sort_key.name} (S)",
            )
        attributes = dict(contract)
        attributes.setdefault(partition.name, f"{category}:{sku}")
        if sort is not None and sort.name not in attributes:
            attributes[sort.name] = _scratch_value(sort.type or "S", sku)
        if not str(attributes[partition.name]).startswith(SCRATCH_PREFIX):
            raise ValueError(f"refusing to write outside the scratch partition: {attributes}")
        return attributes

    def table_key(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The item's key (AttributeValue form) under the table's real key schema."""
        return {key.name: to_attribute_value(attributes[key.name]) for key in self._table_keys() if key is not None}

    def scratch_key(self, purpose: str) -> tuple[str, str]:
        """(category, sku) of this check's scratch item (no item is written), unique per purpose under the table's
        real key schema, the real partition value under the run's reserved prefix."""
        base = self.scratch.partition_value("cache-aside")
        spec = self.table_spec
        partition, sort = self._table_keys()
        if partition.name != spec.partition_key.name:  # keyed on sku (swapped) or another attribute: sku carries it
            return base, f"{base}:CA-{purpose}"
        if sort is None or spec.sort_key is None or sort.name != spec.sort_key.name:  # no sku in the key
            return self.scratch.partition_value(f"cache-aside:CA-{purpose}"), f"CA-{purpose}"
        return base, f"CA-{purpose}"

    # --- scratch data -----------------------------------------------------------------------------------------

    def put_scratch_item(self, purpose: str) -> tuple[str, str, dict[str, Any]]:
        """Write a scratch item with the dataset's attribute shapes (the table's own type for an attribute it
        defines, so its indexes accept it); (category, sku, item as boto3's resource layer returns it). Deleted
        when the check ends."""
        category, sku = self.scratch_key(purpose)
        attributes = self._key_attributes(category, sku)
        values = scratch_values(self.table_spec)
        defined = attribute_types(self._table or {})
        for name, kind in defined.items():
            if name in values and next(iter(to_attribute_value(values[name]))) != kind:
                values[name] = _scratch_value(kind, f"labgrader scratch {name}")
        item = {**values, **attributes}
        self._items.append(self.table_key(attributes))  # recorded before the write: a Ctrl-C in between
        self._write_cut_short = True  # until the write returns
        self.dynamodb.put_item(TableName=self.table, Item={k: to_attribute_value(v) for k, v in item.items()})
        self._write_cut_short = False
        return category, sku, item

    def read_item(self, category: str, sku: str) -> dict[str, Any] | None:
        """The item as DynamoDB holds it now (consistent read by the grader), by the table's real key."""
        key = self.table_key(self._key_attributes(category, sku))
        found = self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return to_python(found) if found else None

    def forget(self, category: str, sku: str) -> str:
        """Delete the item's cache key (a clean cache state for the scenario); the key is removed again at the end."""
        key = self.key_for(category, sku)
        self._keys.add(key)
        self.redis.delete(key)
        return key

    def put_scratch_value(self, purpose: str, value: str, ttl_s: int = 600) -> str:
        """SET a scratch Redis key (the run's reserved prefix, a TTL as a safety net); removed when the check ends."""
        key = self.scratch.redis_key(purpose)
        self._keys.add(key)  # recorded before the write, as every scratch key
        self._write_cut_short = True
        self.redis.set(key, value, ex=ttl_s)
        self._write_cut_short = False
        return key

    def cleanup(self) -> None:
        """Delete the check's scratch items and keys, each read back; try them all, then raise: `error` naming
        every item or key left with the exact command that removes it, else the first error that kept the grader
        from looking (classified like any other: Redis gone → the grader could not reach it)."""
        problems: list[Exception] = []
        leftovers: list[str] = []
        if self._write_cut_short:
            # Delete now, then again once a write still in the server's hands has landed (it would recreate it).
            with contextlib.suppress(Exception):
                for key in self._items:
                    self.dynamodb.delete_item(TableName=self.table, Key=key)
                if self._keys:
                    self.redis.delete(*self._keys)
            time.sleep(WRITE_SETTLE_S)
            self._write_cut_short = False
        for key in self._items:
            command = delete_item_command(self.table, key)
            try:
                self.dynamodb.delete_item(TableName=self.table, Key=key)
                if "Item" in self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True):
                    leftovers.append(f"scratch item {key} is still in DynamoDB table {self.table}: {command}")
            except Exception as exc:  # noqa: BLE001 - report every leftover, then fail the teardown once
                leftovers.append(f"scratch item {key} could not be deleted ({exc}): {command}")
                problems.append(exc)
        if self._keys:
            keys = sorted(self._keys)
            try:
                self.redis.delete(*keys)
                left = [key for key in keys if self.redis.exists(key)]
            except Exception as exc:  # noqa: BLE001 - Redis gone or refusing: the keys may still be there
                quoted = " ".join(shlex.quote(key) for key in keys)
                detail = str(exc).strip().rstrip(".") or type(exc).__name__
                leftovers.append(
                    f"Redis key(s) {', '.join(keys)} could not be deleted or read back ({detail}): "
                    f'redis-cli -u "$REDIS_URL" DEL {quoted}'
                )
                problems.append(exc)
            else:
                if left:
                    quoted = " ".join(shlex.quote(key) for key in left)
                    leftovers.append(f'Redis key(s) still there: redis-cli -u "$REDIS_URL" DEL {quoted}')
        self._items.clear()
        self._keys.clear()
        if leftovers:
            could_not_look(f"The grader could not remove its scratch data; remove it with: {'; '.join(leftovers)}.")
        if problems:
            raise problems[0]

    # --- scenarios --------------------------------------------------------------------------------------------

    def environment(self, redis_url: str | None = None) -> dict[str, str]:
        endpoint = self.proxy.url if self.proxy is not None else NO_ENDPOINT
        return module_environment(
            self.target, self.table, redis_url or self.redis_url, endpoint, self.module_credentials
        )

    def run(
        self, steps: list[Step], *, module_redis_url: str | None = None, timeout_s: float | None = None
    ) -> ScenarioOutcome:
        request = ScenarioRequest(
            module=str(self.module()),
            env=self.environment(module_redis_url),
            steps=steps,
            timeout_s=timeout_s or self.spec.scenario_timeout_s,
            grader_redis_url=self.redis_url,
            dynamodb=self.proxy,
        )
        self._timeout_s = request.timeout_s
        return self.runner.run(request)

    def completed(self, outcome: ScenarioOutcome, expected: str) -> list[StepResult]:  # noqa: RET503 - fail() raises
        """The scenario's steps when it ran to the end; else the check's `fail` (or `error` for the grader's own
        problem) naming the step and the exception's last line. `expected` completes the sentence."""
        name = outcome.module
        extra: dict[str, Any] | None = {"output": outcome.output_tail[-500:]} if outcome.output_tail.strip() else None
        if extra is not None and outcome.output_bytes > OUTPUT_KEPT:
            extra["output_bytes"] = outcome.output_bytes
        if outcome.status == "ok":
            return list(outcome.steps)
        if outcome.status == "grader_error":
            could_not_look(f"The grader could not finish the cache-aside scenario: {outcome.error}.")
        if outcome.status == "import_error":
            fail(
                f"Cache-aside module {name}: importing it raised {outcome.error}; expected it to import with only "
                "the lab's environment (AWS_REGION, AWS_ENDPOINT_URL: the grader's endpoint, REDIS_URL, LAB_TABLE).",
                call=f"import {name}",
                observed=outcome.error,
                expected="a clean import",
                extra=extra,
                hint=Hint(
                    note=f"python -c 'import {Path(name).stem}' in the module's folder, with the lab's environment set"
                ),
            )
        if outcome.status == "missing_function":
            fail(
                f"Cache-aside module {name} has no function {outcome.error}; expected get_product(category, sku) "
                "and update_product(category, sku, changes).",
                call=f"import {name}",
                observed=f"missing {outcome.error}",
                expected="get_product, update_product",
                extra=extra,
            )
        step = outcome.last_step or "the scenario"
        if outcome.status == "timeout":
            timeout = f"{self._timeout_s:g} s"
            fail(
                f"Cache-aside module {name}: {step} did not return within {timeout}; expected {expected}.",
                call=step,
                observed=f"no answer within {timeout}",
                expected=expected,
                extra=extra,
                hint=Hint(
                    note="Give every Redis and DynamoDB client a timeout (socket_connect_timeout / socket_timeout, "
                    "botocore Config(connect_timeout=..., read_timeout=...)) and never wait without a bound."
                ),
            )
        if outcome.status == "crashed":
            fail(
                f"Cache-aside module {name}: {step} ended the Python process ({outcome.error}); expected {expected}.",
                call=step,
                observed=outcome.error,
                expected=expected,
                extra=extra,
            )
        if outcome.status == "protocol_error":
            fail(
                f"Cache-aside module {name}: during {step} {outcome.error}; expected {expected}, its answers "
                "left to the grader.",
                call=step,
                observed=outcome.error,
                expected=expected,
                extra=extra,
                hint="Never write to file descriptors the module did not open itself (the grader's channel is one).",
            )
        failed = outcome.steps[-1] if outcome.steps else None
        label = failed.label if failed else step
        fail(
            f"Cache-aside module {name}: {label} raised {outcome.error}; expected {expected}.",
            call=label,
            observed=outcome.error,
            expected=expected,
            extra=extra,
        )
