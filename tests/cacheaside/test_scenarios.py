"""The scenario fork-server without any endpoint: isolation, environment, timeouts, crashes, printed output.

The modules graded here are written to tmp_path; their functions never touch AWS or Redis.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from labgrader.cacheaside.child import last_line
from labgrader.cacheaside.protocol import ScenarioOutcome, ScenarioRequest, Step, call, inspect
from labgrader.cacheaside.runner import ScenarioRunner
from tests.conftest import closed_port
from tests.processes import processes_running

CONTRACT = """
def update_product(category, sku, changes):
    return None
"""


@pytest.fixture(scope="module")
def runner() -> Iterator[ScenarioRunner]:
    scenario_runner = ScenarioRunner()
    yield scenario_runner
    scenario_runner.close()


Run = Callable[..., ScenarioOutcome]


@pytest.fixture
def run(runner: ScenarioRunner, tmp_path: Path) -> Run:
    """run(source, steps, env=..., timeout_s=...) grades a module written from `source`."""

    def scenario(
        source: str,
        steps: list[Step],
        *,
        env: dict[str, str] | None = None,
        timeout_s: float = 5.0,
        name: str = "student_module.py",
        grader_redis_url: str | None = None,
    ) -> ScenarioOutcome:
        path = tmp_path / name
        source = textwrap.dedent(source)
        path.write_text(source if "def update_product" in source else source + CONTRACT, encoding="utf-8")
        request = ScenarioRequest(
            module=str(path),
            env=env if env is not None else {"PATH": os.environ.get("PATH", ""), "LAB_TABLE": "T"},
            steps=steps,
            timeout_s=timeout_s,
            grader_redis_url=grader_redis_url,
        )
        return runner.run(request)

    return scenario


def test_values_come_back_with_their_types(run: Run):
    outcome = run(
        """
        from decimal import Decimal
        def get_product(category, sku):
            return {"category": category, "sku": sku, "price": Decimal("24.99"), "stock": 7, "w": 1.5}
        """,
        [call("get_product", "books", "BK-0007")],
    )
    assert outcome.status == "ok", outcome
    (step,) = outcome.steps
    assert step.value == {"category": "books", "sku": "BK-0007", "price": Decimal("24.99"), "stock": 7, "w": 1.5}
    assert type(step.value["price"]) is Decimal
    assert step.label == "get_product('books', 'BK-0007')"
    assert step.reads == ()
    assert outcome.module == "student_module.py"


def test_arguments_reach_the_module_with_their_types(run: Run):
    outcome = run(
        """
        def get_product(category, sku):
            return None
        def update_product(category, sku, changes):
            return {"types": sorted(type(v).__name__ for v in changes.values())}
        """,
        [call("update_product", "books", "BK-0007", {"price": Decimal("19.49"), "name": "x"})],
    )
    assert outcome.status == "ok"
    assert outcome.steps[0].value == {"types": ["Decimal", "str"]}


def test_each_scenario_imports_the_module_afresh(run: Run):
    source = """
    import os
    COUNT = 0
    def get_product(category, sku):
        global COUNT
        COUNT += 1
        return {"count": COUNT, "pid": os.getpid()}
    """
    steps = [call("get_product", "a", "1"), call("get_product", "a", "1")]
    first = run(source, steps)
    second = run(source, steps)
    assert [s.value["count"] for s in first.steps] == [1, 2]
    assert [s.value["count"] for s in second.steps] == [1, 2]
    assert first.steps[0].value["pid"] != second.steps[0].value["pid"]
    assert first.steps[0].value["pid"] != os.getpid()


def test_the_module_sees_exactly_the_scenario_environment_and_its_folder(run: Run, tmp_path: Path):
    (tmp_path / "helper.py").write_text("VALUE = 'from the student folder'\n", encoding="utf-8")
    outcome = run(
        """
        import os
        import helper
        def get_product(category, sku):
            env = os.environ
            return {"env": dict(env), "cwd": os.getcwd(), "helper": helper.VALUE, "table": env["LAB_TABLE"]}
        """,
        [call("get_product", "a", "1")],
        env={"LAB_TABLE": "LabProducts", "REDIS_URL": "redis://x:1/0"},
    )
    value = outcome.steps[0].value
    # The scenario's variables, plus a scratch HOME/TMPDIR and the system's PATH: nothing of the grader's.
    assert sorted(value["env"]) == ["HOME", "LAB_TABLE", "PATH", "REDIS_URL", "TMPDIR"]
    assert value["env"]["HOME"] == value["env"]["TMPDIR"] != os.environ.get("HOME")
    assert "labgrader-student-" in value["env"]["HOME"]
    assert Path(value["cwd"]) == tmp_path
    assert value["helper"] == "from the student folder"
    assert value["table"] == "LabProducts"


def test_an_import_error_is_the_exceptions_last_line(run: Run):
    outcome = run("import os\nTABLE = os.environ['PRODUCTS_TABLE']\n", [call("get_product", "a", "1")])
    assert outcome.status == "import_error"
    assert outcome.error == "KeyError: 'PRODUCTS_TABLE'"
    assert outcome.steps == ()


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("import sys\nsys.exit(2)\n", "SystemExit: 2"),
        ("def get_product(category, sku)\n    return None\n", "SyntaxError: expected ':' (student_module.py, line 1)"),
        ("raise RuntimeError('first line\\nlast line')\n", "RuntimeError: last line"),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    ],
    ids=["sys-exit", "syntax-error", "multi-line-message", "keyboard-interrupt"],
)
def test_whatever_the_import_raises_is_reported(run: Run, source: str, error: str):
    outcome = run(source, [call("get_product", "a", "1")])
    assert outcome.status == "import_error"
    assert outcome.error == error


def test_a_missing_function_is_named(run: Run, runner: ScenarioRunner, tmp_path: Path):
    path = tmp_path / "only_get.py"
    path.write_text("def get_product(category, sku):\n    return None\n", encoding="utf-8")
    request = ScenarioRequest(module=str(path), env={}, steps=[call("get_product", "a", "1")], timeout_s=5)
    outcome = runner.run(request)
    assert outcome.status == "missing_function"
    assert outcome.error == "update_product"


def test_the_first_failing_step_ends_the_scenario(run: Run):
    outcome = run(
        """
        def get_product(category, sku):
            if sku == "boom":
                raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
            return {"sku": sku}
        """,
        [call("get_product", "a", "1"), call("get_product", "a", "boom"), call("get_product", "a", "3")],
    )
    assert outcome.status == "step_error"
    assert outcome.error == "ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused."
    assert [s.ok for s in outcome.steps] == [True, False]
    assert outcome.steps[1].label == "get_product('a', 'boom')"


def test_a_hanging_module_is_killed_at_the_timeout_with_everything_it_started(run: Run):
    marker = f"{time.time() % 1000:.6f}"  # a sleep of 60.<marker> s: this test's own process, found by its command line
    started = time.monotonic()
    outcome = run(
        f"""
        import subprocess, time
        def get_product(category, sku):
            print("waiting for the lock ...", flush=True)
            subprocess.Popen(["sleep", "60.{marker}"], start_new_session=True)
            time.sleep(60)
        """,
        [call("get_product", "a", "1")],
        timeout_s=1.0,
    )
    elapsed = time.monotonic() - started
    assert outcome.status == "timeout"
    assert outcome.last_step == "get_product('a', '1')"
    assert "waiting for the lock ..." in outcome.output_tail
    assert 1.0 <= elapsed < 5.0  # the 1 s timeout, plus a fork and a kill on a busy machine
    assert not processes_running(f"60.{marker}"), "the module's own child process outlived the scenario"


def test_a_module_that_ends_the_process_is_a_crash(run: Run):
    outcome = run(
        "import os\ndef get_product(category, sku):\n    os._exit(3)\n",
        [call("get_product", "a", "1")],
    )
    assert outcome.status == "crashed"
    assert outcome.error == "the scenario process ended (exit code 3) without an answer"
    assert outcome.last_step == "get_product('a', '1')"


def test_a_module_killed_by_a_signal_is_a_crash(run: Run):
    outcome = run(
        f"import os\ndef get_product(category, sku):\n    os.kill(os.getpid(), {int(signal.SIGSEGV)})\n",
        [call("get_product", "a", "1")],
    )
    assert outcome.status == "crashed"
    assert f"signal {int(signal.SIGSEGV)}" in outcome.error


def test_printing_and_reading_stdin_never_disturb_the_grader(run: Run):
    outcome = run(
        """
        import os, sys
        print("loading ...")
        os.write(1, b'{"event": "result", "status": "ok"}\\n')  # a line that looks like the protocol
        sys.stderr.write("a warning\\n")
        def get_product(category, sku):
            try:
                answer = input("continue? ")
            except EOFError:
                answer = "EOF"
            print("x" * 5000)
            return {"stdin": answer}
        """,
        [call("get_product", "a", "1")],
    )
    assert outcome.status == "ok"
    assert outcome.steps[0].value == {"stdin": "EOF"}
    assert outcome.output_tail.endswith("x" * 1000 + "\n")
    assert len(outcome.output_tail) <= 2000


def test_a_grader_redis_that_is_down_is_the_graders_problem(run: Run):
    outcome = run(
        "def get_product(category, sku):\n    return None\n",
        [call("get_product", "a", "1"), inspect("product:a:1")],
        grader_redis_url=f"redis://127.0.0.1:{closed_port()}/0",
    )
    assert outcome.status == "grader_error"
    assert "the grader could not inspect Redis key product:a:1: ConnectionError" in (outcome.error or "")


def test_a_dead_server_is_started_again(runner: ScenarioRunner, run: Run):
    source = "def get_product(category, sku):\n    return 1\n"
    assert run(source, [call("get_product", "a", "1")]).status == "ok"
    sandbox = runner._sandbox
    assert sandbox is not None
    sandbox.proc.kill()
    sandbox.proc.wait()
    assert run(source, [call("get_product", "a", "1")]).status == "ok"
    assert runner._sandbox is not None
    assert runner._sandbox.proc.pid != sandbox.proc.pid


def test_a_module_killing_the_server_mid_scenario_is_its_crash_and_the_next_scenario_runs(
    run: Run, runner: ScenarioRunner
):
    # The server is on the student's side of the wall: killing it ends the module's own scenario, nothing else.
    killer = """
    import os, signal, time
    def get_product(category, sku):
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(10)
    """
    outcome = run(killer, [call("get_product", "a", "1")], timeout_s=2.0)
    if runner.level != "bwrap":
        # unshare: the server is the namespace's init, the kernel ignores the kill; process-group: the module's
        # process lives on, holding its channel, until the timeout.
        assert outcome.status == "timeout"
    else:
        assert outcome.status == "crashed"
        assert outcome.error == "the sandbox's server process was killed, which ended the scenario without an answer"
    assert run("def get_product(category, sku):\n    return 1\n", [call("get_product", "a", "1")]).status == "ok"


def test_last_line_of_exceptions():
    assert last_line(ValueError("boom")) == "ValueError: boom"
    assert last_line(ValueError()) == "ValueError"
    assert last_line(ValueError("a\n  b  \n")) == "ValueError: b"
