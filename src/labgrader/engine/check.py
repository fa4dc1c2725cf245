"""`@check`: marks a function in `checks/` as the one check of a catalog ID, with its metadata.

The metadata travels as a `check` marker (validated by the plugin); points, objective text and hint sit next to
the code that grades them. Hints are format strings over the lab spec (`{lab.dynamodb.table}`) and the target
(`{region}`), so the exact CLI fix carries the lab's real names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

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
) -> Callable[[F], F]:
    """Declare `fn` as the check of `check_id`.

    hint: the default fix, a Hint whose commands and note are templates over the lab spec (a string is one
    command).
    requires: target capabilities (e.g. "elasticache"); on a target without one the check reports `skip`.
    needs_sections: lab-spec sections besides the check's own (catalog) section.
    writes: the check writes scratch data (skipped in read-only mode).
    aws_actions: IAM actions the check calls (for the least-privilege policy).
    """
    default_hint = Hint((hint.strip(),)) if isinstance(hint, str) else hint
    meta = CheckMeta(check_id, points, objective, default_hint, requires, needs_sections, writes, aws_actions)

    def decorate(fn: F) -> F:
        setattr(fn, CHECK_ATTRIBUTE, meta)
        marked: F = pytest.mark.check(
            id=check_id,
            points=points,
            objective=objective,
            hint=default_hint,
            requires=requires,
            needs_sections=needs_sections,
            writes=writes,
            aws_actions=aws_actions,
        )(fn)
        return marked

    return decorate


def meta_of(obj: object) -> CheckMeta | None:
    meta = getattr(obj, CHECK_ATTRIBUTE, None)
    return meta if isinstance(meta, CheckMeta) else None
