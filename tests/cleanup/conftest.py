"""A private sandbox for the cleanup tests that need one (cleanup deletes: never the shared session sandbox)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.cleanup.helpers import fresh_lab, private_sandbox


@pytest.fixture(scope="package")
def own_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cleanup-home")


@pytest.fixture(scope="package")
def own_target(own_home: Path) -> Iterator[Target]:
    with private_sandbox(own_home) as target:
        yield target


@pytest.fixture(scope="package")
def own_clients(own_target: Target) -> AwsClients:
    return AwsClients(own_target)


@pytest.fixture
def lab_spec() -> LabSpec:
    """The week-8 lab with unique names and its own lab tag."""
    return fresh_lab()
