"""The grader's side of a scenario: start the contained fork-server once per run, have it fork a process per
scenario, and drive that process one step at a time while observing from outside.

Everything a verdict rests on is taken here, in the grader's process: the time of each call (the grader's clock
around the request/answer round trip), the DynamoDB calls it made (counted by the grader's endpoint, proxy.py),
the Redis keys and TTLs (read on the grader's own connection between steps). What comes back from the student's
process is data: one bounded, schema-checked answer per call, carrying the call's random token; anything else on
the channel is the module's `protocol_error`. Its printed output is read through a pipe of its own: the last
1 MiB is kept, the rest counted.

The server has a network namespace of its own (containment.py): the module reaches its DynamoDB endpoint and Redis,
the destinations of its environment, through the grader's relay (relay.py), and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import socket
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Literal

from labgrader.cacheaside import containment, relay, values, wire
from labgrader.cacheaside.protocol import (
    KeyState,
    ScenarioOutcome,
    ScenarioRequest,
    Status,
    Step,
    StepResult,
    call_label,
)

START_TIMEOUT_S = 30.0
CONTROL_TIMEOUT_S = 3.0
OUTPUT_KEPT = 1024 * 1024
OUTPUT_TAIL = 2000
TEXT_LIMIT = 2000
RAW_LIMIT = 300
MIN_TIMED_ROUNDS = 5
CONTROL_FD_ENV = "LABGRADER_CONTROL_FD"


class ScenarioServerError(Exception):
    """The scenario server could not be started (a grader problem: `error`, never the student's `fail`)."""


class _ChannelClosedError(Exception):
    """The scenario's process closed its channel (it ended, or the module closed it)."""


class _DeadlineError(Exception):
    pass


class _GraderError(Exception):
    """The grader itself could not look (its Redis went away mid-scenario)."""


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def safe_path() -> str:
    """PATH for the student's side: the system's folders and this interpreter's, nothing of the grader's shell."""
    folders = [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    return os.pathsep.join(dict.fromkeys(folders))


class Output:
    """What the student's processes print: the last OUTPUT_KEPT bytes, and how many there were."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        self.kept += data
        if len(self.kept) > OUTPUT_KEPT:
            del self.kept[: len(self.kept) - OUTPUT_KEPT]

    def tail(self) -> str:
        return bytes(self.kept[-OUTPUT_TAIL * 4 :]).decode("utf-8", "replace")[-OUTPUT_TAIL:]


class _Channel:
    """The scenario's socket and output pipe, read together (the module's output never blocks it)."""

    def __init__(self, sock: socket.socket, output_fd: int, output: Output) -> None:
        self.sock = sock
        self.output_fd: int | None = output_fd
        self.output = output
        self.reader = wire.Reader()
        self.selector = selectors.DefaultSelector()
        self.selector.register(sock, selectors.EVENT_READ, "sock")
        self.selector.register(output_fd, selectors.EVENT_READ, "output")

    def _pump_output(self) -> None:
        assert self.output_fd is not None
        data = os.read(self.output_fd, 65536)
        if data:
            self.output.add(data)
        else:
            self.selector.unregister(self.output_fd)
            os.close(self.output_fd)
            self.output_fd = None

    def receive(self, deadline: float) -> dict[str, Any]:
        while True:
            message = self.reader.next()
            if message is not None:
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _DeadlineError
            for key, _ in self.selector.select(remaining):
                if key.data == "output":
                    self._pump_output()
                    continue
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise _ChannelClosedError
                self.reader.feed(chunk)

    def unasked(self) -> bool:
        """Whether the module wrote on the channel without being asked (a forged answer waiting to be read)."""
        if self.reader.pending:
            return True
        for key, _ in self.selector.select(0):
            if key.data == "sock":
                chunk = self.sock.recv(65536)
                if chunk:
                    self.reader.feed(chunk)
                    return True
                raise _ChannelClosedError
        return False

    def drain_output(self, deadline: float) -> None:
        """Read the output pipe to its end (every writer is dead by now), or until the deadline."""
        self.selector.unregister(self.sock)
        while self.output_fd is not None and time.monotonic() < deadline:
            if self.selector.select(max(0.0, deadline - time.monotonic())):
                self._pump_output()

    def close(self) -> None:
        if self.output_fd is not None:
            os.close(self.output_fd)
            self.output_fd = None
        self.selector.close()
        self.sock.close()


def _text(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str):
        raise wire.GarbageError(f"an answer whose {name!r} is not text")
    return value if len(value) <= TEXT_LIMIT else value[: TEXT_LIMIT - 1] + "…"


class ScenarioRunner:
    def __init__(self, visible: Iterable[Path] = (), level: containment.Level | None = None) -> None:
        self._visible: set[Path] = {Path(p).resolve() for p in visible}
        self._level = level  # None: the strongest this machine allows
        self._sandbox: containment.Sandbox | None = None
        self._control: socket.socket | None = None
        self._reader = wire.Reader()
        self._log: IO[bytes] | None = None
        self._spawned_at = 0.0
        self._ready = False
        self.started_in_s: float | None = None
        self.level: containment.Level | None = None
        self.process_limit: str | None = None
        self.memory_limit: int | None = None  # the whole tree's, when the kernel holds it
        self.survivors: list[int] = []
        self._redis: dict[str, Any] = {}
        self._relay: relay.Relay | None = None
        # The current server's relayed destinations, by where they listen inside: (address, port).
        self._routes: dict[tuple[str, int], relay.Destination] = {}
        # Set for the rest of the run once a destination could not be relayed (or no network namespace could be
        # made): the scorecard says the module shared the grader's network.
        self.network_shared = False

    # --- the contained server -----------------------------------------------------------------------------------

    def prestart(self, folder: Path | None = None) -> None:
        """Spawn the server now without waiting for it (its imports overlap with other checks)."""
        if folder is not None:
            self._visible.add(folder.resolve())
        if not self._alive():
            self._spawn()

    def _alive(self) -> bool:
        return self._sandbox is not None and self._sandbox.proc.poll() is None

    def _spawn(self) -> None:
        self.close()
        self._spawned_at = time.monotonic()
        self._ready = False
        self._reader = wire.Reader()
        ours, theirs = socket.socketpair()
        self._log = tempfile.TemporaryFile(prefix="labgrader-scenario-server-")  # noqa: SIM115 - lives with the server
        env = {
            "PATH": safe_path(),
            "LANG": "C.UTF-8",
            "PYTHONPATH": _package_root(),
            "PYTHONDONTWRITEBYTECODE": "1",
            CONTROL_FD_ENV: str(theirs.fileno()),
        }
        self._relay = relay.Relay()
        self._routes = {}
        try:
            self._sandbox = containment.start(
                [sys.executable, "-m", "labgrader.cacheaside.server"],
                env=env,
                pass_fds=(theirs.fileno(),),
                stderr=self._log.fileno(),
                visible=[Path(_package_root()), self._relay.folder, *self._visible],
                level=self._level,
                network="shared" if self.network_shared else "own",
                hosts=self._relay.hosts,
            )
        except OSError as exc:
            ours.close()
            raise ScenarioServerError(f"the scenario server could not start: {exc}") from exc
        finally:
            theirs.close()
        if self._sandbox.network == "shared" and self._sandbox.level != "process-group":
            self.network_shared = True
        self.level = self._sandbox.level
        self.process_limit = self._sandbox.process_limit
        self.memory_limit = containment.TREE_MEMORY_LIMIT if containment.memory_limited(self._sandbox) else None
        self._control = ours

    def _server(self) -> socket.socket:
        """The running, ready server's control socket (spawned now if needed)."""
        if not self._alive():
            self._spawn()
        assert self._control is not None
        assert self._sandbox is not None
        if not self._ready:
            try:
                ready = self._control_message(self._spawned_at + START_TIMEOUT_S)
            except (_ChannelClosedError, _DeadlineError, wire.GarbageError, OSError) as exc:
                log = self._server_log()
                self.close()
                why = "did not answer in time" if isinstance(exc, _DeadlineError) else "exited"
                raise ScenarioServerError(f"the scenario server {why}{': ' + log if log else ''}") from exc
            if ready.get("ready") is not True or not isinstance(ready.get("namespace"), str):
                self.close()
                raise ScenarioServerError(f"the scenario server did not start: {ready}")
            if self._sandbox.level != "process-group":
                self._sandbox.namespace = ready["namespace"]
            self._ready = True
            self.started_in_s = time.monotonic() - self._spawned_at
        return self._control

    def _server_log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read(65536).decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else ""

    def _control_message(self, deadline: float) -> dict[str, Any]:
        assert self._control is not None
        while (message := self._reader.next()) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _DeadlineError
            self._control.settimeout(remaining)
            try:
                chunk = self._control.recv(65536)
            except TimeoutError as exc:
                raise _DeadlineError from exc
            if not chunk:
                raise _ChannelClosedError
            self._reader.feed(chunk)
        return message

    def _ensure_visible(self, folder: Path) -> None:
        folder = folder.resolve()
        if folder in self._visible or self.level not in (None, "bwrap") or not containment.needs_binding(folder):
            return
        self._visible.add(folder)
        if self._alive():
            self._spawn()  # a folder the sandbox hides: started again with it bound read-only

    def _route(self, env: dict[str, str]) -> list[list[Any]]:
        """The relay entries (address, port, Unix socket) of the destinations in `env` the server must serve
        inside its network namespace (a server with the grader's network instead when one cannot be served)."""
        if not self._alive():
            self._spawn()
        assert self._sandbox is not None
        assert self._relay is not None
        if self._sandbox.network != "own":
            return []
        wanted: dict[tuple[str, int], relay.Destination] = {}
        for destination in relay.destinations(env):
            address = relay.inside_address(destination[0], names=containment.maps_host_names(self._sandbox.level))
            if address is None or wanted.setdefault((address, destination[1]), destination) != destination:
                self.network_shared = True  # for the rest of the run: the scorecard says so
                self._spawn()
                return []
        if any(self._routes.get(inside, wanted[inside]) != wanted[inside] for inside in wanted):
            self._spawn()  # a port served for another destination: a server with fresh listeners
            return self._route(env)
        entries: list[list[Any]] = []
        for inside, destination in wanted.items():
            if inside not in self._routes:
                if not relay.reachable(destination):
                    continue  # nothing listens there: inside, the module's connection is refused as well
                self._routes[inside] = destination
                if inside[0] != destination[0]:
                    self._relay.map_names(d[0] for i, d in self._routes.items() if i[0] != d[0])
            entries.append([*inside, self._relay.path(destination)])
        return entries

    # --- one scenario ---------------------------------------------------------------------------------------------

    def run(self, request: ScenarioRequest) -> ScenarioOutcome:
        module = Path(request.module).resolve()  # the sandbox's working folder is /, not the grader's
        self._ensure_visible(module.parent)
        entries = self._route(request.env)
        control = self._server()
        started = time.monotonic()
        ours, theirs = socket.socketpair()
        output_r, output_w = os.pipe()
        env = {**request.env}
        env.setdefault("PATH", safe_path())
        start = {"module": str(module), "env": env, "functions": list(request.functions)}
        output = Output()
        channel = _Channel(ours, output_r, output)
        try:
            wire.send(control, {"start": start, "relay": entries}, (theirs.fileno(), output_w))
        except OSError as exc:
            channel.close()
            self.close()
            raise ScenarioServerError(f"the scenario server went away: {exc}") from exc
        finally:
            theirs.close()
            os.close(output_w)
        scenario = _Scenario(self, request, channel, started + request.timeout_s)
        try:
            status, error, steps = scenario.run()
        except BaseException:
            # Ctrl-C: stop the scenario before the check's teardown deletes the scratch data, or the student's
            # module could write it again afterwards.
            channel.close()
            self.close()
            raise
        channel.sock.close()
        code, server_gone = self._finish()
        channel.drain_output(time.monotonic() + 1.0)
        channel.close()
        final: Status = "crashed" if status == "ended" else status
        if status == "ended":
            error = self._ended_reason(code, server_gone)
        return ScenarioOutcome(
            status=final,
            module=module.name,
            steps=tuple(steps),
            error=error,
            last_step=scenario.last_step,
            output_tail=output.tail(),
            seconds=time.monotonic() - started,
            output_bytes=output.total,
        )

    @staticmethod
    def _ended_reason(code: int | None, server_gone: bool) -> str:
        if server_gone:
            return "the sandbox's server process was killed, which ended the scenario without an answer"
        how = f"exit code {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"
        return f"the scenario process ended ({how}) without an answer"

    def _finish(self) -> tuple[int | None, bool]:
        """Have the server kill the scenario's processes; (the child's exit code, whether the server was gone)."""
        try:
            wire.send(self._server(), {"finish": True})
            answer = self._control_message(time.monotonic() + CONTROL_TIMEOUT_S)
        except (_ChannelClosedError, _DeadlineError, wire.GarbageError, OSError, ScenarioServerError):
            answer = {}
        code = answer.get("code")
        if answer.get("finished") is not True or not isinstance(code, int):
            # The module killed or broke the server: the whole sandbox goes, the next scenario gets a new one.
            self.close()
            return None, True
        return code, False

    def grader_redis(self, url: str) -> Any:
        if url not in self._redis:
            from labgrader import redis_connection as redis_conn  # noqa: PLC0415 - the grader side only

            self._redis[url] = redis_conn.connect(url, decode=False)
        return self._redis[url]

    def close(self) -> None:
        """Stop the server and every process of the sandbox; `survivors` lists any that would not die (none)."""
        sandbox, self._sandbox = self._sandbox, None
        self._ready = False
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        if sandbox is not None:
            self.survivors = sandbox.close()
        if self._relay is not None:
            self._relay.close()
            self._relay = None
        if self._log is not None:
            self._log.close()
            self._log = None
        for client in self._redis.values():
            with contextlib.suppress(Exception):
                client.close()
        self._redis.clear()


class _Scenario:
    """One scenario's steps, driven from the grader's side."""

    def __init__(self, runner: ScenarioRunner, request: ScenarioRequest, channel: _Channel, deadline: float) -> None:
        self.runner = runner
        self.request = request
        self.channel = channel
        self.deadline = deadline
        self.last_step: str | None = None

    def run(self) -> tuple[Status | Literal["ended"], str | None, list[StepResult]]:
        steps: list[StepResult] = []
        try:
            self._check_started()
            failed_import = self._import()
            if failed_import is not None:
                return (*failed_import, steps)
            for step in self.request.steps:
                result = self._step(step)
                steps.append(result)
                if not result.ok:
                    return "step_error", result.error, steps
        except _ChannelClosedError:
            return "ended", None, steps
        except _DeadlineError:
            return "timeout", f"no answer within {self.request.timeout_s:g} s", steps
        except wire.GarbageError as exc:
            return "protocol_error", f"the scenario process wrote {exc} on the grader's channel", steps
        except _GraderError as exc:
            return "grader_error", str(exc), steps
        return "ok", None, steps

    def _import(self) -> tuple[Status, str] | None:
        """None once the module is imported with its functions; else (status, error)."""
        self.last_step = f"import {Path(self.request.module).name}"
        imported = self.channel.receive(self.deadline)
        if isinstance(imported.get("import_error"), str):
            return "import_error", _text(imported, "import_error")
        missing = imported.get("missing")
        if isinstance(missing, list) and missing and all(isinstance(m, str) for m in missing):
            return "missing_function", ", ".join(m[:100] for m in missing)
        if imported != {"imported": True}:
            raise wire.GarbageError("an answer that is not the module's import")
        return None

    def _check_started(self) -> None:
        try:
            answer = self.runner._control_message(time.monotonic() + CONTROL_TIMEOUT_S)
        except (_DeadlineError, wire.GarbageError, OSError) as exc:
            raise _ChannelClosedError from exc
        if answer.get("started") is not True:
            raise _ChannelClosedError

    def call(self, function: str, args: list[Any]) -> tuple[dict[str, Any], float, list[Any]]:
        """Ask for one call; (the checked answer, the grader's round-trip seconds, the DynamoDB calls it made)."""
        if self.channel.unasked():
            raise wire.GarbageError("an answer nobody asked for")
        token = secrets.token_hex(8)
        proxy = self.request.dynamodb
        mark = proxy.mark() if proxy else 0
        message = wire.frame({"call": function, "args": values.encode(args), "token": token})
        started = time.perf_counter()
        self.channel.sock.sendall(message)
        answer = self.channel.receive(self.deadline)
        seconds = time.perf_counter() - started
        calls = proxy.since(mark) if proxy else []
        if answer.get("token") != token:
            raise wire.GarbageError("an answer to a call the grader did not make")
        if "returned" in answer:
            try:
                answer["value"] = values.decode(answer["returned"])
            except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
                raise wire.GarbageError(f"a value that does not decode ({type(exc).__name__})") from exc
        elif "raised" in answer:
            answer["raised"] = _text(answer, "raised")
            answer["traceback"] = _text(answer, "traceback") if "traceback" in answer else ""
        else:
            raise wire.GarbageError("an answer with neither a value nor an exception")
        return answer, seconds, calls

    def _step(self, step: Step) -> StepResult:
        kind = step["kind"]
        if kind == "call":
            args = values.decode(step["args"])
            label = call_label(step["function"], args)
            self.last_step = label
            answer, seconds, calls = self.call(step["function"], args)
            operations = tuple(c.operation for c in calls)
            reads = tuple(c.operation for c in calls if c.read)
            if "raised" in answer:
                return StepResult(
                    kind, label, False, error=answer["raised"], seconds=seconds, operations=operations, reads=reads
                )
            return StepResult(
                kind, label, True, value=answer["value"], seconds=seconds, operations=operations, reads=reads
            )
        if kind in ("inspect", "delete"):
            label = f"{kind} {step['key']}"
            self.last_step = label
            try:
                if kind == "delete":
                    self._redis().delete(step["key"])
                    return StepResult(kind, label, True)
                return StepResult(kind, label, True, key=self._inspect(step["key"]))
            except Exception as exc:
                from labgrader.cacheaside.child import last_line  # noqa: PLC0415

                raise _GraderError(f"the grader could not {kind} Redis key {step['key']}: {last_line(exc)}") from exc
        if kind == "timed_rounds":
            label = f"timed get_product rounds ({step['rounds']} at most)"
            self.last_step = label
            return self._timed_rounds(step, label)
        raise ValueError(f"unknown scenario step {kind!r}")

    def _redis(self) -> Any:
        url = self.request.grader_redis_url
        if url is None:
            raise RuntimeError("this scenario has no grader Redis connection")
        return self.runner.grader_redis(url)

    def _inspect(self, key: str) -> KeyState:
        client = self._redis()
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
        return KeyState(kind != "none", pttl, kind, raw)

    def _forget(self, key: str) -> None:
        try:
            self._redis().delete(key)
        except Exception as exc:
            from labgrader.cacheaside.child import last_line  # noqa: PLC0415

            raise _GraderError(f"the grader could not delete Redis key {key}: {last_line(exc)}") from exc

    def _timed_rounds(self, step: Step, label: str) -> StepResult:
        """Alternate a real miss (key deleted first, untimed) and a hit, until `rounds` pairs or the time budget;
        each call timed by the grader's clock, its DynamoDB reads counted at the grader's endpoint."""
        category, sku, key = step["category"], step["sku"], step["key"]
        rounds, budget = int(step["rounds"]), float(step["budget_s"])
        miss: list[float] = []
        hit: list[float] = []
        miss_reads = hit_reads = hit_rounds_with_reads = 0

        def get() -> tuple[float, int] | str:
            answer, seconds, calls = self.call("get_product", [category, sku])
            if "raised" in answer:
                return str(answer["raised"])
            return seconds, sum(1 for c in calls if c.read)

        for _ in range(int(step.get("warmup", 0))):
            self._forget(key)
            for _twice in range(2):
                if isinstance(failed := get(), str):
                    return StepResult("timed_rounds", label, False, error=failed)
        deadline = time.perf_counter() + budget
        while len(miss) < rounds and (len(miss) < MIN_TIMED_ROUNDS or time.perf_counter() < deadline):
            self._forget(key)
            first = get()
            if isinstance(first, str):
                return StepResult("timed_rounds", label, False, error=first)
            second = get()
            if isinstance(second, str):
                return StepResult("timed_rounds", label, False, error=second)
            miss.append(first[0])
            miss_reads += first[1]
            hit.append(second[0])
            hit_reads += second[1]
            hit_rounds_with_reads += bool(second[1])
        self._forget(key)
        data = {
            "miss": miss,
            "hit": hit,
            "miss_reads": miss_reads,
            "hit_reads": hit_reads,
            "hit_rounds_with_reads": hit_rounds_with_reads,
            "budget_exhausted": len(miss) < rounds,
        }
        return StepResult("timed_rounds", label, True, data=data, seconds=sum(miss) + sum(hit))
