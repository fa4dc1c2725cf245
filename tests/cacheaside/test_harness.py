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
from labgrader.scratch import SCRATCH_PREFIX, Scratch
from labgrader.spec import LabSpec, load_spec
from labgrader.targets import Target
from labgrader.verdict import CheckFailed
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
SHELL = {
    "PATH": "/usr/bin",
    "HOME": "/home/student",
    "AWS_ENDPOINT_URL": "http://elsewhere:1",
    "AWS_ENDPOINT_URL_DYNAMODB": "http://elsewhere:2",
    "AWS_PROFILE": "other",
    "AWS_SESSION_TOKEN": "token",
    "REDIS_URL": "redis://elsewhere:6379/0",
    "LAB_TABLE": "Other",
    "REDIS_PASSWORD": "kept-for-the-grader",
}


@pytest.fixture(scope="module")
def week8() -> LabSpec:
    return load_spec(paths.default_lab_spec())


def test_the_sandbox_environment_points_everything_at_the_lab():
    env = module_environment(SANDBOX, "LabProducts", "redis://127.0.0.1:6390/0", SHELL)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in env
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("labgrader", "labgrader")
    assert "AWS_SESSION_TOKEN" not in env
    assert "AWS_PROFILE" not in env
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["REDIS_URL"] == "redis://127.0.0.1:6390/0"
    assert env["LAB_TABLE"] == "LabProducts"
    assert env["PATH"] == "/usr/bin"


def test_on_aws_the_module_uses_the_graders_credentials_and_no_endpoint():
    env = module_environment(AWS, "LabProducts", "rediss://lab-redis.example:6379/0", SHELL)
    assert not any(name.startswith("AWS_ENDPOINT_URL") for name in env)
    assert env["AWS_PROFILE"] == "student"
    assert env["AWS_SESSION_TOKEN"] == "token"
    assert env["AWS_REGION"] == "eu-west-1"
    assert env["REDIS_URL"] == "rediss://lab-redis.example:6379/0"


def test_without_a_profile_the_shells_profile_stays():
    env = module_environment(Target(name="aws", region="us-east-1", region_source="x"), "T", "redis://r:1/0", SHELL)
    assert env["AWS_PROFILE"] == "other"


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
