"""The student's module environment, the scratch items and cache keys of the cache-aside harness (no endpoint)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from labgrader import paths
from labgrader.cacheaside.harness import (
    CacheAsideHarness,
    closed_redis_url,
    module_environment,
    scratch_attribute_types,
    scratch_values,
)
from labgrader.cacheaside.runner import ScenarioRunner
from labgrader.engine.scratch import SCRATCH_PREFIX, Scratch
from labgrader.engine.verdict import CheckFailed
from labgrader.spec import LabSpec, load_spec
from labgrader.targets.base import Target
from tests.conftest import replace_section

SANDBOX = Target(
    name="local",
    region="us-east-1",
    region_source="sandbox",
    endpoint_url="http://127.0.0.1:4566",
    static_credentials=("labgrader", "labgrader"),
    redis_url="redis://127.0.0.1:6390/0",
)
AWS = Target(name="aws", region="eu-west-1", region_source="--region", profile="student")
ENDPOINT = "http://127.0.0.1:41234"
THROWAWAY = ("LGTHROWAWAY0123456789", "throwaway-secret")
ALLOWED = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_EC2_METADATA_DISABLED",
    "REDIS_URL",
    "LAB_TABLE",
    "LANG",
}


@pytest.fixture(scope="module")
def week8() -> LabSpec:
    return load_spec(paths.default_lab_spec())


@pytest.mark.parametrize("target", [SANDBOX, AWS], ids=["local", "aws"])
def test_the_module_environment_is_an_allow_list_with_the_graders_endpoint_and_throwaway_keys(target: Target):
    env = module_environment(target, "LabProducts", "rediss://:lab-pass@lab-redis:6379/0", ENDPOINT, THROWAWAY)
    assert set(env) == ALLOWED
    assert env["AWS_ENDPOINT_URL"] == ENDPOINT  # the grader's endpoint, never the real one
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == THROWAWAY
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == target.region
    assert env["REDIS_URL"] == "rediss://:lab-pass@lab-redis:6379/0"  # the lab's own Redis, password and all
    assert env["LAB_TABLE"] == "LabProducts"
    assert "labgrader" not in env.values()  # not even the sandbox's fixed keys


def test_the_graders_own_environment_never_reaches_the_module(monkeypatch: pytest.MonkeyPatch):
    planted = {
        "GITHUB_TOKEN": "ghp_planted",
        "AWS_SESSION_TOKEN": "planted-session",
        "AWS_ACCESS_KEY_ID": "AKIAPLANTED",
        "AWS_PROFILE": "grader",
        "REDIS_PASSWORD": "planted-redis",
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    env = module_environment(AWS, "LabProducts", "redis://r:6379/0", ENDPOINT, THROWAWAY)
    assert not set(planted.values()) & set(env.values())
    assert "AWS_PROFILE" not in env


def test_scratch_items_carry_the_dataset_shapes(week8: LabSpec):
    assert week8.dynamodb is not None
    assert scratch_attribute_types(week8.dynamodb) == {
        "name": "S",
        "brand": "S",
        "price": "N",
        "rating": "N",
        "stock": "N",
    }
    item = scratch_values(week8.dynamodb, now=1_000_000)
    assert item == {
        "price": Decimal("24.99"),
        "name": "labgrader scratch name",
        "brand": "labgrader scratch brand",
        "rating": Decimal("4.5"),
        "stock": Decimal("7"),
        "expires_at": Decimal(1_000_000 + 3600),  # an hour ahead, as the README says
    }


def test_a_table_without_a_dataset_gets_default_and_index_attributes(week8: LabSpec):
    bare = replace_section(week8, "dynamodb", dataset=None, ttl=None)
    assert bare.dynamodb is not None
    assert scratch_attribute_types(bare.dynamodb) == {"name": "S", "price": "N", "brand": "S", "rating": "N"}
    assert set(scratch_values(bare.dynamodb)) == {"name", "price", "brand", "rating"}


def _harness(spec: LabSpec, solution: Path | None) -> CacheAsideHarness:
    nothing: Any = None
    return CacheAsideHarness(
        lab=spec,
        target=SANDBOX,
        solution=solution,
        runner=ScenarioRunner(),
        dynamodb=nothing,
        redis=nothing,
        redis_url="redis://127.0.0.1:6390/0",
        scratch=Scratch("abcd1234"),
    )


def test_cache_keys_follow_the_spec_template(week8: LabSpec):
    harness = _harness(week8, None)
    category, sku = harness.scratch_key("MISS")
    assert category == f"{SCRATCH_PREFIX}abcd1234#cache-aside"
    assert sku == "CA-MISS"
    assert harness.key_for(category, sku) == f"product:{SCRATCH_PREFIX}abcd1234#cache-aside:CA-MISS"
    other = replace_section(week8, "cache_aside", key_template="shop:{sku}@{category}")
    assert _harness(other, None).key_for("books", "BK-1") == "shop:BK-1@books"


def test_no_module_is_the_students_fail_with_the_way_to_pass(week8: LabSpec, tmp_path: Path):
    with pytest.raises(CheckFailed, match="No cache-aside module to grade") as failed:
        _harness(week8, None).module()
    assert failed.value.hint is not None
    assert "--solution" in failed.value.hint.text()
    with pytest.raises(CheckFailed, match="does not exist"):
        _harness(week8, tmp_path / "missing.py").module()


def test_a_closed_redis_url_refuses_connections():
    import socket

    url = closed_redis_url()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
