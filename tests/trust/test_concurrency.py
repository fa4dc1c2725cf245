"""Two grading runs against one sandbox at once do not disturb each other: each gets the verdicts a run alone gets,
each writes scratch data under its own run id only, and nothing of either is left afterwards.

The hard part is the failover check: for ≈ 2 s it turns the sandbox's REDIS_URL into a read-only replica. Every
check that uses Redis (Redis, cache-aside and latency sections) holds a shared lock on the sandbox for the run
(the `sandbox_share` fixture, taken with the Redis client), and the failover takes it exclusively: so a run's
checks wait for another run's failover instead of meeting the replica, and the failover waits for them.

On a sandbox of its own, with `labgrader grade` subprocesses as students start them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgrader.engine import catalog
from labgrader.spec import LabSpec
from tests.trust import lab_state
from tests.trust.lab_state import Lab, ScratchWatch

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

REPETITIONS = 3
OVERLAP_REPETITIONS = 2  # the overlap is arranged, not left to chance: fewer repetitions prove it
RUN_TIMEOUT_S = 120.0
SCENARIO_SECTIONS = ("cache_aside", "latency")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, week8: LabSpec) -> Iterator[Lab]:
    with lab_state.solved_lab(tmp_path_factory.mktemp("concurrency-home"), week8) as solved:
        yield solved


@dataclass(frozen=True)
class Run:
    out: Path
    log: Path
    proc: subprocess.Popen[bytes]

    @classmethod
    def start(cls, lab: Lab, folder: Path, pytest_args: tuple[str, ...] = ()) -> Run:
        folder.mkdir()
        out, log = folder / "out", folder / "log"
        return cls(out, log, lab_state.start_grading(lab.home, out, log, pytest_args=pytest_args))

    def finish(self) -> int:
        try:
            return self.proc.wait(RUN_TIMEOUT_S)
        finally:
            lab_state.stop(self.proc)

    def statuses(self) -> dict[str, str]:
        return lab_state.statuses(self.out)

    def messages(self) -> dict[str, str]:
        data = lab_state.results(self.out) or {"checks": []}
        return {c["id"]: f"{c['status']}: {c['message']}" for c in data["checks"] if c["status"] != "pass"}

    @property
    def run_id(self) -> str:
        data = lab_state.results(self.out)
        assert data is not None, self.log.read_text()
        return str(data["run_id"])

    @property
    def seconds(self) -> float:
        data = lab_state.results(self.out)
        assert data is not None
        return float(data["duration_s"])

    def printed(self, text: str) -> bool:
        return text in self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def alone(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The verdicts of one run with the sandbox to itself: what each concurrent run must get."""
    run = Run.start(lab, tmp_path_factory.mktemp("alone") / "run")
    code = run.finish()
    assert code == 0, run.log.read_text()
    assert lab.problems() == []
    statuses = run.statuses()
    assert statuses["redis_failover_recovers"] == "pass"
    return statuses


@pytest.mark.parametrize("repetition", range(REPETITIONS))
def test_two_full_runs_at_once_get_the_verdicts_of_a_run_alone(
    lab: Lab, alone: dict[str, str], tmp_path: Path, repetition: int
) -> None:
    started = time.monotonic()
    with ScratchWatch(lab.state, lab.spec) as watch:
        runs = [Run.start(lab, tmp_path / name) for name in ("a", "b")]
        codes = [run.finish() for run in runs]
    wall = time.monotonic() - started
    for run, code in zip(runs, codes, strict=True):
        assert run.statuses() == alone, run.messages()
        assert code == 0, run.log.read_text()[-3000:]
    ids = {run.run_id for run in runs}
    assert len(ids) == 2, "two runs shared a run id"
    # Every scratch name either run wrote carries its own run's id, and both runs' were seen.
    assert watch.run_ids() == ids, sorted(watch.names)
    assert lab.problems() == []
    print(
        f"repetition {repetition}: two runs in {wall:.1f} s "
        f"(each {runs[0].seconds:.1f} s and {runs[1].seconds:.1f} s); "
        f"{len(watch.names)} scratch names seen, all under run ids {sorted(ids)}"
    )


@pytest.mark.parametrize("repetition", range(OVERLAP_REPETITIONS))
def test_scenario_checks_started_during_another_run_s_failover_wait_for_it(
    lab: Lab, alone: dict[str, str], tmp_path: Path, repetition: int
) -> None:
    """A run of the cache-aside and latency checks only, started while another run fails the sandbox over: its
    scenarios would meet the read-only replica half-way, unless its Redis checks share the sandbox too."""
    first = Run.start(lab, tmp_path / "full")
    try:
        deadline = time.monotonic() + 60
        while not first.printed("failover:") and first.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert first.printed("failover:"), first.log.read_text()
        second = Run.start(lab, tmp_path / "scenarios", ("-k", " or ".join(SCENARIO_SECTIONS)))
        # Started while the failover was under way (it takes ≈ 2 s; the second run starts its checks in < 1 s).
        assert not first.printed("redis_failover_recovers")
        second_code = second.finish()
    finally:
        first_code = first.finish()
    assert first_code == 0, first.log.read_text()[-3000:]
    assert first.statuses() == alone
    scenario_checks = {e.id for e in catalog.CATALOG if e.section in SCENARIO_SECTIONS}
    assert {i: s for i, s in second.statuses().items() if i in scenario_checks} == dict.fromkeys(
        scenario_checks, "pass"
    ), second.messages()
    assert second_code == 0
    assert first.run_id != second.run_id
    assert lab.problems() == []
    print(f"repetition {repetition}: full run {first.seconds:.1f} s, scenario run {second.seconds:.1f} s")
