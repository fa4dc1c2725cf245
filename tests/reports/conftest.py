"""Fixtures of the report tests: one fixed results.json (pass, fail, error, skip, pending, an advisory miss, a check
hidden until the due date and a hidden one) that every format is derived from."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from labgrader.reports.model import run_from_dict
from labgrader.engine.results import RunResult

FIXTURE = Path(__file__).with_name("results.json")


@pytest.fixture
def results_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


@pytest.fixture
def fixture_run(results_data: dict[str, Any]) -> RunResult:
    return run_from_dict(results_data)


def by_status(run: RunResult, status: str) -> list[Any]:
    return [c for c in run.checks if c.status == status]
