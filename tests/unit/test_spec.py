"""Lab spec validation: every invalid spec is one line naming the field path and what is allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.spec import SpecError, load_spec

# Written to a temporary folder, so the dataset path must not be relative to fixtures/labs.
WEEK8 = (
    paths.default_lab_spec()
    .read_text(encoding="utf-8")
    .replace('path = "../data/batch"', f'path = "{paths.fixtures_dir() / "data" / "batch"}"')
)


def _edit(old: str, new: str) -> str:
    assert old in WEEK8, old
    return WEEK8.replace(old, new, 1)


# (name, spec text, field path the error must name, words the error must contain)
MALFORMED = [
    ("toml syntax", "[lab\nname = 'x'", "", "not valid TOML"),
    ("missing lab section", "[dynamodb]\ntable = 'T'\npartition_key = {name='a', type='S'}\n", "lab", "required"),
    (
        "bad key type",
        _edit('sort_key = { name = "sku", type = "S" }', 'sort_key = { name = "sku", type = "X" }'),
        "dynamodb.sort_key.type",
        "'S', 'N' or 'B'",
    ),
    ("bad projection", _edit('projection = "ALL"', 'projection = "all"'), "dynamodb.gsi[0].projection", "'all'"),
    ("typo field", _edit('table = "LabProducts"', 'tabel = "LabProducts"'), "dynamodb.tabel", "did you mean table"),
    (
        "bad view type",
        _edit('view_type = "NEW_AND_OLD_IMAGES"', 'view_type = "BOTH"'),
        "dynamodb.stream.view_type",
        "NEW_AND_OLD_IMAGES",
    ),
    (
        "multi-az without failover",
        _edit("automatic_failover = true", "automatic_failover = false"),
        "elasticache",
        "multi_az = true needs automatic_failover",
    ),
    ("negative port", _edit("port = 6379", "port = -1"), "elasticache.port", "greater than or equal to 1"),
    (
        "unknown eviction policy",
        _edit('eviction_policy = "allkeys-lru"\nsnapshot_name', 'eviction_policy = "lru"\nsnapshot_name'),
        "elasticache.eviction_policy",
        "allkeys-lru",
    ),
    ("latency ratio below 1", _edit("min_ratio = 3.0", "min_ratio = 0.5"), "latency.min_ratio", "1"),
    (
        "unknown check override",
        WEEK8 + "\n[checks.dynamodb_ttl_enable]\npoints = 3\n",
        "checks",
        "did you mean dynamodb_ttl_enabled",
    ),
    (
        "max_ttl without ttl",
        _edit('{ name = "lab:hello", value = "world" }', '{ name = "lab:hello", value = "world", max_ttl = 5 }'),
        "redis.keys[0]",
        "max_ttl needs ttl = true",
    ),
    (
        "dataset folder missing",
        _edit(f'path = "{paths.fixtures_dir() / "data" / "batch"}"', 'path = "../data/nowhere"'),
        "dynamodb.dataset.path",
        "no batch-write-item",
    ),
    (
        "lsi with another partition key",
        _edit(
            'name = "category-rating-index"\n',
            'name = "category-rating-index"\npartition_key = { name = "brand", type = "S" }\n',
        ),
        "dynamodb",
        "must share the table's partition key",
    ),
    (
        "type conflict between keys",
        _edit('sort_key = { name = "price", type = "N" }', 'sort_key = { name = "sku", type = "N" }'),
        "dynamodb",
        "declares attribute 'sku' as N",
    ),
    (
        "key template with an unknown field",
        _edit('key_template = "product:{category}:{sku}"', 'key_template = "product:{id}"'),
        "",
        "may use only the table's key attributes",
    ),
    (
        "cache_aside without redis",
        "[lab]\nname='x'\n[dynamodb]\ntable='T'\npartition_key={name='a',type='S'}\n[cache_aside]\n",
        "",
        "needs section [redis]",
    ),
]


@pytest.mark.parametrize(("name", "text", "field", "words"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_specs_name_the_field(tmp_path: Path, name: str, text: str, field: str, words: str) -> None:
    path = tmp_path / "lab.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"invalid lab spec {path}: ")
    if field:
        assert f": {field}: " in line
    assert words in line


def test_both_shipped_specs_load() -> None:
    week8 = load_spec(paths.labs_dir() / "week8.toml")
    music = load_spec(paths.labs_dir() / "fcj-music.toml")
    assert week8.dynamodb is not None
    assert week8.dynamodb.dataset is not None
    assert week8.dynamodb.dataset.path == paths.fixtures_dir() / "data" / "batch"
    assert [g.name for g in week8.dynamodb.gsi] == ["brand-price-index"]
    assert music.elasticache is None
    assert music.has_section("dynamodb")
    assert not music.has_section("redis")


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"cannot read the file"):
        load_spec(tmp_path / "absent.toml")


@pytest.mark.parametrize("case", ["bad key type", "typo field", "unknown check override", "toml syntax"])
def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path, case: str) -> None:
    text = next(m[1] for m in MALFORMED if m[0] == case)
    path = tmp_path / "lab.toml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", "grade", "--target", "local", "--lab", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "invalid lab spec" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
