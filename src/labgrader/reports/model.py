"""A grading run as every report sees it: rebuilt from `results.json` (SPEC §4), grouped by section, and split into
what a student reads (message + hint) and what staff read (evidence).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labgrader.catalog import BY_ID, SECTION_TITLES
from labgrader.results import CheckResult, RunResult
from labgrader.verdict import STATUSES

# Keys of results.json that RunResult computes or names itself; anything else is an "extra field" (SPEC §4).
_RUN_FIELDS = frozenset(
    {"lab", "target", "started_at", "duration_s", "score", "max_score", "checks", "phase", "region"}
    | {"labgrader_version", "counts", "exit_code"}
)
# Statuses a student still has to act on, in the order a report lists them.
MISSES = ("fail", "error", "pending")
LABELS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP", "pending": "PENDING"}
HIDDEN_NOTE = "Hidden check: its details are shown after grading."


class MalformedResultsError(ValueError):
    """A results.json that is not SPEC §4 (one line: what is wrong)."""


def run_from_dict(data: Any) -> RunResult:
    """Rebuild the RunResult a results.json was written from; MalformedResultsError names the first problem."""
    if not isinstance(data, Mapping):
        raise MalformedResultsError(f"expected a JSON object, found {type(data).__name__}")
    for key in ("lab", "target", "checks"):
        if key not in data:
            raise MalformedResultsError(f"no {key!r} field (is this a labgrader results.json?)")
    if not isinstance(data["checks"], list):
        raise MalformedResultsError("'checks' is not a list")
    checks = [_check_from_dict(raw, index) for index, raw in enumerate(data["checks"])]
    return RunResult(
        lab=str(data["lab"]),
        target=str(data["target"]),
        started_at=str(data.get("started_at") or ""),
        duration_s=_number(data.get("duration_s", 0.0), "duration_s"),
        checks=checks,
        phase=str(data.get("phase") or "grade"),
        region=data.get("region"),
        labgrader_version=str(data.get("labgrader_version") or ""),
        extra={k: v for k, v in data.items() if k not in _RUN_FIELDS},
    )


def _check_from_dict(raw: Any, index: int) -> CheckResult:
    if not isinstance(raw, Mapping):
        raise MalformedResultsError(f"checks[{index}] is not an object")
    check_id = raw.get("id")
    if not isinstance(check_id, str) or not check_id:
        raise MalformedResultsError(f"checks[{index}] has no 'id'")
    status = raw.get("status")
    if status not in STATUSES:
        raise MalformedResultsError(f"check {check_id}: status {status!r} is not one of {', '.join(STATUSES)}")
    evidence = raw.get("evidence") or {}
    entry = BY_ID.get(check_id)
    return CheckResult(
        id=check_id,
        status=status,
        points=_number(raw.get("points", 0), f"{check_id}.points"),
        max_points=_number(raw.get("max_points", 0), f"{check_id}.max_points"),
        required=bool(raw.get("required", True)),
        message=str(raw.get("message") or ""),
        hint=str(raw.get("hint") or ""),
        evidence=dict(evidence) if isinstance(evidence, Mapping) else {"observed": evidence},
        duration_s=_number(raw.get("duration_s", 0.0), f"{check_id}.duration_s"),
        section=str(raw.get("section") or (entry.section if entry else "")),
        objective=str(raw.get("objective") or ""),
        visibility=str(raw.get("visibility") or "visible"),
    )


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResultsError(f"{where} is not a number ({value!r})")
    return float(value)


def as_run(run_or_results: RunResult | Mapping[str, Any]) -> RunResult:
    return run_or_results if isinstance(run_or_results, RunResult) else run_from_dict(run_or_results)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    checks: list[CheckResult]

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 2)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 2)

    @property
    def graded(self) -> bool:
        """False when every check of the section is skipped (not part of this lab, or not possible here)."""
        return any(c.status != "skip" for c in self.checks)

    @property
    def skip_reason(self) -> str:
        reasons = {c.message for c in self.checks if c.status == "skip"}
        return reasons.pop() if len(reasons) == 1 else "not graded on this run"


def sections(run: RunResult) -> list[Section]:
    """Checks grouped by section, in catalog order (sections and checks)."""
    grouped: dict[str, list[CheckResult]] = {}
    for result in run.checks:
        grouped.setdefault(result.section or "other", []).append(result)
    order = list(SECTION_TITLES)
    keys = sorted(grouped, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [Section(k, SECTION_TITLES.get(k, k.replace("_", " ").title()), grouped[k]) for k in keys]


def misses(run: RunResult) -> list[CheckResult]:
    """What the student has to act on: required misses first (fail, error, pending), then advisory ones."""
    found = [c for c in run.checks if c.status in MISSES]
    return sorted(found, key=lambda c: (not c.required, MISSES.index(c.status)))


def title(check: CheckResult) -> str:
    """The objective when the check has one, else its ID."""
    return check.objective if check.objective and check.objective != check.id else check.id


def looks_like_command(hint: str) -> bool:
    """Hints are exact CLI fixes ("aws dynamodb ..."); advice in prose starts with a capital ("Grade again ...")."""
    return bool(hint) and hint[0].islower()


def split_hint(hint: str) -> tuple[str, str]:
    """(prose, command): "Start it again: labgrader sandbox up" → ("Start it again:", "labgrader sandbox up")."""
    if looks_like_command(hint):
        return "", hint
    prose, colon, rest = hint.partition(": ")
    if colon and looks_like_command(rest):
        return prose + ":", rest
    return hint, ""


def points_text(check: CheckResult) -> str:
    return f"{check.points:g}/{check.max_points:g}" if check.max_points or check.points else "-"


def student_text(check: CheckResult, *, mask_hidden: bool = False) -> str:
    """What a student reads about one check: the message, and for a miss the fix. Never the raw evidence."""
    if mask_hidden and check.visibility != "visible":
        return HIDDEN_NOTE
    lines = [check.message or title(check)]
    if check.status == "error":
        lines[0] = f"The grader could not look: {lines[0]}"
    if check.status in MISSES and check.hint:
        lines.append(f"Fix: {check.hint}")
    return "\n".join(lines)


def summary_counts(run: RunResult) -> str:
    counts = run.counts()
    return ", ".join(f"{counts[s]} {s}" for s in LABELS if counts.get(s))


def identity(run: RunResult) -> tuple[str, str] | None:
    """(who, source) recorded in results.json: `--student-id` first, then the AWS account from STS."""
    for key, source in (("student_id", "student_id"), ("aws_account_id", "aws_account")):
        value = run.extra.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip(), source
    return None
