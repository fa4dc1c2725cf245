"""Fixtures of the cache-aside checks: the student's module behind a harness that writes scratch items, runs
scenarios through one fork-server per run, and removes its scratch data when each check ends."""

from __future__ import annotations

import pytest

from labgrader.cacheaside.fixtures import cache_aside, prestart

__all__ = ["cache_aside"]


def pytest_configure(config: pytest.Config) -> None:
    prestart(config)  # called when this conftest is loaded, early in collection: the fork-server warms up meanwhile
