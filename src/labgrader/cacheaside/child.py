"""The inside of one scenario: runs in a process forked for it, so whatever the student's module does (raise,
hang, print, exit, leave threads or sockets behind) ends with that process.

The environment is replaced by the scenario's, the module is imported fresh from its file, and the steps run in
order; the first step that raises ends the scenario. The grader's own Redis connection (for `inspect`, `delete`
and the timed rounds) comes from the request, never from the student's REDIS_URL.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from labgrader.cacheaside import instrument, values
from labgrader.cacheaside.protocol import Step, call_label

Emit = Callable[[dict[str, Any]], None]
RAW_LIMIT = 300
MIN_TIMED_ROUNDS = 5


def last_line(exc: BaseException) -> str:
    """`Type: message` as the last line of a traceback shows it (a SyntaxError with its line number)."""
    name = type(exc).__name__
    if isinstance(exc, SyntaxError):
        where = f" ({Path(exc.filename).name}, line {exc.lineno})" if exc.filename else ""
        return f"{name}: {exc.msg}{where}"
    text = str(exc).strip()
    if not text:
        return name
    return f"{name}: {text.splitlines()[-1].strip()}"


def import_module(path: Path) -> ModuleType:
    """Import the file at `path` as a fresh module (its folder first on sys.path, as `python path` would)."""
    name = path.stem if path.stem.isidentifier() and path.stem not in sys.modules else f"labgrader_student_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path.name}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _apply_environment(env: dict[str, str], folder: Path) -> None:
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(folder))
    os.chdir(folder)


class GraderRedis:
    """The grader's view of the lab's Redis (server side), separate from whatever the student's module uses."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self.url is None:
            raise RuntimeError("this scenario has no grader Redis connection")
        if self._client is None:
            from labgrader import redis_conn  # noqa: PLC0415 - only scenarios that look at Redis need it

            self._client = redis_conn.connect(self.url, decode=False)
        return self._client

    def inspect(self, key: str) -> dict[str, Any]:
        client = self.client
        kind = client.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        pttl = int(client.pttl(key))
        raw = ""
        if kind == "string":
            data = client.get(key)
            raw = data.decode("utf-8", "replace") if isinstance(data, bytes) else repr(data)
        elif kind == "hash":
            raw = repr(
                {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in client.hgetall(key).items()}
            )
        elif kind != "none":
            raw = f"<{kind}>"
        if len(raw) > RAW_LIMIT:
            raw = raw[: RAW_LIMIT - 1] + "…"
        return {"exists": kind != "none", "pttl": pttl, "type": kind, "raw": raw}

    def delete(self, key: str) -> None:
        self.client.delete(key)


class GraderError(Exception):
    """The grader itself could not look (its Redis went away mid-scenario): `error`, never the student's fail."""


def run(request: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Run one scenario; the returned dict is the outcome (the server adds timing and the printed output)."""
    path = Path(request["module"])
    grader = GraderRedis(request.get("grader_redis_url"))
    _apply_environment(request["env"], path.parent)
    emit({"event": "step", "label": f"import {path.name}"})
    try:
        with instrument.recording():
            module = import_module(path)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from a module are its failure
        return {"status": "import_error", "error": last_line(exc), "steps": []}
    missing = [name for name in request.get("functions", ()) if not callable(getattr(module, name, None))]
    if missing:
        return {"status": "missing_function", "error": ", ".join(missing), "steps": []}
    results: list[dict[str, Any]] = []
    for step in request["steps"]:
        try:
            result = _run_step(module, step, grader, emit)
        except GraderError as exc:
            return {"status": "grader_error", "error": str(exc), "steps": results}
        results.append(result)
        if not result["ok"]:
            return {"status": "step_error", "error": result["error"], "steps": results}
    return {"status": "ok", "steps": results}


def _run_step(module: ModuleType, step: Step, grader: GraderRedis, emit: Emit) -> dict[str, Any]:
    kind = step["kind"]
    if kind == "call":
        args = values.decode(step["args"])
        label = call_label(step["function"], args)
        emit({"event": "step", "label": label})
        return _call(getattr(module, step["function"]), args, label)
    if kind in ("inspect", "delete"):
        label = f"{kind} {step['key']}"
        emit({"event": "step", "label": label})
        try:
            if kind == "delete":
                grader.delete(step["key"])
                return {"kind": kind, "label": label, "ok": True}
            return {"kind": kind, "label": label, "ok": True, "key": grader.inspect(step["key"])}
        except Exception as exc:
            raise GraderError(f"the grader could not {kind} Redis key {step['key']}: {last_line(exc)}") from exc
    if kind == "timed_rounds":
        label = f"timed get_product rounds ({step['rounds']} at most)"
        emit({"event": "step", "label": label})
        return _timed_rounds(module, step, grader, label)
    raise ValueError(f"unknown scenario step {kind!r}")


def _call(function: Callable[..., Any], args: list[Any], label: str) -> dict[str, Any]:
    with instrument.recording() as log:
        started = time.perf_counter()
        try:
            value = function(*args)
        except BaseException as exc:  # noqa: BLE001 - whatever the student's function raises is its failure
            return {
                "kind": "call",
                "label": label,
                "ok": False,
                "error": last_line(exc),
                "seconds": time.perf_counter() - started,
                "operations": log.operations,
                "reads": log.reads,
                "traceback": traceback.format_exc(limit=-3)[-2000:],
            }
        seconds = time.perf_counter() - started
    return {
        "kind": "call",
        "label": label,
        "ok": True,
        "value": values.encode(value),
        "seconds": seconds,
        "operations": log.operations,
        "reads": log.reads,
    }


def _timed_rounds(module: ModuleType, step: Step, grader: GraderRedis, label: str) -> dict[str, Any]:
    """Alternate a real miss (key deleted first, untimed) and a hit, until `rounds` pairs or the time budget."""
    get = module.get_product
    category, sku, key = step["category"], step["sku"], step["key"]
    rounds, budget = int(step["rounds"]), float(step["budget_s"])

    def forget() -> None:
        try:
            grader.delete(key)
        except Exception as exc:
            raise GraderError(f"the grader could not delete Redis key {key}: {last_line(exc)}") from exc

    miss: list[float] = []
    hit: list[float] = []
    miss_reads = hit_reads = hit_rounds_with_reads = 0
    try:
        for _ in range(int(step.get("warmup", 0))):
            forget()
            get(category, sku)
            get(category, sku)
        deadline = time.perf_counter() + budget
        while len(miss) < rounds and (len(miss) < MIN_TIMED_ROUNDS or time.perf_counter() < deadline):
            forget()
            with instrument.recording() as log:
                started = time.perf_counter()
                get(category, sku)
                miss.append(time.perf_counter() - started)
            miss_reads += len(log.reads)
            with instrument.recording() as log:
                started = time.perf_counter()
                get(category, sku)
                hit.append(time.perf_counter() - started)
            hit_reads += len(log.reads)
            hit_rounds_with_reads += bool(log.reads)
    except GraderError:
        raise
    except BaseException as exc:  # noqa: BLE001 - the student's get_product failed during the rounds
        return {"kind": "timed_rounds", "label": label, "ok": False, "error": last_line(exc)}
    forget()
    data = {
        "miss": miss,
        "hit": hit,
        "miss_reads": miss_reads,
        "hit_reads": hit_reads,
        "hit_rounds_with_reads": hit_rounds_with_reads,
        "budget_exhausted": len(miss) < rounds,
    }
    return {"kind": "timed_rounds", "label": label, "ok": True, "data": data, "seconds": sum(miss) + sum(hit)}
