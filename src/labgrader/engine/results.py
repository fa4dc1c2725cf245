"""`results.json` (SPEC §4): the source of truth every other report is derived from, and the exit code.

Scoring: a passing check earns its points; a skipped check is out of the lab on this target (max_points 0);
advisory checks carry 0 points and never change the exit code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labgrader.engine import outdir
from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK, EXIT_FAIL, EXIT_OK
from labgrader.engine.inert import EVIDENCE_LIMIT, HINT_LIMIT, bounded
from labgrader.engine.verdict import Status

RESULTS_FILE = "results.json"


@dataclass
class CheckResult:
    id: str
    status: Status
    points: float
    max_points: float
    required: bool
    message: str
    hint: str
    evidence: dict[str, Any]
    duration_s: float
    section: str = ""
    objective: str = ""
    visibility: str = "visible"
    # The check ID whose miss this fail follows from (its message names it as the prerequisite): the reports show
    # the root cause's fix once and list the checks it blocks under it.
    blocked_by: str | None = None
    # The hint apart: its shell commands (`hint` is them one per line) and the sentence explaining them.
    hint_commands: list[str] = field(default_factory=list)
    hint_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        # Messages and evidence can quote what a student's module printed or raised: bounded in every report.
        data = asdict(self)
        data["message"], data["hint"] = bounded(self.message), bounded(self.hint, HINT_LIMIT)
        data["hint_commands"] = [bounded(c, HINT_LIMIT) for c in self.hint_commands]
        data["hint_note"] = bounded(self.hint_note)
        data["evidence"] = _bounded_values(data["evidence"])
        if self.blocked_by is None:  # an extra field, present only where it says something
            del data["blocked_by"]
        return data


class Scored:
    """Points earned and possible over a list of check results (a run, a report's section)."""

    checks: list[CheckResult]

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 2)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 2)


@dataclass
class RunResult(Scored):
    lab: str
    target: str
    started_at: str
    duration_s: float
    checks: list[CheckResult] = field(default_factory=list)
    phase: str = "grade"
    region: str | None = None
    labgrader_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.checks)

    def get(self, check_id: str) -> CheckResult:
        for result in self.checks:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.checks:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "target": self.target,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "score": self.score,
            "max_score": self.max_score,
            "checks": [c.to_dict() for c in self.checks],
            "phase": self.phase,
            "region": self.region,
            "labgrader_version": self.labgrader_version,
            "counts": self.counts(),
            "exit_code": self.exit_code,
            **self.extra,
        }

    def write(self, out_dir: Path) -> Path:
        return outdir.write_text(out_dir / RESULTS_FILE, json.dumps(self.to_dict(), indent=2, default=str) + "\n")


def _bounded_values(value: Any) -> Any:
    if isinstance(value, str):
        return bounded(value, EVIDENCE_LIMIT)
    if isinstance(value, dict):
        return {k: _bounded_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded_values(v) for v in value]
    return value


def exit_code_for(checks: list[CheckResult]) -> int:
    """0 every required check passes (or is skipped); 1 any required `fail`; 3 otherwise (error or pending)."""
    required = [c for c in checks if c.required]
    if any(c.status == "fail" for c in required):
        return EXIT_FAIL
    if any(c.status in ("error", "pending") for c in required):
        return EXIT_COULD_NOT_LOOK
    return EXIT_OK


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
