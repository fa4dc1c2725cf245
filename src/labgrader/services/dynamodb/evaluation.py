"""Evaluating DynamoDB API answers against the lab spec: an API answer and the spec in, findings out.

Pure functions (no client, no endpoint): unit-tested in tests/services/test_dynamodb*.py with answers shaped like
the AWS API reference.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from labgrader.dataset import Key, key_of, to_python
from labgrader.spec import CapacitySpec, DynamoDBSpec, KeyAttribute, SecondaryIndex

TYPE_NAMES = {
    "S": "a String",
    "N": "a Number",
    "B": "a Binary",
    "BOOL": "a Boolean",
    "NULL": "a Null",
    "M": "a Map",
    "L": "a List",
    "SS": "a String Set",
    "NS": "a Number Set",
    "BS": "a Binary Set",
}
# Epoch seconds between 2001-09-09 and 2286-11-20: what DynamoDB TTL reads as a time. Milliseconds (13 digits) or
# a relative duration (3600) are Numbers too, but TTL then never (or at once) expires the item.
EPOCH_SECONDS_MIN = 1_000_000_000
EPOCH_SECONDS_MAX = 9_999_999_999
GSI_PENDING_STATUSES = ("CREATING",)
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "ResourceNotFound", "TableNotFoundException"})


# --- table and primary key --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableKey:
    """A key attribute as DescribeTable shows it: the name exactly as AWS returns it, and its type from the
    table's AttributeDefinitions (None when the answer declares none: unknown, never assumed)."""

    name: str
    type: str | None


def describe_key(attr: KeyAttribute | TableKey | None) -> str:
    if attr is None:
        return "none"
    return f"{attr.name} ({attr.type or 'type unknown: no attribute definition'})"


def attribute_types(description: Mapping[str, Any]) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}


def _keys_of_schema(schema: Iterable[Mapping[str, str]], types: Mapping[str, str]) -> dict[str, TableKey]:
    found: dict[str, TableKey] = {}
    for element in schema:
        name = str(element["AttributeName"])
        found[element["KeyType"]] = TableKey(name, types.get(name))
    return found


def actual_keys(description: Mapping[str, Any]) -> tuple[TableKey | None, TableKey | None]:
    """The table's (partition, sort) key with their attribute types, from DescribeTable."""
    found = _keys_of_schema(description.get("KeySchema", []), attribute_types(description))
    return found.get("HASH"), found.get("RANGE")


def actual_key_names(description: Mapping[str, Any]) -> list[str]:
    """The table's key attribute names, partition first: what its items are addressed by."""
    return [key.name for key in actual_keys(description) if key is not None]


def _same_key(found: TableKey | None, wanted: KeyAttribute | None) -> bool:
    if found is None or wanted is None:
        return found is None and wanted is None
    return found.name == wanted.name and found.type == wanted.type


def _key_problems(
    owner: str,
    actual: tuple[TableKey | None, TableKey | None],
    expected: tuple[KeyAttribute | None, KeyAttribute | None],
) -> list[str]:
    problems = []
    for role, found, wanted in zip(("partition key", "sort key"), actual, expected, strict=True):
        if _same_key(found, wanted):
            continue
        if found is not None and wanted is not None and found.name == wanted.name:
            if found.type is None:
                problems.append(
                    f"{owner}{role} {found.name} has no attribute definition (type unknown), expected {wanted.type}"
                )
            else:
                problems.append(f"{owner}{role} {found.name} has type {found.type}, expected {wanted.type}")
        else:
            problems.append(f"{owner}{role} is {describe_key(found)}, expected {describe_key(wanted)}")
    return problems


def key_schema_mismatches(description: Mapping[str, Any], spec: DynamoDBSpec) -> list[str]:
    """One phrase per difference between the table's primary key and the spec's (names compared exactly)."""
    return _key_problems("", actual_keys(description), (spec.partition_key, spec.sort_key))


def near_matches(wanted: str, names: list[str]) -> list[str]:
    """Table names a student may have meant: same name in another case, or a close spelling."""
    same_case = [n for n in names if n.lower() == wanted.lower() and n != wanted]
    close = difflib.get_close_matches(wanted, [n for n in names if n not in same_case], n=3, cutoff=0.75)
    return same_case + close


def format_key(key: Key) -> str:
    """`books/BK-0007`: a key tuple as messages show it."""
    return "/".join(str(part) for part in key)


def sample(keys: Iterable[Key], limit: int = 3) -> str:
    """`books/BK-0001, books/BK-0002 and 5 more`."""
    ordered = sorted(keys, key=lambda k: tuple(str(p) for p in k))
    shown = ", ".join(format_key(k) for k in ordered[:limit])
    return shown + (f" and {len(ordered) - limit} more" if len(ordered) > limit else "")


# --- secondary indexes ------------------------------------------------------------------------------------------

IndexKind = Literal["GSI", "LSI"]
_INDEX_FIELD: dict[IndexKind, str] = {"GSI": "GlobalSecondaryIndexes", "LSI": "LocalSecondaryIndexes"}


@dataclass(frozen=True)
class IndexFinding:
    """How one index of the spec compares with DescribeTable."""

    name: str
    kind: IndexKind
    state: Literal["ok", "missing", "mismatch", "pending"]
    problems: tuple[str, ...] = ()
    observed: str = "missing"
    # When missing: the same name under the other kind (a GSI made where the lab wants an LSI, or the reverse).
    other_kind: bool = False


def find_index(description: Mapping[str, Any], kind: IndexKind, name: str) -> dict[str, Any] | None:
    for index in description.get(_INDEX_FIELD[kind]) or []:
        if index.get("IndexName") == name:
            found: dict[str, Any] = index
            return found
    return None


def describe_index(index: Mapping[str, Any], types: Mapping[str, str]) -> str:
    """`brand (S) HASH, price (N) RANGE, projection ALL, ACTIVE`."""
    keys = _keys_of_schema(index.get("KeySchema", []), types)
    parts = [f"{describe_key(keys.get(role))} {role}" for role in ("HASH", "RANGE") if role in keys]
    parts.append(f"projection {(index.get('Projection') or {}).get('ProjectionType', '?')}")
    if "IndexStatus" in index:
        parts.append(str(index["IndexStatus"]) + (" (backfilling)" if index.get("Backfilling") else ""))
    return ", ".join(parts)


def expected_index(spec: DynamoDBSpec, index: SecondaryIndex) -> str:
    partition = index.partition_key or spec.partition_key
    parts = [f"{describe_key(partition)} HASH"]
    if index.sort_key is not None:
        parts.append(f"{describe_key(index.sort_key)} RANGE")
    parts.append(f"projection {index.projection}")
    return ", ".join(parts)


def index_finding(
    description: Mapping[str, Any], spec: DynamoDBSpec, index: SecondaryIndex, kind: IndexKind
) -> IndexFinding:
    """Compare one index of the spec with DescribeTable: missing, wrong keys/projection, still creating, or ok.

    A wrong key or projection is a `mismatch` even while the index is CREATING: it will not fix itself.
    """
    found = find_index(description, kind, index.name)
    if found is None:
        other: IndexKind = "LSI" if kind == "GSI" else "GSI"
        return IndexFinding(
            index.name, kind, "missing", other_kind=find_index(description, other, index.name) is not None
        )
    types = attribute_types(description)
    keys = _keys_of_schema(found.get("KeySchema", []), types)
    problems = _key_problems(
        "", (keys.get("HASH"), keys.get("RANGE")), (index.partition_key or spec.partition_key, index.sort_key)
    )
    projection = (found.get("Projection") or {}).get("ProjectionType")
    if projection != index.projection:
        problems.append(f"projection is {projection}, expected {index.projection}")
    status = found.get("IndexStatus")
    if status == "DELETING":
        problems.append("it is being deleted")
    observed = describe_index(found, types)
    if problems:
        return IndexFinding(index.name, kind, "mismatch", tuple(problems), observed)
    if status in GSI_PENDING_STATUSES or found.get("Backfilling"):
        return IndexFinding(index.name, kind, "pending", (), observed)
    return IndexFinding(index.name, kind, "ok", (), observed)


# --- capacity ---------------------------------------------------------------------------------------------------


def billing_mode(description: Mapping[str, Any]) -> str:
    """PAY_PER_REQUEST or PROVISIONED; a missing BillingModeSummary means PROVISIONED (tables created before it)."""
    return str((description.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED")


@dataclass(frozen=True)
class CapacityFinding:
    mode: str
    problems: tuple[str, ...]
    observed: str
    # Provisioned units per owner ("table", "GSI brand-price-index"): (read, write).
    units: tuple[tuple[str, int, int], ...] = ()


def capacity_finding(description: Mapping[str, Any], capacity: CapacitySpec) -> CapacityFinding:
    """Billing mode allowed by the lab; when provisioned, every owner ≥ min_units and the table plus its GSIs
    within max (the free tier counts a table's and its GSIs' units together)."""
    mode = billing_mode(description)
    wrong_mode = f"billing mode is {mode}, expected {' or '.join(capacity.modes)}"
    if mode == "PAY_PER_REQUEST":
        return CapacityFinding(mode, () if mode in capacity.modes else (wrong_mode,), "PAY_PER_REQUEST (on-demand)")
    owners = [("table", description.get("ProvisionedThroughput") or {})]
    owners += [
        (f"GSI {index.get('IndexName')}", index.get("ProvisionedThroughput") or {})
        for index in description.get("GlobalSecondaryIndexes") or []
    ]
    units = tuple(
        (owner, int(throughput.get("ReadCapacityUnits", 0)), int(throughput.get("WriteCapacityUnits", 0)))
        for owner, throughput in owners
    )
    read_total = sum(u[1] for u in units)
    write_total = sum(u[2] for u in units)
    detail = " + ".join(f"{owner} {read}/{write}" for owner, read, write in units)
    observed = f"PROVISIONED, RCU/WCU {detail} = {read_total}/{write_total}"
    problems: list[str] = []
    if mode not in capacity.modes:
        problems.append(wrong_mode)
    else:
        for owner, read, write in units:
            for label, value in (("RCU", read), ("WCU", write)):
                if value < capacity.min_units:
                    problems.append(f"{owner} has {value} {label}, below the lab's minimum of {capacity.min_units}")
        for label, total, limit in (
            ("RCU", read_total, capacity.max_read_units),
            ("WCU", write_total, capacity.max_write_units),
        ):
            if total > limit:
                problems.append(f"{detail} provisions {total} {label} in total, above the lab's {limit}")
    return CapacityFinding(mode, tuple(problems), observed, units)


# --- TTL and item shapes ----------------------------------------------------------------------------------------


def attribute_type(value: Mapping[str, Any]) -> str:
    """The DynamoDB type of one AttributeValue (`{"N": "1"}` → "N")."""
    return next(iter(value), "?")


def type_name(type_code: str) -> str:
    return TYPE_NAMES.get(type_code, type_code)


def epoch_seconds_problem(value: Mapping[str, Any]) -> str | None:
    """Why an AttributeValue is not what DynamoDB TTL expires (a Number of epoch seconds), or None when it is."""
    kind = attribute_type(value)
    if kind != "N":
        return f"{type_name(kind)} ({_shown(value)})"
    try:
        number = Decimal(str(value["N"]))
    except (InvalidOperation, KeyError):
        return f"an unreadable Number ({_shown(value)})"
    if number > EPOCH_SECONDS_MAX:
        return f"{number}, which looks like epoch milliseconds, not seconds"
    if number < EPOCH_SECONDS_MIN:
        return f"{number}, which is not an epoch time in seconds"
    return None


def _shown(value: Mapping[str, Any]) -> str:
    raw = next(iter(value.values()), "")
    text = repr(raw) if isinstance(raw, str) else str(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def ttl_value_problems(items: Iterable[Mapping[str, Any]], attribute: str, key_names: list[str]) -> dict[Key, str]:
    """Items carrying the TTL attribute as something other than Number epoch seconds, with why."""
    problems = {}
    for item in items:
        if attribute in item:
            problem = epoch_seconds_problem(item[attribute])
            if problem is not None:
                problems[item_key(item, key_names)] = problem
    return problems


def item_key(item: Mapping[str, Any], key_names: list[str]) -> Key:
    """The key tuple (Python form) of an item in AttributeValue form."""
    return key_of(to_python({n: item[n] for n in key_names if n in item}), key_names)


def item_type_problems(
    items: Iterable[Mapping[str, Any]], attributes: Mapping[str, str], key_names: list[str]
) -> dict[Key, list[str]]:
    """Per item, each dataset attribute that is missing or of another type than the spec's."""
    problems: dict[Key, list[str]] = {}
    for item in items:
        found = []
        for name, wanted in attributes.items():
            if name not in item:
                found.append(f"{name} missing")
            elif attribute_type(item[name]) != wanted:
                found.append(f"{name} is {type_name(attribute_type(item[name]))}, expected {type_name(wanted)}")
        if found:
            problems[item_key(item, key_names)] = found
    return problems


@dataclass(frozen=True)
class TableAsItIs:
    """The table's items as the data checks judge them: the well-formed ones (the lab's key attributes present,
    the dataset's attributes of the lab's types) by the lab's identity, Python form; the others set aside (their
    shape is dynamodb_items_well_formed's to judge, not every check's)."""

    key_names: tuple[str, ...]
    items: dict[Key, dict[str, Any]]
    others: tuple[dict[str, Any], ...] = ()

    @property
    def ignored(self) -> set[Key]:
        return {key_of(item, list(self.key_names)) for item in self.others}


def table_as_it_is(spec: DynamoDBSpec, items: Iterable[Mapping[str, Any]]) -> TableAsItIs:
    """Split the table's items (AttributeValue form, scratch items already left out) into well-formed and others."""
    attributes = spec.dataset.attributes if spec.dataset is not None else {}
    good: dict[Key, dict[str, Any]] = {}
    others: list[dict[str, Any]] = []
    for item in items:
        formed = all(name in item for name in spec.key_names) and all(
            name in item and attribute_type(item[name]) == kind for name, kind in attributes.items()
        )
        python = to_python(dict(item))
        if formed:
            good[key_of(python, spec.key_names)] = python
        else:
            others.append(python)
    return TableAsItIs(tuple(spec.key_names), good, tuple(others))


# --- exercises --------------------------------------------------------------------------------------------------


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"{value!r} (a String)"
    if isinstance(value, bool):
        return f"{value} (a Boolean)"
    if isinstance(value, Decimal | int | float):
        return f"{value}"
    return repr(value)


def exercise_mismatches(
    spec: DynamoDBSpec,
    current: Mapping[Key, dict[str, Any] | None],
    updated: Mapping[Key, dict[str, Any]],
    deleted: Iterable[Key],
) -> list[str]:
    """One phrase per exercise whose end state is not in the table.

    current: key → the item now (Python form) or None; updated: key → the attribute values the exercise sets
    (Python form); deleted: keys the exercise deletes.
    """
    problems = []
    for key, attributes in updated.items():
        item = current.get(key)
        if item is None:
            problems.append(f"{format_key(key)} is missing, expected it with {_attrs(attributes)}")
            continue
        for name, wanted in attributes.items():
            got = item.get(name)
            if not _same(got, wanted):
                problems.append(
                    f"{format_key(key)} has {name} {describe_value(got)}, expected {describe_value(wanted)}"
                )
    problems.extend(
        f"{format_key(key)} still exists, expected it deleted" for key in deleted if current.get(key) is not None
    )
    return problems


def _same(got: Any, wanted: Any) -> bool:
    if isinstance(wanted, Decimal) and not isinstance(got, Decimal):
        return False
    return bool(got == wanted) and type(got) is type(wanted)


def _attrs(attributes: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {describe_value(value)}" for name, value in attributes.items())


# --- expected results of the data checks, from the shipped dataset ----------------------------------------------


def sort_token(value: Any) -> Any:
    """How DynamoDB orders a key value: Numbers numerically, Strings and Binaries by their bytes."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(getattr(value, "value", value))


@dataclass(frozen=True)
class KeyQuery:
    """A Query whose exact answer the dataset predicts: partition = value [AND sort BETWEEN low AND high]."""

    partition_name: str
    partition_value: Any
    sort_name: str | None
    low: Any
    high: Any
    expected: tuple[Key, ...]  # in the order DynamoDB returns them (ascending sort key)


def between_query(
    expected_items: Mapping[Key, dict[str, Any]],
    *,
    partition_name: str,
    partition_value: Any,
    sort_name: str | None,
    key_names: list[str],
    ignored: set[Key],
) -> KeyQuery:
    """A Query on one partition value with a BETWEEN on the middle third of its sort values (all items when
    there is no sort key), the items `ignored` (touched by exercises) left out."""
    matching = [
        item
        for key, item in expected_items.items()
        if key not in ignored and item.get(partition_name) == partition_value
    ]
    if sort_name is None:
        keys = tuple(sorted((key_of(i, key_names) for i in matching), key=lambda k: [sort_token(p) for p in k]))
        return KeyQuery(partition_name, partition_value, None, None, None, keys)
    ordered = sorted(
        (i for i in matching if sort_name in i), key=lambda i: (sort_token(i[sort_name]), _key_token(i, key_names))
    )
    if not ordered:
        return KeyQuery(partition_name, partition_value, sort_name, None, None, ())
    third = len(ordered) // 3
    low, high = ordered[third][sort_name], ordered[len(ordered) - 1 - third][sort_name]
    chosen = tuple(
        key_of(i, key_names) for i in ordered if sort_token(low) <= sort_token(i[sort_name]) <= sort_token(high)
    )
    return KeyQuery(partition_name, partition_value, sort_name, low, high, chosen)


def _key_token(item: Mapping[str, Any], key_names: list[str]) -> list[Any]:
    return [sort_token(item[name]) for name in key_names if name in item]


def most_common_value(expected_items: Mapping[Key, dict[str, Any]], attribute: str, ignored: set[Key]) -> Any:
    """The value of `attribute` most items share (ties: the smallest), to query an index on it."""
    counts: dict[Any, int] = {}
    for key, item in expected_items.items():
        if key not in ignored and attribute in item:
            counts[item[attribute]] = counts.get(item[attribute], 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda value: (-counts[value], sort_token(value)))


def median_value(values: Iterable[Any]) -> Any:
    """The lower median in DynamoDB's order, or None for no values."""
    ordered = sorted(values, key=sort_token)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def returned_keys(items: Iterable[Mapping[str, Any]], key_names: list[str]) -> list[Key]:
    return [item_key(item, key_names) for item in items]


def key_set_difference(
    returned: Iterable[Key], expected: Iterable[Key], ignored: set[Key]
) -> tuple[set[Key], set[Key]]:
    """(expected keys that did not come back, keys that came back unexpectedly), exercise keys ignored."""
    got = {k for k in returned if k not in ignored}
    wanted = {k for k in expected if k not in ignored}
    return wanted - got, got - wanted


def is_ascending(values: list[Any]) -> bool:
    tokens = [sort_token(v) for v in values]
    return all(a <= b for a, b in itertools.pairwise(tokens))


def key_part(item: Mapping[str, Any], key_names: Iterable[str]) -> dict[str, Any]:
    return {name: item[name] for name in key_names}


# --- streams ----------------------------------------------------------------------------------------------------

VIEW_IMAGES: dict[str, tuple[bool, bool]] = {
    # view type → (records carry NewImage, records carry OldImage), for a MODIFY record
    "KEYS_ONLY": (False, False),
    "NEW_IMAGE": (True, False),
    "OLD_IMAGE": (False, True),
    "NEW_AND_OLD_IMAGES": (True, True),
}


def stream_record_problems(
    record: Mapping[str, Any],
    view_type: str,
    keys: Mapping[str, Any],
    new_image: Mapping[str, Any] | None,
    old_image: Mapping[str, Any] | None,
) -> list[str]:
    """What a stream record lacks or carries against the lab's view type (a MODIFY record: both images exist)."""
    data = record.get("dynamodb") or {}
    problems = []
    if data.get("Keys") != keys:
        problems.append(f"its Keys are {data.get('Keys')}, expected {dict(keys)}")
    if data.get("StreamViewType") not in (None, view_type):
        problems.append(f"its StreamViewType is {data.get('StreamViewType')}, expected {view_type}")
    wants_new, wants_old = VIEW_IMAGES[view_type]
    for label, wanted, image, expected in (
        ("NewImage", wants_new, data.get("NewImage"), new_image),
        ("OldImage", wants_old, data.get("OldImage"), old_image),
    ):
        if wanted and image is None:
            problems.append(f"it has no {label}")
        elif wanted and expected is not None and image != expected:
            problems.append(f"its {label} differs from the item written")
        elif not wanted and image is not None:
            problems.append(f"it carries a {label}, which {view_type} does not")
    return problems
