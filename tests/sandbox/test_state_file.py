"""The sandbox's state file is a convenience, not the authority: damaged, missing or forged, it neither hides the
sandbox's processes from `status` and `down` nor makes `down` signal a process or delete a folder it did not make,
and `up` refuses to start a second set over a live one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labgrader.sandbox import manager
from labgrader.sandbox import state as sandbox_state

pytestmark = pytest.mark.sandbox


def _labgrader(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    env["LABGRADER_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def _alive(pid: int) -> bool:
    return sandbox_state.process_start_time(pid) is not None and not sandbox_state._zombie(pid)


def _assert_stopped(pids: list[int]) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(map(_alive, pids)):
        time.sleep(0.05)
    assert not [pid for pid in pids if _alive(pid)], "sandbox processes survived `down`"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Path, list[int], Path]]:
    """A detached sandbox (home, its pids, its data folder); whatever a test leaves is stopped afterwards."""
    home = tmp_path / "home"
    up = _labgrader(home, "sandbox", "up", "--detach")
    assert up.returncode == 0, up.stderr
    state = sandbox_state.read(home)
    assert state is not None
    pids = [record.pid for record in state.processes.values()]
    data = Path(state.data_dir)
    assert data.parent == home
    assert data.is_dir()
    assert set(sandbox_state.find_processes(home)) >= set(pids)
    yield home, pids, data
    manager.down(home)


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process of the same user: a forged state file names it."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.slow  # a sandbox each: 10-13 s on a loaded 2-core machine
@pytest.mark.parametrize("damage", ["truncated", "garbage", "wrong types", "missing"])
def test_a_damaged_or_missing_state_file_hides_no_process(running, damage: str) -> None:  # type: ignore[no-untyped-def]
    home, pids, data = running
    path = home / sandbox_state.STATE_FILE
    text = path.read_text()
    if damage == "truncated":
        path.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\xff\xfe\x00 not json at all")
    elif damage == "wrong types":
        path.write_text(json.dumps({**json.loads(text), "processes": {"moto": {"role": "moto", "pid": "1"}}}))
    else:
        path.unlink()

    status = _labgrader(home, "sandbox", "status")
    assert status.returncode == 1
    assert ("is missing" if damage == "missing" else "is damaged") in status.stdout
    assert all(f"pid {pid}" in status.stdout for pid in pids), status.stdout
    assert "Stop them with `labgrader sandbox down`." in status.stdout

    env = _labgrader(home, "sandbox", "env")
    assert env.returncode == 1
    assert env.stdout == ""
    assert env.stderr.startswith(f"labgrader: the sandbox's state file {path} is ")
    assert env.stderr.endswith("restart it with `labgrader sandbox down` then `labgrader sandbox up --detach`.\n")

    second = _labgrader(home, "sandbox", "up", "--detach")
    assert second.returncode == 3
    assert second.stdout == ""
    assert len(second.stderr.splitlines()) == 1
    assert "still runs" in second.stderr
    assert "stop it with `labgrader sandbox down`" in second.stderr
    assert len(list(home.glob(f"{sandbox_state.DATA_DIR_PREFIX}*"))) == 1  # no second set was started

    down = _labgrader(home, "sandbox", "down")
    assert down.returncode == 0, down.stderr
    assert down.stdout.startswith("sandbox: stopped ")
    _assert_stopped(pids)
    assert not data.exists()
    assert sandbox_state.find_processes(home) == {}
    assert _labgrader(home, "sandbox", "status").stdout.strip() == "sandbox: not running"


def _forge(home: Path, pid: int, data_dir: Path, marker: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    record = {"role": "primary", "pid": pid, "port": 1, "marker": marker, "start_time": 0}
    state = {
        "home": str(home), "data_dir": str(data_dir), "region": "us-east-1", "master_name": "lab-redis",
        "started_at": "2026-01-01T00:00:00+00:00", "owner_pid": pid, "ready": True,
        "processes": {role: {**record, "role": role} for role in sandbox_state.ROLES},
    }  # fmt: skip
    (home / sandbox_state.STATE_FILE).write_text(json.dumps(state))


def _victim_folder(tmp_path: Path) -> Path:
    """A folder outside the home named like a data folder, even with an owner file: never deleted."""
    victim = tmp_path / f"{sandbox_state.DATA_DIR_PREFIX}victim"
    victim.mkdir()
    (victim / sandbox_state.OWNER_FILE).write_text("forged")
    (victim / "thesis.tex").write_text("precious")
    return victim


@pytest.mark.parametrize("marker", ["", "time.sleep"])
def test_a_forged_state_file_makes_down_signal_and_delete_nothing(
    tmp_path: Path, bystander: subprocess.Popen[bytes], marker: str
) -> None:
    """Empty marker, or one that really is in the bystander's command line: its PID is still not the sandbox's."""
    home = tmp_path / "home"
    victim = _victim_folder(tmp_path)
    _forge(home, bystander.pid, victim, marker)
    down = _labgrader(home, "sandbox", "down")
    assert down.returncode == 0
    assert down.stdout.strip() == "sandbox: nothing was running"
    if marker:
        assert f"not stopping pid {bystander.pid}" in down.stderr
        assert "it is not a process of this sandbox." in down.stderr
    assert f"not deleting {victim}" in down.stderr
    time.sleep(0.2)
    assert bystander.poll() is None, "down signalled an unrelated process"
    assert (victim / "thesis.tex").read_text() == "precious"
    assert not (home / sandbox_state.STATE_FILE).exists()


def test_a_forged_state_file_makes_no_sandbox_look_up(tmp_path: Path, bystander: subprocess.Popen[bytes]) -> None:
    """A parseable file naming a bystander whose command line holds the marker (start time 0, so unchecked):
    `status` says not running and that the file is stale or forged, `up` starts a sandbox, the bystander lives."""
    home = tmp_path / "home"
    _forge(home, bystander.pid, home / f"{sandbox_state.DATA_DIR_PREFIX}gone", "time.sleep")
    forged = sandbox_state.read(home)
    assert forged is not None
    assert not forged.alive()
    assert forged.impostors() == [bystander.pid]
    status = _labgrader(home, "sandbox", "status")
    assert status.returncode == 1
    assert status.stdout.splitlines()[-1] == (
        f"sandbox: not running: its state file {home / sandbox_state.STATE_FILE} is stale or forged (pid "
        f"{bystander.pid} is not a process of this sandbox); `labgrader sandbox down` removes it and leaves that "
        "pid alone."
    )
    assert "running," not in status.stdout
    try:
        up = _labgrader(home, "sandbox", "up", "--detach")
        assert up.returncode == 0, up.stderr
        assert up.stdout.startswith("sandbox: up (moto ")
        state = sandbox_state.read(home)
        assert state is not None
        assert state.alive()
        assert bystander.pid not in [record.pid for record in state.processes.values()]
    finally:
        manager.down(home)
    time.sleep(0.2)
    assert bystander.poll() is None, "up or down signalled an unrelated process"
    assert sandbox_state.find_processes(home) == {}


def test_a_state_file_naming_another_home_is_damaged(tmp_path: Path, bystander: subprocess.Popen[bytes]) -> None:
    """A file copied or forged to name another home cannot borrow that home's proof of ownership."""
    home = tmp_path / "home"
    _forge(home, bystander.pid, home / "x", "time.sleep")
    path = home / sandbox_state.STATE_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), "home": str(tmp_path / "elsewhere")}))
    assert sandbox_state.read_checked(home) == (None, "damaged (it names another sandbox home)")


def test_without_proc_down_signals_no_pid_it_cannot_prove(
    tmp_path: Path, bystander: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where /proc is absent (macOS) a PID in the file cannot be proven the sandbox's: `down` refuses in one line
    and keeps the file, instead of signalling whatever now has that PID."""
    home = tmp_path / "home"
    _forge(home, bystander.pid, home / f"{sandbox_state.DATA_DIR_PREFIX}gone", "time.sleep")
    monkeypatch.setattr(sandbox_state, "proc_available", lambda: False)
    with pytest.raises(manager.SandboxError) as refused:
        manager.down(home)
    assert str(refused.value) == (
        f"cannot prove that pid {bystander.pid} ({home / sandbox_state.STATE_FILE}) is this sandbox's without "
        f"/proc, so it is not signalled: check it with `ps -p {bystander.pid}`, stop it yourself if it is, then run "
        "`labgrader sandbox down` again."
    )
    time.sleep(0.2)
    assert bystander.poll() is None, "down signalled a process it could not prove was the sandbox's"
    assert (home / sandbox_state.STATE_FILE).exists()


def test_a_forged_state_file_over_a_running_sandbox(
    running, tmp_path: Path, bystander: subprocess.Popen[bytes]
) -> None:  # type: ignore[no-untyped-def]
    """The forged file names the bystander and a folder outside the home: `down` still stops the real sandbox (found
    without the file) and leaves the bystander and the folder alone."""
    home, pids, data = running
    victim = _victim_folder(tmp_path)
    _forge(home, bystander.pid, victim, "time.sleep")
    down = _labgrader(home, "sandbox", "down")
    assert down.returncode == 0
    assert all(f"(pid {pid})" in down.stdout for pid in pids), down.stdout
    _assert_stopped(pids)
    assert not data.exists()
    time.sleep(0.2)
    assert bystander.poll() is None, "down signalled an unrelated process"
    assert (victim / "thesis.tex").read_text() == "precious"


def test_a_data_folder_name_alone_is_not_ownership(tmp_path: Path) -> None:
    """A folder under the home named like a data folder but without the owner file, or a symlink to one, stays."""
    home = tmp_path / "home"
    home.mkdir()
    unmarked = home / f"{sandbox_state.DATA_DIR_PREFIX}mine"
    unmarked.mkdir()
    (unmarked / "notes.txt").write_text("keep")
    target = _victim_folder(tmp_path)
    (home / f"{sandbox_state.DATA_DIR_PREFIX}link").symlink_to(target)
    assert manager.down(home) == []
    assert (unmarked / "notes.txt").read_text() == "keep"
    assert (target / "thesis.tex").read_text() == "precious"
