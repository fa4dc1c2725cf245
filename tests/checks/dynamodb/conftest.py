"""Fixtures of the DynamoDB self-tests: each mutation test grades its own table, never the shared reference."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def run_fix(run_hint: Callable[..., None]) -> Callable[..., None]:
    """run_fix(result): paste a miss's commands into bash as printed, from a folder outside the repository."""
    return run_hint


@pytest.fixture
def student_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Grade from (and run hints in) a folder of the student's: hints that write files write them there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
