"""A class of 100 simulated accounts graded end to end with `grade --target aws --roster` (control-plane and
DynamoDB checks; no Redis URL in the roster, so the data-plane checks skip) on one sandbox.

Goal (issue 17): ≤ 60 s wall on a 2-core machine, peak memory reported. One round: a class takes a minute.
Recorded in extra_info: the per-account median and p90 wall seconds and the workers' median CPU seconds per
account (from class.json); the peak RSS and the CPU seconds of labgrader's whole process tree and of the moto
server during the run (their sum over the cores is the run's floor on an otherwise idle machine).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from labgrader import paths
from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState
from labgrader.spec import load_spec
from tests.roster import simulated_class as sc

ACCOUNTS = 100
CLASS_GOAL_S = 60.0


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxState]:
    home = tmp_path_factory.mktemp("labgrader-bench-roster")
    state = manager.up(home)
    try:
        yield state
    finally:
        manager.down(home)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children") if Path(f"/proc/{current}").exists() else []:
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class PeakMemory:
    """Polls a process tree every 100 ms: the peak of its summed RSS, and each process's CPU seconds as last seen
    (so the tree's CPU includes workers that exit before the end)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self.cpu: dict[int, float] = {}
        self._start_cpu = _cpu_s(pid)
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            tree = _tree(self.pid)
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in tree))
            for pid in tree:
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), _cpu_s(pid))

    def cpu_s(self) -> float:
        return sum(self.cpu.values()) - (self._start_cpu if self.pid in self.cpu else 0.0)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kb


def test_a_class_of_100_accounts(benchmark: BenchmarkFixture, sandbox: SandboxState, tmp_path: Path) -> None:
    spec = load_spec(paths.default_lab_spec())
    students = sc.make_class({"reference": ACCOUNTS}, first_account=1001)
    sc.build(spec, sandbox.moto_url, sandbox.region, students)
    roster = sc.write_roster(tmp_path / "roster.csv", students)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))} | {
        "AWS_ENDPOINT_URL": sandbox.moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": sandbox.region,
    }
    moto_pid = sandbox.processes["moto"].pid
    peaks: dict[str, float] = {}
    out = tmp_path / "out"

    def grade_class() -> int:
        command = [sys.executable, "-m", "labgrader", "grade", "--target", "aws", "--roster", str(roster)]
        command += ["--out", str(out), "--", "-k", "not elasticache_parameter_group_eviction_policy"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tree, moto = PeakMemory(process.pid), PeakMemory(moto_pid)
        stdout, stderr = process.communicate(timeout=600)
        peaks["labgrader_peak_rss_mb"] = round(tree.stop() / 1024, 1)
        peaks["moto_peak_rss_mb"] = round(moto.stop() / 1024, 1)
        peaks["labgrader_cpu_s"] = round(tree.cpu_s(), 1)
        peaks["moto_cpu_s"] = round(moto.cpu_s(), 1)
        assert "Traceback" not in stdout + stderr, stderr
        return process.returncode

    started = time.monotonic()
    exit_code = benchmark.pedantic(grade_class, rounds=1, iterations=1)
    wall = time.monotonic() - started
    assert exit_code == 0
    summary = json.loads((out / "class.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in summary["students"]] == ["pass"] * ACCOUNTS
    per_account = sorted(s["duration_s"] for s in summary["students"])
    benchmark.extra_info.update(
        {
            "accounts": ACCOUNTS,
            "workers": summary["workers"],
            "class_wall_s": round(wall, 2),
            "per_account_median_s": round(statistics.median(per_account), 3),
            "per_account_p90_s": round(per_account[int(0.9 * len(per_account)) - 1], 3),
            "per_account_cpu_median_s": round(statistics.median(s["cpu_s"] for s in summary["students"]), 3),
            "cpus": os.cpu_count(),
            **peaks,
        }
    )
    assert wall <= CLASS_GOAL_S
