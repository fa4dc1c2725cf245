"""The grader's side of the scenario fork-server: start it once per run, send scenarios, read outcomes.

The server enforces each scenario's timeout itself; this side waits a little longer (the server's own margin) so
a wedged server becomes an `error` of that check, and is restarted for the next scenario.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from labgrader.cacheaside.protocol import OUTPUT_DIR_ENV, ScenarioOutcome, ScenarioRequest

START_TIMEOUT_S = 30.0
ANSWER_MARGIN_S = 5.0


class ScenarioServerError(Exception):
    """The scenario server itself failed (a grader problem: `error`, never the student's `fail`)."""


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


class ScenarioRunner:
    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._buffer = b""
        self._spawned_at = 0.0
        self._ready = False
        self._busy = False  # a scenario was sent and its answer not read yet
        self._output_dir: str | None = None
        self.started_in_s: float | None = None

    def prestart(self) -> None:
        """Spawn the server now without waiting for it (its imports overlap with other checks)."""
        if self._proc is None or self._proc.poll() is not None:
            self._spawn()

    def _spawn(self) -> None:
        self.close()
        self._spawned_at = time.monotonic()
        self._ready = False
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH", "")) if p)
        env.pop("PYTHONSTARTUP", None)
        self._log = tempfile.TemporaryFile(prefix="labgrader-scenario-server-")  # noqa: SIM115 - lives with the server
        # The scenarios' output files live here, removed with the server even if it was killed mid-scenario.
        self._output_dir = tempfile.mkdtemp(prefix="labgrader-scenarios-")
        env[OUTPUT_DIR_ENV] = self._output_dir
        proc = subprocess.Popen(
            [sys.executable, "-m", "labgrader.cacheaside.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            start_new_session=True,
        )
        self._proc = proc
        self._buffer = b""

    def _server(self) -> subprocess.Popen[bytes]:
        """The running, ready server (spawned now if needed)."""
        if self._proc is None or self._proc.poll() is not None:
            self._spawn()
        assert self._proc is not None
        if not self._ready:
            ready = self._read_line(self._spawned_at + START_TIMEOUT_S)
            if not ready.get("ready"):
                self.close()
                raise ScenarioServerError(f"the scenario server did not start: {ready}")
            self._ready = True
            self.started_in_s = time.monotonic() - self._spawned_at
        return self._proc

    def _server_log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else ""

    def _read_line(self, deadline: float) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    if time.monotonic() < deadline:
                        continue
                    self.close()
                    raise ScenarioServerError("the scenario server did not answer in time (restarting it)")
                chunk = os.read(fd, 65536)
                if not chunk:
                    log = self._server_log()
                    self.close()
                    raise ScenarioServerError(f"the scenario server exited{': ' + log if log else ''}")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        data: dict[str, Any] = json.loads(line)
        return data

    def run(self, request: ScenarioRequest) -> ScenarioOutcome:
        proc = self._server()
        assert proc.stdin is not None
        try:
            self._busy = True
            try:
                proc.stdin.write(json.dumps(request.to_json()).encode() + b"\n")
                proc.stdin.flush()
            except OSError as exc:
                raise ScenarioServerError(f"the scenario server went away: {exc}") from exc
            answer = self._read_line(time.monotonic() + request.timeout_s + ANSWER_MARGIN_S)
        except BaseException:
            # Ctrl-C, or no answer: the scenario may still be running. Stop it before the check's teardown deletes
            # the scratch data, or the student's module could write it again afterwards.
            self.close()
            raise
        self._busy = False
        return ScenarioOutcome.from_json(answer)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        self._ready = False
        busy, self._busy = self._busy, False
        if proc is not None:
            if busy and proc.poll() is None:
                proc.terminate()  # the server kills the running scenario's process group, then exits
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._output_dir is not None:
            shutil.rmtree(self._output_dir, ignore_errors=True)
            self._output_dir = None
