"""The inside of one scenario, in a process forked for it: import the student's module, then call its functions
when the grader asks and send back what they returned (or raised), as data.

This code runs in the student's process, so the module can change any of it; it decides nothing. The grader
times each call with its own clock, counts DynamoDB calls at its own endpoint, reads Redis on its own connection,
and checks every answer (each carries the random token of the call it answers).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from labgrader.cacheaside import values, wire


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
    # HOME and TMPDIR (the scratch folder) come from the server's own environment; the rest is the scenario's.
    kept = {k: os.environ[k] for k in ("HOME", "TMPDIR") if k in os.environ}
    os.environ.clear()
    os.environ.update({**env, **kept})
    sys.path.insert(0, str(folder))
    os.chdir(folder)


def _answer_call(module: ModuleType, message: dict[str, Any]) -> dict[str, Any]:
    token = message.get("token")
    try:
        function = getattr(module, str(message["call"]))
        args = values.decode(message["args"])
        value = function(*args)
        return {"token": token, "returned": values.encode(value)}
    except BaseException as exc:  # noqa: BLE001 - whatever the student's function raises is its answer
        return {"token": token, "raised": last_line(exc), "traceback": traceback.format_exc(limit=-3)[-2000:]}


def serve(request: dict[str, Any], fd: int) -> None:
    """Import the module, report, then answer calls until the grader closes the socket."""
    channel = socket.socket(fileno=fd)
    reader = wire.Reader()
    path = Path(request["module"])
    _apply_environment(request["env"], path.parent)
    try:
        module = import_module(path)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from a module are its failure
        wire.send(channel, {"import_error": last_line(exc)})
        return
    missing = [name for name in request.get("functions", ()) if not callable(getattr(module, name, None))]
    wire.send(channel, {"missing": missing} if missing else {"imported": True})
    while True:
        message = reader.next()
        if message is None:
            chunk = channel.recv(65536)
            if not chunk:
                return
            reader.feed(chunk)
            continue
        wire.send(channel, _answer_call(module, message))
