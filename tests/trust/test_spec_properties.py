"""Property-based tests over lab spec parsing: whatever the input, the loader returns a valid spec or raises the
one-line SpecError — never another exception, never a multi-line message."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labgrader import paths
from labgrader.spec import LabSpec, SpecError, load_spec, parse_spec

WEEK8: dict[str, Any] = tomllib.loads(paths.default_lab_spec().read_text(encoding="utf-8"))
FIELD_NAMES = sorted(
    {
        "lab",
        "name",
        "table",
        "type",
        "sort_key",
        "partition_key",
        "gsi",
        "lsi",
        "projection",
        "dynamodb",
        "elasticache",
        "redis",
        "keys",
        "ttl",
        "max_ttl",
        "checks",
        "points",
        "path",
        "view_type",
        "stream",
        "capacity",
        "modes",
        "port",
        "multi_az",
        "automatic_failover",
    }
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


def _outcome(data: object) -> LabSpec | str:
    """The spec, or the SpecError's text; any other exception escapes and fails the property."""
    try:
        return parse_spec(data, source="prop.toml", base_dir=paths.labs_dir())  # type: ignore[arg-type]
    except SpecError as exc:
        return str(exc)


def _parse(data: object) -> None:
    outcome = _outcome(data)
    if isinstance(outcome, str):
        assert "\n" not in outcome
        assert outcome.startswith("invalid lab spec prop.toml: ")
    else:
        assert isinstance(outcome, LabSpec)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_arbitrary_documents_only_raise_spec_error(data: dict[str, Any]) -> None:
    _parse(data)


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*prefix, index))
    return found


WEEK8_PATHS = _paths(WEEK8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(WEEK8_PATHS), values)
def test_one_field_of_the_real_spec_replaced_by_anything(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(WEEK8)
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    _parse(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_on_disk_only_raise_spec_error(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "lab.toml"
    path.write_bytes(blob)
    try:
        load_spec(path)
        message = ""
    except SpecError as exc:
        message = str(exc)
    assert "\n" not in message
