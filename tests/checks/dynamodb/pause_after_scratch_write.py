"""A pytest plugin for the interrupted-run test (loaded into a `labgrader grade` subprocess with `-p`).

Right after the check named by LABGRADER_TEST_PAUSE_CHECK writes a scratch item (a PutItem whose partition value
carries the reserved prefix), it writes LABGRADER_TEST_PAUSE_MARKER and sleeps: the test then sends SIGINT at the
worst moment, with a scratch item in the student's table, as a student pressing Ctrl-C would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import botocore.client
import pytest

from labgrader.engine.scratch import SCRATCH_PREFIX

_current: dict[str, str] = {}


def pytest_runtest_setup(item: pytest.Item) -> None:
    _current["check"] = item.name


def pytest_configure(config: pytest.Config) -> None:
    marker = Path(os.environ["LABGRADER_TEST_PAUSE_MARKER"])
    check = os.environ["LABGRADER_TEST_PAUSE_CHECK"]
    original = botocore.client.BaseClient._make_api_call

    def make_api_call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        answer = original(self, operation, params)
        item = params.get("Item") or {}
        scratch = any(str(value.get("S", "")).startswith(SCRATCH_PREFIX) for value in item.values())
        if operation == "PutItem" and scratch and _current.get("check") == check and not marker.exists():
            marker.write_text(str(os.getpid()), encoding="utf-8")
            time.sleep(120)  # SIGINT arrives here
        return answer

    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
