"""Benchmarks (not part of the default test run, which collects tests/ only).

Run: .venv/bin/python -m pytest benchmarks --benchmark-enable --benchmark-json=benchmarks/results/latest.json
Saved results live in benchmarks/results/ (one JSON per benchmark, committed when a goal is re-measured).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.sandbox import manager
from labgrader.solve import solve
from labgrader.spec import LabSpec, load_spec
from labgrader.targets import open_target
from labgrader.targets.base import Target


@pytest.fixture(scope="module")
def week8_spec() -> LabSpec:
    return load_spec(paths.default_lab_spec())


@pytest.fixture(scope="module")
def solved_sandbox(tmp_path_factory: pytest.TempPathFactory, week8_spec: LabSpec) -> Iterator[Target]:
    """A sandbox of its own with the week-8 reference solution applied."""
    home: Path = tmp_path_factory.mktemp("labgrader-bench-home")
    manager.up(home)
    try:
        with open_target("local", week8_spec, sandbox_home=home) as local:
            solve(week8_spec, local, log=lambda _line: None)
            yield local
    finally:
        manager.down(home)
