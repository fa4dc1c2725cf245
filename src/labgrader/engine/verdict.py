"""How a check states its verdict.

A check returns `passed(...)` (or nothing) when the objective is met, and calls `fail`, `pending`, `could_not_look`
or `not_applicable` otherwise; these raise, so a check reads top to bottom as "look, compare, conclude".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

Status = Literal["pass", "fail", "error", "skip", "pending"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "skip", "pending")


@dataclass(frozen=True)
class Hint:
    """The fix of a miss: shell commands, each runnable verbatim in bash from any folder with the environment
    `labgrader sandbox env` (or the student's AWS configuration) gives, and an optional sentence of explanation
    that is never part of the commands."""

    commands: tuple[str, ...] = ()
    note: str | None = None

    @classmethod
    def of(cls, value: Hint | str | None) -> Hint | None:
        """A hint from what `fail(hint=...)` accepts: a Hint, or one command as a string."""
        if value is None or isinstance(value, Hint):
            return value
        return cls((value,))

    def text(self) -> str:
        """results.json's `hint`: the commands one per line (the note when there is no command)."""
        return "\n".join(self.commands) if self.commands else (self.note or "")

    def format(self, **context: Any) -> Hint:
        """The hint with `{lab.…}` / `{region}` placeholders of a check's declared default filled in."""
        note = self.note.format(**context) if self.note is not None else None
        return Hint(tuple(c.format(**context) for c in self.commands), note)


@dataclass(frozen=True)
class Evidence:
    """What the grader looked at: the API call or command, what it saw and what the lab expects."""

    call: str | None = None
    observed: Any = None
    expected: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"call": self.call, "observed": self.observed, "expected": self.expected}
        data.update(self.extra)
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Passed:
    message: str
    evidence: Evidence = field(default_factory=Evidence)


class Verdict(Exception):  # noqa: N818 - a verdict is the message, not an error condition of the grader
    status: Status = "fail"

    def __init__(self, message: str, evidence: Evidence | None = None, hint: Hint | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence or Evidence()
        self.hint = Hint.of(hint)


class CheckFailed(Verdict):
    status: Status = "fail"


class CheckPending(Verdict):
    status: Status = "pending"


class CouldNotLook(Verdict):
    status: Status = "error"


class NotApplicable(Verdict):
    status: Status = "skip"


def _evidence(call: str | None, observed: Any, expected: Any, extra: dict[str, Any] | None) -> Evidence:
    return Evidence(call=call, observed=observed, expected=expected, extra=extra or {})


def passed(
    message: str,
    *,
    call: str | None = None,
    observed: Any = None,
    expected: Any = None,
    extra: dict[str, Any] | None = None,
) -> Passed:
    return Passed(message, _evidence(call, observed, expected, extra))


def fail(
    message: str,
    *,
    call: str | None = None,
    observed: Any = None,
    expected: Any = None,
    hint: Hint | str | None = None,
    extra: dict[str, Any] | None = None,
) -> NoReturn:
    """The lab is wrong. `hint` replaces the check's default hint when this way of being wrong has its own fix
    (a string is one command)."""
    raise CheckFailed(message, _evidence(call, observed, expected, extra), hint)


def pending(
    message: str,
    *,
    call: str | None = None,
    observed: Any = None,
    expected: Any = None,
    extra: dict[str, Any] | None = None,
) -> NoReturn:
    """The resource is still CREATING/UPDATING/BACKFILLING/ENABLING: grade again in a few minutes."""
    raise CheckPending(message, _evidence(call, observed, expected, extra))


def could_not_look(message: str, *, call: str | None = None, hint: Hint | str | None = None) -> NoReturn:
    """The grader could not look (endpoint down, no credentials, throttled): never the student's `fail`. A string
    hint is advice (the note), not a command."""
    raise CouldNotLook(message, _evidence(call, None, None, None), Hint(note=hint) if isinstance(hint, str) else hint)


def not_applicable(reason: str) -> NoReturn:
    """Not part of this lab, or not possible on this target: `skip` with the reason."""
    raise NotApplicable(reason)
