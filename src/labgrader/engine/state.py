"""What a grading run knows about itself, kept in the pytest config's stash: the leaf that fixtures, the
cache-aside harness and the checks' conftests read, so none of them imports the session plugin that fills it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from labgrader.engine.catalog import Phase
from labgrader.engine.outdir import OutputError
from labgrader.engine.results import CheckResult, RunResult
from labgrader.engine.scratch import Scratch
from labgrader.spec import LabSpec
from labgrader.targets.base import Target

ResultCallback = Callable[[CheckResult], None]


@dataclass(eq=False)  # the session subclass is a plugin object: pluggy keeps plugins in sets, so identity hashing
class RunState:
    spec: LabSpec
    target: Target
    out_dir: Path
    phase: Phase = "grade"
    solution: Path | None = None
    on_result: ResultCallback | None = None
    checks_root: Path | None = None
    # Grade only these IDs (the rest report `skip`, "not selected"); None grades the whole phase.
    only: frozenset[str] | None = None
    # Opt-in to checks that disturb the lab on AWS (TestFailover): `labgrader grade --disruptive`.
    disruptive: bool = False
    # `--read-only`: checks that write scratch data `skip`, for credentials that may only read.
    read_only: bool = False
    scratch: Scratch = field(default_factory=Scratch)
    results: dict[str, CheckResult] = field(default_factory=dict)
    run: RunResult | None = None
    # results.json could not be written (disk full, folder gone): raised by runner.grade once pytest has returned.
    write_error: OutputError | None = None
    aws_calls: Counter[str] = field(default_factory=Counter)
    # What the run says about itself beyond the checks (how the student's code was contained), in results.json.
    notes: dict[str, Any] = field(default_factory=dict)

    def record_aws_call(self, action: str) -> None:
        self.aws_calls[action] += 1

    def hint_context(self) -> dict[str, Any]:
        return {"lab": self.spec, "region": self.target.region, "target": self.target.name}

    def solution_path(self) -> Path | None:
        """The student's cache-aside module: --solution, else the spec's [cache_aside].solution."""
        if self.solution is not None:
            return self.solution
        return self.spec.cache_aside.solution if self.spec.cache_aside else None


RUN_STATE = pytest.StashKey[RunState]()


def run_state(config: pytest.Config) -> RunState | None:
    """This pytest session's grading run, or None outside one."""
    return config.stash.get(RUN_STATE, None)
