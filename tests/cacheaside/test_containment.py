"""The scenario sandbox without any endpoint: what the student's process can see, write, signal and use, and how
the grader treats what it writes on the grader's channel."""

from __future__ import annotations

import contextlib
import os
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labgrader.cacheaside import containment, wire
from labgrader.cacheaside.protocol import ScenarioOutcome, ScenarioRequest, call
from labgrader.cacheaside.runner import OUTPUT_KEPT, ScenarioRunner
from tests.processes import processes_running

CONTRACT = "\ndef update_product(category, sku, changes):\n    return None\n"
bwrap_only = pytest.mark.skipif(containment.available() != "bwrap", reason="needs bubblewrap (the full sandbox)")


@pytest.fixture(scope="module")
def runner() -> Iterator[ScenarioRunner]:
    scenario_runner = ScenarioRunner()
    yield scenario_runner
    scenario_runner.close()


Run = Callable[..., ScenarioOutcome]


@pytest.fixture
def run(runner: ScenarioRunner, tmp_path: Path) -> Run:
    def scenario(source: str, *, timeout_s: float = 5.0) -> ScenarioOutcome:
        path = tmp_path / "student_module.py"
        path.write_text(textwrap.dedent(source) + CONTRACT, encoding="utf-8")
        request = ScenarioRequest(
            module=str(path), env={"LAB_TABLE": "T"}, steps=[call("get_product", "a", "1")], timeout_s=timeout_s
        )
        return runner.run(request)

    return scenario


@bwrap_only
def test_the_module_sees_only_its_own_processes_and_cannot_signal_the_grader(run: Run):
    outcome = run(
        f"""
        import os
        def get_product(category, sku):
            try:
                os.kill({os.getpid()}, 0)
                grader = "signalled"
            except ProcessLookupError:
                grader = "no such process"
            pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
            return {{"pids": pids, "grader": grader, "ppid": os.getppid()}}
        """
    )
    assert outcome.status == "ok", outcome.error
    value = outcome.steps[0].value
    assert value["grader"] == "no such process"
    assert value["pids"][:3] == [1, 2, 3]  # bwrap's init, the server, this scenario
    assert len(value["pids"]) == 3
    assert value["ppid"] == 2


@bwrap_only
def test_the_module_runs_as_nobody_without_capabilities_on_a_read_only_file_system(run: Run, tmp_path: Path):
    outcome = run(
        f"""
        import os
        def attempt(path):
            try:
                with open(path, "w") as f:
                    f.write("x")
                return "written"
            except OSError as exc:
                return type(exc).__name__ + ": " + (exc.strerror or "")
        def get_product(category, sku):
            status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
            return {{
                "uid": os.getuid(),
                "caps": status["CapEff"].strip(),
                "own_folder": attempt({str(tmp_path / "planted.txt")!r}),
                "graders_folder": attempt({str(Path.cwd() / "planted.txt")!r}),
                "home": attempt(os.path.join(os.environ["HOME"], "notes.txt")),
                "root": sorted(os.listdir("/root")),
            }}
        """
    )
    assert outcome.status == "ok", outcome.error
    value = outcome.steps[0].value
    assert value["uid"] == containment.SANDBOX_UID
    assert value["caps"] == "0000000000000000"
    assert value["own_folder"] == value["graders_folder"] == "OSError: Read-only file system"
    assert value["home"] == "written"  # the scratch tmpfs, gone with the sandbox
    # Home folders are hidden (credentials, tokens, shell history): only what the interpreter needs is bound back.
    needed = {p.relative_to("/root").parts[0] for p in containment.python_paths() if p.is_relative_to("/root")}
    assert set(value["root"]) <= needed
    assert not {".aws", ".config", ".gitconfig", ".ssh"} & set(value["root"])
    assert not (tmp_path / "planted.txt").exists()


def test_limits_apply_to_the_module(run: Run):
    outcome = run(
        """
        import resource
        def get_product(category, sku):
            limits = resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CORE)[0]
            return {"as": limits[0], "core": limits[1]}
        """
    )
    assert outcome.steps[0].value == {"as": containment.MEMORY_LIMIT, "core": 0}


def _write_on_channel(payload: bytes) -> str:
    return f"""
        import os, socket, stat
        def get_product(category, sku):
            for name in os.listdir("/proc/self/fd"):
                fd = int(name)
                try:
                    unix = stat.S_ISSOCK(os.fstat(fd).st_mode) and socket.socket(fileno=os.dup(fd)).family == 1
                    if unix:
                        os.write(fd, {payload!r})
                except OSError:
                    pass
            return {{"sku": sku}}
        """


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"\x00\x00\x00\x05hello", "a message that is not JSON (JSONDecodeError)"),
        (b"\x00\x00\x00\x02[]", "a JSON list instead of a message"),
        (b"\xff\xff\xff\xff", "a message of 4294967295 bytes (at most 4194304)"),
        (wire.frame({"token": "guess", "returned": "forged"}), "an answer to a call the grader did not make"),
    ],
    ids=["not-json", "not-an-object", "oversized", "forged-token"],
)
def test_anything_but_the_answer_on_the_channel_is_the_modules_protocol_error(run: Run, payload: bytes, error: str):
    outcome = run(_write_on_channel(payload))
    assert outcome.status == "protocol_error"
    assert outcome.error == f"the scenario process wrote {error} on the grader's channel"


def test_printed_output_is_kept_bounded_and_counted(run: Run):
    outcome = run(
        """
        import sys
        def get_product(category, sku):
            for _ in range(3 * 1024):
                sys.stdout.write("y" * 1023 + "\\n")
            return None
        """
    )
    assert outcome.status == "ok"
    assert outcome.output_bytes == 3 * 1024 * 1024 > OUTPUT_KEPT
    assert outcome.output_tail.endswith("y" * 1023 + "\n")
    assert len(outcome.output_tail) <= 2000


def test_a_weaker_containment_is_said_at_the_top_of_the_scorecard():
    from labgrader.engine.results import RunResult
    from labgrader.reports.scorecard import render

    lines: list[str] = []
    weaker = RunResult(lab="week8", target="local", started_at="", duration_s=1.0, extra={})
    weaker.extra["containment_warning"] = containment.WEAKER["process-group"]
    render(weaker, lines.append)
    assert lines[0] == f"note: {containment.WEAKER['process-group']}"
    lines.clear()
    weaker.extra["student_processes_left"] = [4242, 4243]
    render(weaker, lines.append)
    assert lines[0] == (
        f"note: {containment.WEAKER['process-group']}; 2 process(es) the student's code started outlived the run "
        "(pids 4242, 4243)"
    )
    lines.clear()
    render(RunResult(lab="week8", target="local", started_at="", duration_s=1.0), lines.append)
    assert not any(line.startswith("note:") for line in lines)


@bwrap_only
def test_a_module_in_a_hidden_folder_is_bound_back_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    hidden = tmp_path / "home"
    student = hidden / "student"
    student.mkdir(parents=True)
    (hidden / "grader-secret.txt").write_text("not for the module", encoding="utf-8")
    (student / "helper.py").write_text("VALUE = 'next to the module'\n", encoding="utf-8")
    (student / "products.py").write_text(
        "import os, helper\n"
        "def get_product(category, sku):\n"
        f"    return {{'helper': helper.VALUE, 'siblings': sorted(os.listdir({str(hidden)!r}))}}\n" + CONTRACT,
        encoding="utf-8",
    )
    monkeypatch.setattr(containment, "HIDDEN", (*containment.HIDDEN, str(hidden)))
    runner = ScenarioRunner()
    try:
        relative = os.path.relpath(student / "products.py")
        outcome = runner.run(
            ScenarioRequest(module=relative, env={}, steps=[call("get_product", "a", "1")], timeout_s=5)
        )
    finally:
        runner.close()
    assert outcome.status == "ok", outcome.error
    assert outcome.steps[0].value == {"helper": "next to the module", "siblings": ["student"]}


@bwrap_only
def test_the_module_cannot_read_or_trace_the_server(run: Run):
    # Same user inside the sandbox, no capabilities: only the server's non-dumpable flag stands in the way.
    outcome = run(
        """
        import os
        def get_product(category, sku):
            try:
                with open(f"/proc/{os.getppid()}/mem", "rb") as memory:
                    memory.read(1)
                return "read"
            except OSError as exc:
                return type(exc).__name__
        """
    )
    assert outcome.steps[0].value == "PermissionError"


def _usable(level: containment.Level) -> bool:
    if level == "bwrap":
        return containment.available() == "bwrap"
    return containment.available() in ("bwrap", "unshare") and containment._probe(
        [*containment._unshare_base(), "true"]
    )


@pytest.mark.parametrize("level", ["bwrap", "unshare"])
def test_an_escaped_double_fork_dies_with_its_scenario_at_each_namespace_level(tmp_path: Path, level):
    if not _usable(level):
        pytest.skip(f"{level} cannot make a PID namespace here")
    marker = f"{os.getpid()}.{level}"
    module = tmp_path / "escapes.py"
    module.write_text(
        "import os, time\n"
        "def get_product(category, sku):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        f"            os.execv('/bin/sleep', ['sleep', '30', {marker!r}])\n"
        "        os._exit(0)\n"
        "    time.sleep(0.2)\n"
        "    return 'forked'\n" + CONTRACT,
        encoding="utf-8",
    )
    runner = ScenarioRunner(level=level)
    try:
        outcome = runner.run(
            ScenarioRequest(module=str(module), env={}, steps=[call("get_product", "a", "1")], timeout_s=5)
        )
        assert outcome.status == "ok", outcome.error
        assert runner.level == level
        assert not processes_running(marker)  # gone when its scenario ended, before the server is even stopped
    finally:
        runner.close()
    assert runner.survivors == []


@bwrap_only
def test_daemon_sockets_under_run_and_tmp_are_out_of_reach(run: Run, tmp_path_factory: pytest.TempPathFactory):
    # A root daemon's socket (Docker's /run/docker.sock gives whoever connects the whole machine): the module runs
    # as the grader's user outside its namespace, so only hiding the folders stands between it and the daemon.
    import socket

    folder = tmp_path_factory.mktemp("daemon")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "daemon.sock"))
    listener.listen(1)
    try:
        outcome = run(
            f"""
            import os, socket
            def connect(path):
                s = socket.socket(socket.AF_UNIX)
                try:
                    s.connect(path)
                    return "connected"
                except OSError as exc:
                    return type(exc).__name__
                finally:
                    s.close()
            def get_product(category, sku):
                return {{
                    "planted": connect({str(folder / "daemon.sock")!r}),
                    "docker": connect("/var/run/docker.sock"),
                    "run": os.listdir("/run"),
                }}
            """
        )
    finally:
        listener.close()
    assert outcome.status == "ok", outcome.error
    value = outcome.steps[0].value
    assert value["planted"] == "FileNotFoundError"
    assert value["docker"] == "FileNotFoundError"
    assert value["run"] == [] or set(value["run"]) <= {"systemd"}  # at most the resolver's file, bound back


def test_the_module_s_processes_together_stay_under_the_tree_s_memory_limit(runner: ScenarioRunner, run: Run):
    # Each child stays under its own address-space limit (RLIMIT_AS); only the tree's limit stops them together.
    each = 600 * 1024**2
    children = containment.TREE_MEMORY_LIMIT // each + 2
    outcome = run(
        f"""
        import os, time
        def get_product(category, sku):
            pids = []
            for _ in range({children}):
                pid = os.fork()
                if pid == 0:
                    block = b"x" * {each}
                    time.sleep(1.5)
                    os._exit(0 if block else 1)
                pids.append(pid)
            return [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
        """,
        timeout_s=20,
    )
    if runner.memory_limit is None:
        pytest.skip("the grader may not make a memory cgroup here: only the per-process limit applies")
    assert outcome.status == "ok", outcome.error
    codes = outcome.steps[0].value
    assert -9 in codes, codes  # the kernel killed some of them at the tree's limit
    assert codes.count(0) * each <= containment.TREE_MEMORY_LIMIT, codes


def test_at_the_unshare_level_the_module_cannot_unmount_its_proc_to_see_the_grader(tmp_path: Path):
    if not _usable("unshare"):
        pytest.skip("unshare cannot make a PID namespace here")
    module = tmp_path / "looks_out.py"
    module.write_text(
        "import ctypes, os\n"
        "def get_product(category, sku):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    unmounted = libc.umount2(b'/proc', 2) == 0\n"  # MNT_DETACH
        "    status = dict(line.split(':', 1) for line in open('/proc/self/status') if ':' in line)\n"
        f"    grader = os.path.exists('/proc/{os.getpid()}/environ')\n"
        "    return {'unmounted': unmounted, 'caps': status['CapEff'].strip(), 'grader': grader}\n" + CONTRACT,
        encoding="utf-8",
    )
    runner = ScenarioRunner(level="unshare")
    try:
        outcome = runner.run(
            ScenarioRequest(module=str(module), env={}, steps=[call("get_product", "a", "1")], timeout_s=5)
        )
    finally:
        runner.close()
    assert outcome.status == "ok", outcome.error
    assert outcome.steps[0].value == {"unmounted": False, "caps": "0000000000000000", "grader": False}


@pytest.fixture
def echo_server() -> Iterator[Callable[[], int]]:
    """echo_server() -> a loopback port whose connections get back what they send."""
    import socket
    import threading

    listeners: list[socket.socket] = []

    def echo(connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(4096):
                connection.sendall(data)

    def accept(listener: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                threading.Thread(target=echo, args=(listener.accept()[0],), daemon=True).start()

    def start() -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)
        threading.Thread(target=accept, args=(listener,), daemon=True).start()
        return int(listener.getsockname()[1])

    yield start
    for listener in listeners:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()


NETWORK_PROBE = """
    import os, socket, time
    from urllib.parse import urlsplit
    def reach(host, port, timeout=5.0):
        started = time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=timeout) as s:
                s.sendall(b"ping")
                answer = s.recv(4).decode()
        except OSError as exc:
            answer = type(exc).__name__
        return answer, time.monotonic() - started
    def get_product(category, sku):
        endpoint, redis = urlsplit(os.environ["AWS_ENDPOINT_URL"]), urlsplit(os.environ["REDIS_URL"])
        return {
            "endpoint": reach(endpoint.hostname, endpoint.port)[0],
            "redis": reach(redis.hostname, redis.port)[0],
            "other": reach("127.0.0.1", int(os.environ["OTHER_PORT"]))[0],
            "metadata": reach("169.254.169.254", 80),
        }
    """


def network_probe(tmp_path: Path, echo_server: Callable[[], int]) -> tuple[Path, dict[str, str]]:
    """NETWORK_PROBE as a module, and its environment: an endpoint and a Redis (echo servers), and another port."""
    module = tmp_path / "network.py"
    module.write_text(textwrap.dedent(NETWORK_PROBE) + CONTRACT, encoding="utf-8")
    endpoint, redis, other = echo_server(), echo_server(), echo_server()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{endpoint}",
        "REDIS_URL": f"redis://127.0.0.1:{redis}/0",
        "OTHER_PORT": str(other),
    }
    return module, env


@pytest.mark.parametrize("level", ["bwrap", "unshare"])
def test_the_modules_network_reaches_its_endpoint_and_redis_only(
    tmp_path: Path, echo_server: Callable[[], int], level: containment.Level
):
    # `other` stands for any loopback port that is not the module's: the sandbox's moto server or DynamoDB Local
    # (uncounted DynamoDB calls), the grader's own services. The metadata service holds an EC2 instance's role.
    if not _usable(level):
        pytest.skip(f"{level} cannot make a PID namespace here")
    module, env = network_probe(tmp_path, echo_server)
    runner = ScenarioRunner(level=level)
    try:
        for _ in range(2):  # the second scenario reuses the server's relay listeners
            outcome = runner.run(
                ScenarioRequest(module=str(module), env=env, steps=[call("get_product", "a", "1")], timeout_s=10)
            )
            assert outcome.status == "ok", outcome.error
            value = outcome.steps[0].value
            assert value["endpoint"] == value["redis"] == "ping"
            assert value["other"] == "ConnectionRefusedError"
            failure, seconds = value["metadata"]
            assert failure == "OSError"  # ENETUNREACH: no route out of the namespace, at once
            assert seconds < 1.0
        assert not runner.network_shared
    finally:
        runner.close()


def test_a_destination_that_refuses_is_refused_inside(tmp_path: Path):
    module = tmp_path / "refused.py"
    module.write_text(
        "import os, socket\n"
        "from urllib.parse import urlsplit\n"
        "def get_product(category, sku):\n"
        "    url = urlsplit(os.environ['REDIS_URL'])\n"
        "    try:\n"
        "        socket.create_connection((url.hostname, url.port), timeout=5).close()\n"
        "        return 'connected'\n"
        "    except OSError as exc:\n"
        "        return type(exc).__name__\n" + CONTRACT,
        encoding="utf-8",
    )
    from tests.conftest import closed_port

    env = {"REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    runner = ScenarioRunner()
    try:
        outcome = runner.run(
            ScenarioRequest(module=str(module), env=env, steps=[call("get_product", "a", "1")], timeout_s=5)
        )
    finally:
        runner.close()
    assert outcome.steps[0].value == "ConnectionRefusedError"


@bwrap_only
def test_a_destination_named_by_host_name_is_that_name_inside(
    tmp_path: Path, echo_server: Callable[[], int], monkeypatch: pytest.MonkeyPatch
):
    # ElastiCache's endpoint is a host name (with TLS: the name must stay the one its certificate carries): the
    # sandbox's /etc/hosts maps it to 127.0.0.1, where the relay listens; the grader resolves it outside.
    import socket

    port = echo_server()
    name = "primary.lab-cache.test"
    resolve = socket.getaddrinfo

    def fake(host: object, *args: object, **kwargs: object) -> object:
        return resolve("127.0.0.1" if host == name else host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    module = tmp_path / "named.py"
    module.write_text(
        "import socket\n"
        "def get_product(category, sku):\n"
        f"    with socket.create_connection(({name!r}, {port}), timeout=5) as s:\n"
        "        s.sendall(b'ping')\n"
        "        return s.recv(4).decode()\n" + CONTRACT,
        encoding="utf-8",
    )
    runner = ScenarioRunner(level="bwrap")
    try:
        env = {"REDIS_URL": f"rediss://{name}:{port}/0"}
        outcome = runner.run(
            ScenarioRequest(module=str(module), env=env, steps=[call("get_product", "a", "1")], timeout_s=5)
        )
        assert outcome.status == "ok", outcome.error
        assert outcome.steps[0].value == "ping"
        assert not runner.network_shared
    finally:
        runner.close()


def test_where_a_destination_cannot_be_relayed_the_network_is_shared_and_said(tmp_path: Path):
    # unshare has no /etc/hosts of its own to map a host name: that run keeps the grader's network, and says so.
    if not _usable("unshare"):
        pytest.skip("unshare cannot make a PID namespace here")
    module = tmp_path / "named.py"
    module.write_text("def get_product(category, sku):\n    return 'ok'\n" + CONTRACT, encoding="utf-8")
    runner = ScenarioRunner(level="unshare")
    try:
        env = {"REDIS_URL": "rediss://primary.lab-cache.test:6379/0"}
        outcome = runner.run(
            ScenarioRequest(module=str(module), env=env, steps=[call("get_product", "a", "1")], timeout_s=5)
        )
        assert outcome.status == "ok", outcome.error
        assert runner.network_shared
    finally:
        runner.close()
    note = containment.weaker_note("unshare", network_shared=True)
    assert note == f"{containment.WEAKER['unshare']}; {containment.NETWORK_SHARED}"
    assert containment.weaker_note("bwrap", network_shared=False) is None


def test_a_long_tmpdir_leaves_the_relay_room_for_its_sockets(
    tmp_path: Path, echo_server: Callable[[], int], monkeypatch: pytest.MonkeyPatch
):
    # A Unix socket's path holds at most 107 bytes; CI and pytest hand out TMPDIRs longer than that leaves room for.
    long_tmpdir = tmp_path / ("d" * 60) / ("e" * 60)
    long_tmpdir.mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(long_tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    module, env = network_probe(tmp_path, echo_server)
    runner = ScenarioRunner()
    try:
        outcome = runner.run(
            ScenarioRequest(module=str(module), env=env, steps=[call("get_product", "a", "1")], timeout_s=10)
        )
    finally:
        runner.close()
    assert outcome.status == "ok", outcome.error
    assert outcome.steps[0].value["endpoint"] == outcome.steps[0].value["redis"] == "ping"
