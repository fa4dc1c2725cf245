"""`@check`: marks a function in `checks/` as the one check of a catalog ID, with all its metadata.

The decorator is the single source of a check's facts (the engine validates them at collection and reads nothing
else): points, objective text, hint, IAM actions, what it writes, whether it disturbs the lab or runs the student's
module sit next to the code that grades them. Hints are format strings over the lab spec (`{lab.dynamodb.table}`)
and the target (`{region}`), so the exact CLI fix carries the lab's real names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from labgrader.engine.verdict import Hint

F = TypeVar("F", bound=Callable[..., Any])

CHECK_ATTRIBUTE = "__labgrader_check__"

# Capabilities a check may require of the target (see targets.Target.unavailable).
CAPABILITIES = frozenset({"dynamodb", "dynamodbstreams", "elasticache", "ec2", "redis", "redis-admin", "sentinel"})


@dataclass(frozen=True)
class CheckMeta:
    id: str
    points: float
    objective: str
    hint: Hint
    requires: tuple[str, ...] = ()
    needs_sections: tuple[str, ...] = ()
    writes: bool = False
    aws_actions: tuple[str, ...] = ()
    disruptive: bool = False
    runs_student_module: bool = False

    def render_hint(self, context: dict[str, Any], override: Hint | None = None) -> Hint:
        """The hint shown for a miss: `override` (finished commands from `fail(hint=...)`) as it is, else the
        declared template filled with the lab's names."""
        if override is not None:
            return override
        template = self.hint
        try:
            return template.format(**context)
        except (AttributeError, KeyError, IndexError, ValueError):
            # A hint naming a section this lab doesn't have: show the template rather than nothing.
            return template


def check(
    check_id: str,
    *,
    points: float,
    objective: str,
    hint: Hint | str,
    requires: tuple[str, ...] = (),
    needs_sections: tuple[str, ...] = (),
    writes: bool = False,
    aws_actions: tuple[str, ...] = (),
    disruptive: bool = False,
    runs_student_module: bool = False,
) -> Callable[[F], F]:
    """Declare `fn` as the check of `check_id`.

    hint: the default fix, a Hint whose commands and note are templates over the lab spec (a string is one
    command).
    requires: target capabilities (e.g. "elasticache"); on a target without one the check reports `skip`.
    needs_sections: lab-spec sections besides the check's own (catalog) section.
    writes: the check writes scratch data (skipped in read-only mode).
    aws_actions: IAM actions the check calls (for the least-privilege policy).
    disruptive: the check disturbs the lab (a failover): it runs after every other check of the run.
    runs_student_module: the check runs the student's cache-aside module (its scenario server starts early).
    """
    default_hint = Hint((hint.strip(),)) if isinstance(hint, str) else hint
    meta = CheckMeta(
        check_id,
        points,
        objective,
        default_hint,
        requires,
        needs_sections,
        writes,
        aws_actions,
        disruptive,
        runs_student_module,
    )

    def decorate(fn: F) -> F:
        setattr(fn, CHECK_ATTRIBUTE, meta)
        return fn

    return decorate


def meta_of(obj: object) -> CheckMeta | None:
    meta = getattr(obj, CHECK_ATTRIBUTE, None)
    return meta if isinstance(meta, CheckMeta) else None
