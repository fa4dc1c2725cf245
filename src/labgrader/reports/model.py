"""A grading run as every report sees it: rebuilt from `results.json` (SPEC §4), grouped by section, and split into
what a student reads (message + hint) and what staff read (evidence).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgrader.engine.bounded import RESULTS_LIMIT, BoundedReadError, read_text_bounded
from labgrader.engine.catalog import BY_ID, SECTION_TITLES
from labgrader.engine.inert import HINT_LIMIT, bounded, valid_unicode
from labgrader.engine.results import CheckResult, RunResult, Scored
from labgrader.engine.verdict import STATUSES

# Keys of results.json that RunResult computes or names itself; anything else is an "extra field" (SPEC §4).
_RUN_FIELDS = frozenset(
    {"lab", "target", "started_at", "duration_s", "score", "max_score", "checks", "phase", "region"}
    | {"labgrader_version", "counts", "exit_code"}
)
# Statuses a student still has to act on, in the order a report lists them.
MISSES = ("fail", "error", "pending")
LABELS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP", "pending": "PENDING"}
# An advisory check (required: false) that is not met is advice, not a failure: it never changes the exit code.
ADVICE = "ADVICE"
HIDDEN_NOTE = "Hidden check: its details are shown after grading."
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
# labgrader's own evidence nests a few levels; deeper is a crafted file (and would exhaust the JSON encoder's stack).
MAX_DEPTH = 32
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]{1,80}")


class MalformedResultsError(ValueError):
    """A results.json that is not SPEC §4 (one line: what is wrong)."""


def load_run(path: Path) -> RunResult:
    """A saved results.json, trusted in nothing: size, kind of file, encoding, JSON (no NaN or Infinity, no integer
    beyond Python's digit limit, no deep nesting) and shape. MalformedResultsError says in one phrase what is wrong:
    "cannot read it (…)", "not valid JSON (…)" or "not a labgrader results.json (…)"."""
    try:
        text = read_text_bounded(path, RESULTS_LIMIT)
    except BoundedReadError as exc:
        raise MalformedResultsError(f"cannot read it ({exc.reason})") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise MalformedResultsError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise MalformedResultsError(f"not a labgrader results.json (nested deeper than {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # NaN/Infinity, or an integer over Python's digit limit
        raise MalformedResultsError(f"not valid JSON ({_show(str(exc), 80)})") from None
    try:
        return run_from_dict(data)
    except MalformedResultsError as exc:
        raise MalformedResultsError(f"not a labgrader results.json ({exc})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def run_from_dict(data: Any) -> RunResult:
    """Rebuild the RunResult a results.json was written from; MalformedResultsError names the first problem.

    Text comes back as valid Unicode (lone surrogates replaced) and nested values at most MAX_DEPTH deep, so every
    report can render and write what this returns."""
    if not isinstance(data, Mapping):
        raise MalformedResultsError(f"expected a JSON object, found {type(data).__name__}")
    data = _clean(data, "results", 0)
    for key in ("lab", "target", "checks"):
        if key not in data:
            raise MalformedResultsError(f"no {key!r} field (is this a labgrader results.json?)")
    if not isinstance(data["checks"], list):
        raise MalformedResultsError("'checks' is not a list")
    checks = [_check_from_dict(raw, index) for index, raw in enumerate(data["checks"])]
    region = data.get("region")
    return RunResult(
        lab=_text(data["lab"], "lab"),
        target=_text(data["target"], "target"),
        started_at=_text(data.get("started_at") or "", "started_at"),
        duration_s=_number(data.get("duration_s", 0.0), "duration_s"),
        checks=checks,
        phase=_text(data.get("phase") or "grade", "phase"),
        region=None if region is None else _text(region, "region"),
        labgrader_version=_text(data.get("labgrader_version") or "", "labgrader_version"),
        extra={k: v for k, v in data.items() if k not in _RUN_FIELDS},
    )


def _check_from_dict(raw: Any, index: int) -> CheckResult:
    if not isinstance(raw, Mapping):
        raise MalformedResultsError(f"checks[{index}] is not an object")
    check_id = raw.get("id")
    if not isinstance(check_id, str) or not check_id:
        raise MalformedResultsError(f"checks[{index}] has no 'id'")
    # Named by its ID when that is a plain identifier; a crafted ID is not repeated into the error line.
    where = check_id if _PLAIN_ID.fullmatch(check_id) else f"checks[{index}]"
    status = raw.get("status")
    if status not in STATUSES:
        raise MalformedResultsError(f"check {where}: status {_show(status)} is not one of {', '.join(STATUSES)}")
    visibility = raw.get("visibility") or "visible"
    if visibility not in VISIBILITIES:
        raise MalformedResultsError(f"check {where}: visibility {_show(visibility)} is not one of {', '.join(VISIBILITIES)}")
    evidence = raw.get("evidence") or {}
    entry = BY_ID.get(check_id)
    hint = _text(raw.get("hint") or "", f"{where}.hint")
    commands, note = _hint_parts(raw, hint, where)
    return CheckResult(
        id=check_id,
        status=status,
        points=_number(raw.get("points", 0), f"{where}.points"),
        max_points=_number(raw.get("max_points", 0), f"{where}.max_points"),
        required=bool(raw.get("required", True)),
        message=_text(raw.get("message") or "", f"{where}.message"),
        hint=hint,
        hint_commands=commands,
        hint_note=note,
        evidence=dict(evidence) if isinstance(evidence, Mapping) else {"observed": evidence},
        duration_s=_number(raw.get("duration_s", 0.0), f"{where}.duration_s"),
        section=_text(raw.get("section") or (entry.section if entry else ""), f"{where}.section"),
        objective=_text(raw.get("objective") or "", f"{where}.objective"),
        visibility=visibility,
        blocked_by=_blocked_by(raw.get("blocked_by")),
    )


def _blocked_by(value: Any) -> str | None:
    """A results.json's `blocked_by` when it names a catalog check; anything else is ignored (older files have none)."""
    return value if isinstance(value, str) and value in BY_ID else None


def _hint_parts(raw: Mapping[str, Any], hint: str, where: str) -> tuple[list[str], str]:
    """(commands, note) of a check's hint; a results.json written before `hint_commands` existed has only `hint`,
    split as it used to be shown (prose, then the command)."""
    if "hint_commands" in raw or "hint_note" in raw:
        commands = raw.get("hint_commands") or []
        if not isinstance(commands, list):
            raise MalformedResultsError(f"check {where}: hint_commands is not a list")
        shown = [_text(c, f"{where}.hint_commands") for c in commands]
        return shown, _text(raw.get("hint_note") or "", f"{where}.hint_note")
    prose, command = split_hint(hint)
    return (command.splitlines() if command else []), prose


def _clean(value: Any, where: str, depth: int) -> Any:
    """Parsed JSON with valid Unicode everywhere; MalformedResultsError beyond MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise MalformedResultsError(f"{where} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, Mapping):
        return {valid_unicode(str(k)): _clean(v, where, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, where, depth + 1) for v in value]
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise MalformedResultsError(f"{where} is not a string ({_show(value)})")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResultsError(f"{where} is not a number ({_show(value)})")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > 1e9:
        raise MalformedResultsError(f"{where} is not a plausible number ({_show(value)})")
    return number


def _show(value: Any, limit: int = 60) -> str:
    """A value quoted in an error line: its repr (so control characters show escaped), cut short."""
    try:
        text = repr(value)
    except ValueError:  # an int over Python's digit limit
        text = "a number too large to show"
    return text if len(text) <= limit else f"{text[:limit]}…"


def as_run(run_or_results: RunResult | Mapping[str, Any]) -> RunResult:
    return run_or_results if isinstance(run_or_results, RunResult) else run_from_dict(run_or_results)


@dataclass(frozen=True)
class Section(Scored):
    key: str
    title: str
    checks: list[CheckResult]

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


def is_advice(check: CheckResult) -> bool:
    """An advisory check that is not met: shown as ADVICE, never as FAIL."""
    return check.status == "fail" and not check.required


def label(check: CheckResult) -> str:
    """The status word a person reads: LABELS, except ADVICE for an advisory miss."""
    return ADVICE if is_advice(check) else LABELS[check.status]


def blocked_roots(run: RunResult) -> dict[str, str]:
    """Check ID → the root cause it is blocked by, for every fail that names a prerequisite which is itself a miss
    in this run. Chains resolve to their root (no cache-aside scenario without keys, no keys without a table)."""
    by_id = {c.id: c for c in run.checks}
    roots: dict[str, str] = {}
    for check in run.checks:
        current, seen, root = check, {check.id}, None
        while current.status == "fail" and current.blocked_by in by_id:
            if current.blocked_by in seen:  # a crafted cycle: no root cause, each check shows its own fix
                root = None
                break
            prerequisite = by_id[current.blocked_by]
            if prerequisite.status not in MISSES:
                break
            root = prerequisite.id
            seen.add(root)
            current = prerequisite
        if root is not None:
            roots[check.id] = root
    return roots


def root_causes(run: RunResult) -> list[tuple[CheckResult, list[CheckResult]]]:
    """What to fix, each root cause once: (miss, the checks it blocks, in catalog order), in `misses` order; a
    blocked check is listed only under its root."""
    roots = blocked_roots(run)
    blocked: dict[str, list[CheckResult]] = {}
    for check in run.checks:
        if check.id in roots:
            blocked.setdefault(roots[check.id], []).append(check)
    return [(c, blocked.get(c.id, [])) for c in misses(run) if c.id not in roots]


def blocked_points(checks: list[CheckResult]) -> str:
    """ "3 checks, 9 points" for the checks a root cause blocks."""
    points = sum(c.max_points for c in checks)
    return f"{len(checks)} check{'s' if len(checks) != 1 else ''}, {points:g} point{'s' if points != 1 else ''}"


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


def hint_parts(check: CheckResult) -> tuple[str, list[str]]:
    """(note, commands) of a check's hint: the sentence explaining the fix, and the commands, shown apart."""
    return check.hint_note, list(check.hint_commands)


def points_text(check: CheckResult) -> str:
    return f"{check.points:g}/{check.max_points:g}" if check.max_points or check.points else "-"


def student_text(check: CheckResult, *, mask_hidden: bool = False, blocked_by: str | None = None) -> str:
    """What a student reads about one check: the message, and for a miss the fix (for a check blocked by a root
    cause, which check to fix first instead of repeating its fix). Never the raw evidence."""
    if mask_hidden and check.visibility != "visible":
        return HIDDEN_NOTE
    lines = [bounded(check.message or title(check))]
    if check.status == "error":
        lines[0] = f"The grader could not look: {lines[0]}"
    elif is_advice(check):
        lines[0] = f"ADVICE (advisory: it never fails the lab): {lines[0]}"
    if blocked_by is not None:
        lines.append(f"Blocked by {blocked_by}: fix that first (its fix is shown with it); this check is graded then.")
    elif check.status in MISSES and check.hint:
        note, commands = hint_parts(check)
        shown = ([bounded(note)] if note else []) + [bounded(command, HINT_LIMIT) for command in commands]
        lines += [f"Fix: {shown[0]}", *shown[1:]] if shown else []
    return "\n".join(lines)


def display_counts(run: RunResult) -> dict[str, int]:
    """Counts by displayed status: an advisory miss counts as "advice", not "fail" (results.json keeps `fail`)."""
    counts: dict[str, int] = {}
    for check in run.checks:
        key = "advice" if is_advice(check) else check.status
        counts[key] = counts.get(key, 0) + 1
    return counts


def summary_counts(run: RunResult) -> str:
    counts = display_counts(run)
    return ", ".join(f"{counts[s]} {s}" for s in (*LABELS, "advice") if counts.get(s))


def identity(run: RunResult) -> tuple[str, str] | None:
    """(who, source) recorded in results.json: `--student-id` first, then the AWS account from STS."""
    for key, source in (("student_id", "student_id"), ("aws_account_id", "aws_account")):
        value = run.extra.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip(), source
    return None
