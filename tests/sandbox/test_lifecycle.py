"""The sandbox as a student uses it: `up --detach`, `eval "$(labgrader sandbox env)"`, the aws CLI and redis-cli,
`status`, `down` — and `down` leaving nothing behind, also after `up` was SIGKILLed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labgrader.sandbox import manager
from labgrader.sandbox import state as sandbox_state

pytestmark = pytest.mark.sandbox

AWS_CLI = Path(sys.executable).parent / "aws"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    env["LABGRADER_HOME"] = str(home)
    return env


def _labgrader(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labgrader", *args],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _pids_and_ports(home: Path) -> tuple[list[tuple[int, str]], list[int]]:
    state = sandbox_state.read(home)
    assert state is not None
    records = list(state.processes.values())
    return [(r.pid, r.marker) for r in records], [r.port for r in records if r.port]


def _assert_gone(processes: list[tuple[int, str]], ports: list[int]) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(sandbox_state.process_matches(p, m) for p, m in processes):
        time.sleep(0.05)
    assert not [p for p, m in processes if sandbox_state.process_matches(p, m)], "sandbox processes survived"
    assert not [p for p in ports if manager.port_open(p)], "sandbox ports still open"


@pytest.mark.slow  # ≈ 20 s: aws CLI start-ups
def test_detached_sandbox_works_with_the_aws_cli_and_redis_cli(tmp_path: Path) -> None:
    up = _labgrader(tmp_path, "sandbox", "up", "--detach")
    assert up.returncode == 0, up.stderr
    try:
        exports = _labgrader(tmp_path, "sandbox", "env")
        assert exports.returncode == 0, exports.stderr
        assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in exports.stdout
        script = (
            f'eval "$({sys.executable} -m labgrader sandbox env)"; '
            f"{AWS_CLI} dynamodb list-tables --output json; "
            'redis-cli -u "$REDIS_URL" ping'
        )
        if shutil.which("redis-cli") is None:
            pytest.skip("redis-cli is not installed on this machine")
        student = subprocess.run(
            ["bash", "-c", script], env=_env(tmp_path), capture_output=True, text=True, timeout=60, check=False
        )
        assert student.returncode == 0, student.stderr
        assert json.loads(student.stdout.split("\nPONG")[0]) == {"TableNames": []}
        assert student.stdout.strip().endswith("PONG")
        status = _labgrader(tmp_path, "sandbox", "status")
        assert status.returncode == 0
        assert "role master" in status.stdout
        assert "role slave" in status.stdout
        processes, ports = _pids_and_ports(tmp_path)
        data_dir = Path(json.loads((tmp_path / "sandbox.json").read_text())["data_dir"])
        assert data_dir.is_dir()
    finally:
        down = _labgrader(tmp_path, "sandbox", "down")
    assert down.returncode == 0
    _assert_gone(processes, ports)
    assert not data_dir.exists()
    assert not (tmp_path / "sandbox.json").exists()
    assert _labgrader(tmp_path, "sandbox", "status").returncode == 1


def _start_foreground(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "labgrader", "sandbox", "up"],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_down_cleans_up_after_up_was_sigkilled(tmp_path: Path) -> None:
    proc = _start_foreground(tmp_path)
    _wait_for(lambda: (s := sandbox_state.read(tmp_path)) is not None and s.alive())
    processes, ports = _pids_and_ports(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert any(sandbox_state.process_matches(p, m) for p, m in processes), "children survive SIGKILL of up"
    assert _labgrader(tmp_path, "sandbox", "down").returncode == 0
    _assert_gone(processes, ports)


def test_down_cleans_up_after_up_was_sigkilled_while_starting(tmp_path: Path) -> None:
    proc = _start_foreground(tmp_path)
    _wait_for(lambda: (s := sandbox_state.read(tmp_path)) is not None and "replica" in s.processes)
    processes, ports = _pids_and_ports(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert _labgrader(tmp_path, "sandbox", "down").returncode == 0
    _assert_gone(processes, ports)


def test_ctrl_c_on_a_foreground_sandbox_stops_everything(tmp_path: Path) -> None:
    proc = _start_foreground(tmp_path)
    _wait_for(lambda: (s := sandbox_state.read(tmp_path)) is not None and s.alive())
    time.sleep(0.2)  # let `up` install its signal handlers after printing
    processes, ports = _pids_and_ports(tmp_path)
    proc.send_signal(signal.SIGINT)
    out, _err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "sandbox: stopped" in out
    _assert_gone(processes, ports)
    assert sandbox_state.read(tmp_path) is None


def test_a_second_up_refuses_in_one_line(tmp_path: Path) -> None:
    manager.up(tmp_path)
    try:
        second = _labgrader(tmp_path, "sandbox", "up", "--detach")
        assert second.returncode == 3
        assert second.stderr.count("\n") == 1
        assert "already running" in second.stderr
    finally:
        manager.down(tmp_path)


def test_a_second_sandbox_runs_beside_the_first_with_home(tmp_path: Path) -> None:
    """`--home DIR` is a second sandbox on its own ports; its `env` exports LABGRADER_HOME, so `grade --target local`
    in that shell finds it; `status` and `down` with the same `--home` leave the first one running."""
    first, second = tmp_path / "first", tmp_path / "second"
    manager.up(first)
    try:
        up = _labgrader(first, "sandbox", "up", "--detach", "--home", str(second))
        assert up.returncode == 0, up.stderr
        assert f'use it with: eval "$(labgrader sandbox env --home {second})"' in up.stdout
        env = _labgrader(first, "sandbox", "env", "--home", str(second))
        exports = dict(line.removeprefix("export ").split("=", 1) for line in env.stdout.splitlines())
        first_state, second_state = sandbox_state.read(first), sandbox_state.read(second)
        assert first_state is not None
        assert second_state is not None
        assert exports["LABGRADER_HOME"] == str(second)
        assert exports["AWS_ENDPOINT_URL"] == second_state.moto_url != first_state.moto_url
        assert _labgrader(first, "sandbox", "env").stdout.count(f"LABGRADER_HOME={first}") == 1
        assert _labgrader(first, "sandbox", "status", "--home", str(second)).returncode == 0
        down = _labgrader(first, "sandbox", "down", "--home", str(second))
        assert down.returncode == 0, down.stderr
        assert not second_state.alive()
        assert first_state.alive()
    finally:
        manager.down(second)
        manager.down(first)


def test_env_without_a_sandbox_is_one_line(tmp_path: Path) -> None:
    done = _labgrader(tmp_path, "sandbox", "env")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "labgrader: the sandbox is not running: start it with `labgrader sandbox up --detach`."
    )


def test_redis_defaults_are_left_to_the_student(tmp_path: Path) -> None:
    """Nothing the lab asks for is preset: eviction is Redis's default, RDB is on, no password, keys empty."""
    import redis

    state = manager.up(tmp_path)
    primary = redis.Redis.from_url(state.redis_url, decode_responses=True)
    replica = redis.Redis.from_url(state.replica_url, decode_responses=True)
    try:
        assert primary.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert primary.config_get("save")["save"] != ""
        assert primary.config_get("requirepass")["requirepass"] == ""
        assert primary.dbsize() == 0
        assert replica.info("replication")["master_link_status"] == "up"
    finally:
        primary.close()
        replica.close()
        manager.down(tmp_path)
