"""Fixtures of the latency checks: the cache-aside harness (the hit-vs-miss timing runs the student's module in a
scenario process) and its scratch data, removed when each check ends."""

from __future__ import annotations

import pytest

from labgrader.cacheaside.fixtures import cache_aside, prestart

__all__ = ["cache_aside"]


def pytest_configure(config: pytest.Config) -> None:
    prestart(config)  # called when this conftest is loaded, early in collection: the fork-server warms up meanwhile
