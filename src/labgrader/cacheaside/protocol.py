"""What the grader asks a scenario process to do, and what comes back (JSON lines between the two).

A scenario is a fresh import of the student's module in its own environment followed by steps:

- `call(function, *args)`: call the module's function, record its value (type-tagged), exception (last line),
  duration and the DynamoDB calls it made;
- `inspect(key)`: the grader looks at the Redis key from the server side (EXISTS, PTTL, TYPE, raw value);
- `delete(key)`: the grader removes the key;
- `timed_rounds(...)`: alternating miss/hit timings of `get_product` (the miss made real by deleting the key first).

The first step that raises ends the scenario (later steps depend on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from labgrader.cacheaside import values

Step = dict[str, Any]
Status = Literal["ok", "import_error", "missing_function", "step_error", "timeout", "crashed", "grader_error"]

CONTRACT_FUNCTIONS = ("get_product", "update_product")
# The folder (made and removed by the grader's runner) where the server keeps each scenario's captured output.
OUTPUT_DIR_ENV = "LABGRADER_SCENARIO_OUTPUT_DIR"


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

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "env": self.env,
            "steps": self.steps,
            "timeout_s": self.timeout_s,
            "grader_redis_url": self.grader_redis_url,
            "functions": list(self.functions),
        }


@dataclass(frozen=True)
class KeyState:
    """A Redis key seen from the server side."""

    exists: bool
    pttl: int  # milliseconds; -1 no expiry, -2 no key
    type: str
    raw: str  # the value as text (GET of a string, HGETALL of a hash, ...), truncated

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyState:
        return cls(bool(data["exists"]), int(data["pttl"]), str(data["type"]), str(data.get("raw", "")))


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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepResult:
        return cls(
            kind=str(data["kind"]),
            label=str(data["label"]),
            ok=bool(data["ok"]),
            value=values.decode(data.get("value")),
            error=data.get("error"),
            seconds=float(data.get("seconds", 0.0)),
            operations=tuple(data.get("operations", ())),
            reads=tuple(data.get("reads", ())),
            key=KeyState.from_json(data["key"]) if data.get("key") else None,
            data=dict(data.get("data") or {}),
        )


@dataclass(frozen=True)
class ScenarioOutcome:
    status: Status
    module: str
    steps: tuple[StepResult, ...] = ()
    error: str | None = None
    last_step: str | None = None
    output_tail: str = ""
    seconds: float = 0.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScenarioOutcome:
        return cls(
            status=data["status"],
            module=str(data["module"]),
            steps=tuple(StepResult.from_json(s) for s in data.get("steps", ())),
            error=data.get("error"),
            last_step=data.get("last_step"),
            output_tail=str(data.get("output_tail", "")),
            seconds=float(data.get("seconds", 0.0)),
        )

    @property
    def calls(self) -> list[StepResult]:
        return [s for s in self.steps if s.kind == "call"]

    def step(self, label_prefix: str) -> StepResult:
        return next(s for s in self.steps if s.label.startswith(label_prefix))
