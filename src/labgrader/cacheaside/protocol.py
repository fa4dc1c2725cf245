"""What a scenario is, and what the grader observed of it.

A scenario is a fresh import of the student's module in its own process followed by steps, each carried out by
the grader (runner.py):

- `call(function, *args)`: the student's process calls the module's function and sends back its value
  (type-tagged) or exception (last line); the grader times the round trip and counts the DynamoDB calls made
  meanwhile at its own endpoint;
- `inspect(key)`: the grader looks at the Redis key from the server side (EXISTS, PTTL, TYPE, raw value);
- `delete(key)`: the grader removes the key;
- `timed_rounds(...)`: alternating miss/hit timings of `get_product` (the miss made real by deleting the key first).

The first step that raises ends the scenario (later steps depend on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from labgrader.cacheaside import values

if TYPE_CHECKING:
    from labgrader.cacheaside.proxy import DynamoDBProxy

Step = dict[str, Any]
Status = Literal[
    "ok", "import_error", "missing_function", "step_error", "timeout", "crashed", "protocol_error", "grader_error"
]

CONTRACT_FUNCTIONS = ("get_product", "update_product")


def call(function: str, *args: Any) -> Step:
    return {"kind": "call", "function": function, "args": values.encode(list(args))}


def inspect(key: str) -> Step:
    return {"kind": "inspect", "key": key}


def delete(key: str) -> Step:
    return {"kind": "delete", "key": key}


def timed_rounds(category: str, sku: str, key: str, *, rounds: int, budget_s: float, warmup: int = 3) -> Step:
    return {
        "kind": "timed_rounds",
        "category": category,
        "sku": sku,
        "key": key,
        "rounds": rounds,
        "budget_s": budget_s,
        "warmup": warmup,
    }


def call_label(function: str, args: list[Any]) -> str:
    return f"{function}({', '.join(values.describe(a, 60) for a in args)})"


@dataclass(frozen=True)
class ScenarioRequest:
    module: str
    env: dict[str, str]
    steps: list[Step]
    timeout_s: float
    grader_redis_url: str | None = None
    functions: tuple[str, ...] = CONTRACT_FUNCTIONS
    # The grader's endpoint the module's DynamoDB calls go through (counted there); None: not counted.
    dynamodb: DynamoDBProxy | None = None


@dataclass(frozen=True)
class KeyState:
    """A Redis key seen from the server side."""

    exists: bool
    pttl: int  # milliseconds; -1 no expiry, -2 no key
    type: str
    raw: str  # the value as text (GET of a string, HGETALL of a hash, ...), truncated


@dataclass(frozen=True)
class StepResult:
    kind: str
    label: str
    ok: bool
    value: Any = None
    error: str | None = None
    seconds: float = 0.0
    operations: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    key: KeyState | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioOutcome:
    status: Status
    module: str
    steps: tuple[StepResult, ...] = ()
    error: str | None = None
    last_step: str | None = None
    output_tail: str = ""
    seconds: float = 0.0
    output_bytes: int = 0  # everything the scenario's processes printed (the last 1 MiB is kept)

    @property
    def calls(self) -> list[StepResult]:
        return [s for s in self.steps if s.kind == "call"]

    def step(self, label_prefix: str) -> StepResult:
        return next(s for s in self.steps if s.label.startswith(label_prefix))
