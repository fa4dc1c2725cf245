"""The lab spec: a TOML file loaded into a validated, immutable model.

Every section is optional: checks of a section the spec leaves out report `skip` ("not part of this lab").
An invalid spec raises `SpecError`, whose one-line text names the file, the field path and what is allowed.
"""

from __future__ import annotations

import difflib
import string
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from labgrader.batch_files import check_folder
from labgrader.engine.bounded import SPEC_LIMIT, BoundedReadError, read_text_bounded
from labgrader.engine.catalog import BY_ID

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
AttributeType = Literal["S", "N", "B"]
Scalar = str | int | float | bool
EvictionPolicy = Literal[
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
]
BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]
BILLING_MODES: tuple[BillingMode, ...] = ("PAY_PER_REQUEST", "PROVISIONED")
Engine = Literal["redis", "valkey"]
ENGINES: tuple[Engine, ...] = ("redis", "valkey")
Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]


class SpecError(Exception):
    """An invalid lab spec: one line naming the file, the field path and the fix."""

    def __init__(self, source: str, field: str, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        where = f"{field}: " if field else ""
        text = f"invalid lab spec {source}: {where}{message}"
        # One line, whatever the input held (a key or a file name may contain a line break).
        super().__init__(text.replace("\r", "\\r").replace("\n", "\\n"))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _resolve_path(value: Path | None, info: ValidationInfo) -> Path | None:
    """Relative paths in a spec are relative to the spec file's folder."""
    if value is None:
        return None
    base = (info.context or {}).get("base_dir")
    return value if value.is_absolute() or base is None else (Path(base) / value).resolve()


class KeyAttribute(_Model):
    name: Name
    type: AttributeType


class SecondaryIndex(_Model):
    name: Name
    partition_key: KeyAttribute | None = None
    sort_key: KeyAttribute | None = None
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"


class CapacitySpec(_Model):
    modes: list[BillingMode] = Field(default_factory=lambda: list(BILLING_MODES), min_length=1)
    min_units: int = Field(default=1, ge=1)
    max_read_units: int = Field(default=25, ge=1)
    max_write_units: int = Field(default=25, ge=1)

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Self:
        if self.min_units > min(self.max_read_units, self.max_write_units):
            raise ValueError("min_units is larger than max_read_units or max_write_units")
        return self


class TtlSpec(_Model):
    attribute: Name


class StreamSpec(_Model):
    view_type: Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


class DatasetSpec(_Model):
    path: Path
    categories: dict[str, Name] = Field(default_factory=dict, description="category → SKU prefix")
    items_per_category: int | None = Field(default=None, ge=1)
    attributes: dict[str, AttributeType] = Field(default_factory=dict)
    min_items_with_ttl: int = Field(default=0, ge=0)

    _resolve = field_validator("path")(_resolve_path)

    @field_validator("path")
    @classmethod
    def _exists(cls, value: Path) -> Path:
        if not value.is_dir() or not any(value.glob("*.json")):
            raise ValueError(f"no batch-write-item *.json files in folder {value}")
        check_folder(value)  # a folder holding other JSON is a spec error now, not a crash mid-grading
        return value


class ItemExpectation(_Model):
    key: dict[str, Scalar] = Field(min_length=1)
    attributes: dict[str, Scalar] = Field(min_length=1)


class ExercisesSpec(_Model):
    updated: list[ItemExpectation] = Field(default_factory=list)
    deleted: list[dict[str, Scalar]] = Field(default_factory=list)


class DynamoDBSpec(_Model):
    table: Name
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    gsi: list[SecondaryIndex] = Field(default_factory=list)
    lsi: list[SecondaryIndex] = Field(default_factory=list)
    capacity: CapacitySpec = Field(default_factory=CapacitySpec)
    ttl: TtlSpec | None = None
    stream: StreamSpec | None = None
    pitr: bool = Field(default=True, description="advisory: point-in-time recovery expected on")
    dataset: DatasetSpec | None = None
    exercises: ExercisesSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        key_names = {self.partition_key.name} | ({self.sort_key.name} if self.sort_key else set())
        types_seen: dict[str, str] = {}
        for label, attr in self.key_attributes():
            if types_seen.setdefault(attr.name, attr.type) != attr.type:
                raise ValueError(
                    f"{label} declares attribute {attr.name!r} as {attr.type}, "
                    f"but another key declares it as {types_seen[attr.name]}"
                )
        names = [index.name for index in [*self.gsi, *self.lsi]]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"index name {duplicates[0]!r} is used twice")
        for index in self.gsi:
            if index.partition_key is None:
                raise ValueError(f"gsi {index.name!r} needs a partition_key")
        if self.lsi and self.sort_key is None:
            raise ValueError("an LSI needs a table with a sort_key")
        for index in self.lsi:
            if index.sort_key is None:
                raise ValueError(f"lsi {index.name!r} needs a sort_key")
            if index.partition_key is not None and index.partition_key != self.partition_key:
                raise ValueError(f"lsi {index.name!r} must share the table's partition key")
        if self.exercises:
            for key in [*(u.key for u in self.exercises.updated), *self.exercises.deleted]:
                if set(key) != key_names:
                    raise ValueError(
                        f"exercise key {key} must name exactly the table's key attributes {sorted(key_names)}"
                    )
        return self

    def key_attributes(self) -> list[tuple[str, KeyAttribute]]:
        attrs = [("partition_key", self.partition_key)]
        if self.sort_key:
            attrs.append(("sort_key", self.sort_key))
        for kind, indexes in (("gsi", self.gsi), ("lsi", self.lsi)):
            for index in indexes:
                for part in (index.partition_key, index.sort_key):
                    if part is not None:
                        attrs.append((f"{kind} {index.name!r}", part))
        return attrs

    @property
    def key_names(self) -> list[str]:
        return [self.partition_key.name] + ([self.sort_key.name] if self.sort_key else [])


class ElastiCacheSpec(_Model):
    replication_group: Name
    engines: list[Engine] = Field(default_factory=lambda: list(ENGINES), min_length=1)
    node_type: Name = "cache.t4g.micro"
    min_replicas: int = Field(default=1, ge=0, le=5)
    automatic_failover: bool = True
    multi_az: bool = True
    cluster_mode: Literal["disabled", "enabled"] = "disabled"
    subnet_group: Name
    min_subnet_azs: int = Field(default=2, ge=1)
    security_group: Name
    app_security_group: Name | None = None
    port: int = Field(default=6379, ge=1, le=65535)
    parameter_group: Name | None = None
    parameter_group_families: list[Name] = Field(default_factory=lambda: ["redis7", "valkey7", "valkey8"])
    eviction_policy: EvictionPolicy = "allkeys-lru"
    snapshot_name: Name | None = None
    min_snapshot_retention_days: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.multi_az and not self.automatic_failover:
            raise ValueError("multi_az = true needs automatic_failover = true (AWS refuses Multi-AZ without it)")
        if self.automatic_failover and self.min_replicas < 1:
            raise ValueError("automatic_failover = true needs min_replicas >= 1 (failover needs a replica)")
        return self


class RedisKeySpec(_Model):
    name: Name
    value: str | None = None
    ttl: bool = False
    max_ttl: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ttl_bounds(self) -> Self:
        if self.max_ttl is not None and not self.ttl:
            raise ValueError(f"key {self.name!r}: max_ttl needs ttl = true")
        return self


class RedisSpec(_Model):
    keys: list[RedisKeySpec] = Field(default_factory=list)
    min_replicas: int = Field(default=1, ge=0)
    eviction_policy: EvictionPolicy | None = "allkeys-lru"
    persistence: Literal["rdb", "aof", "any"] | None = "rdb"


class CacheAsideSpec(_Model):
    solution: Path | None = None
    key_template: Name = "product:{category}:{sku}"
    max_ttl: int = Field(default=3600, ge=1)
    scenario_timeout_s: float = Field(default=10.0, gt=0, le=120)

    _resolve = field_validator("solution")(_resolve_path)


class LatencySpec(_Model):
    min_ratio: float = Field(default=3.0, ge=1.0)
    # latency_cache_hit_faster_than_miss: median(miss) / median(hit) at least this (a clear margin, not noise).
    min_hit_ratio: float = Field(default=2.0, ge=1.0)
    rounds: int = Field(default=200, ge=5, le=100_000)


class CleanupSpec(_Model):
    tag_key: Name = "lab"
    tag_value: Name | None = None


class CheckOverride(_Model):
    points: float | None = Field(default=None, ge=0)
    required: bool | None = None
    visibility: Visibility | None = None


class LabInfo(_Model):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    title: str = ""
    region: Name | None = None


class LabSpec(_Model):
    lab: LabInfo
    dynamodb: DynamoDBSpec | None = None
    elasticache: ElastiCacheSpec | None = None
    redis: RedisSpec | None = None
    cache_aside: CacheAsideSpec | None = None
    latency: LatencySpec | None = None
    cleanup: CleanupSpec | None = None
    checks: dict[str, CheckOverride] = Field(default_factory=dict)

    @field_validator("checks")
    @classmethod
    def _known_ids(cls, value: dict[str, CheckOverride]) -> dict[str, CheckOverride]:
        for check_id in value:
            if check_id not in BY_ID:
                close = difflib.get_close_matches(check_id, list(BY_ID), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ValueError(f"unknown check ID {check_id!r}{hint}")
        return value

    @model_validator(mode="after")
    def _sections_fit(self) -> Self:
        for section, needs in (("cache_aside", ("dynamodb", "redis")), ("latency", ("dynamodb", "redis"))):
            if getattr(self, section) is not None:
                missing = [n for n in needs if getattr(self, n) is None]
                if missing:
                    raise ValueError(f"section [{section}] needs section [{missing[0]}] too")
        if self.cache_aside is not None and self.dynamodb is not None:
            fields = {
                name
                for _text, name, _spec, _conv in string.Formatter().parse(self.cache_aside.key_template)
                if name is not None
            }
            unknown = sorted(fields - set(self.dynamodb.key_names))
            if unknown:
                raise ValueError(
                    f"cache_aside.key_template uses {{{unknown[0]}}}; it may use only the table's key attributes "
                    f"{sorted(self.dynamodb.key_names)}"
                )
        return self

    def has_section(self, section: str) -> bool:
        return getattr(self, section, None) is not None

    @property
    def cleanup_tag(self) -> tuple[str, str]:
        cleanup = self.cleanup or CleanupSpec()
        return cleanup.tag_key, cleanup.tag_value or self.lab.name


def load_spec(path: Path | str) -> LabSpec:
    """Read and validate a lab spec; raise `SpecError` with one line on any problem."""
    path = Path(path)
    source = str(path)
    try:
        text = read_text_bounded(path, SPEC_LIMIT)
    except BoundedReadError as exc:
        raise SpecError(source, "", f"cannot read the file ({exc.reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(source, "", f"not valid TOML: {exc}") from None
    return parse_spec(data, source=source, base_dir=path.resolve().parent)


def parse_spec(data: dict[str, Any], *, source: str = "<spec>", base_dir: Path | None = None) -> LabSpec:
    try:
        return LabSpec.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise _first_error(exc, source) from None


def _first_error(exc: ValidationError, source: str) -> SpecError:
    # An unknown field usually explains a "missing" one next to it (a typo): report the unknown one first.
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    field = _format_loc(loc)
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        message = "unknown field" + (f"; did you mean {close[0]}?" if close else "")
        message += f" (allowed: {', '.join(allowed)})" if allowed else ""
    elif first["type"] == "missing":
        message = "required field is missing"
    elif "input" in first and first["type"] not in {"value_error", "assertion_error"}:
        message += f" (got {first['input']!r})"
    if len(errors) > 1:
        message += f" [+{len(errors) - 1} more]"
    return SpecError(source, field, message)


def _format_loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).replace("_", "a").replace("-", "a").isalnum():
            text += f"[{str(part)!r}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    """The field names a model at `loc` accepts, to list them when an unknown one is given."""
    model: Any = LabSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    return sorted(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
