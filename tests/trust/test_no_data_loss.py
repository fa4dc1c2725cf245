"""No data loss: a grading run leaves the student's table and Redis keys exactly as it found them, and no scratch
data or process of its own behind, whether it completes, is interrupted with Ctrl-C at any point, or meets a
Redis primary that dies half-way.

On a sandbox of its own (the tests kill its processes), with the reference solution applied. "Exactly" is a
fingerprint of every item outside the reserved `__labgrader__` partition prefix and every Redis key outside the
reserved prefix (name, type, value, whether it has a TTL), captured before and compared after; scratch items and
keys (reserved prefix, or a cache key naming a scratch item) must be gone, the sandbox healthy (REDIS_URL the
primary sentinel names, the replica following it, the student's CONFIG settings unchanged on both nodes).

The interruption points are random, spread over a whole run; the seed is printed and given in every failure:
LABGRADER_SIGINT_SEED=<seed> replays the same delays, LABGRADER_SIGINT_RUNS changes how many (default 12).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from labgrader.engine import catalog, runner
from labgrader.engine.scratch import SCRATCH_PREFIX
from labgrader.sandbox import locks
from labgrader.sandbox import topology as failover
from labgrader.sandbox.topology import Node
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from tests.sandbox import nodes
from tests.trust import lab_state
from tests.trust.lab_state import Lab, ProcessWatch

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

# One interrupted run per slice of a run; more slices: LABGRADER_SIGINT_RUNS (the suite's time budget keeps it at 12).
RUNS = int(os.environ.get("LABGRADER_SIGINT_RUNS", "12"))
SEED = int(os.environ.get("LABGRADER_SIGINT_SEED", str(random.SystemRandom().randrange(2**32))))
MIN_DELAY_S = 0.3
RUN_TIMEOUT_S = 120.0
EXIT_TIMEOUT_S = 30.0  # an interrupted run must be gone by then (a failover being put back takes ≈ 2 s)
SLOW_S = 3.0  # the slow module's pause inside get_product


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, week8: LabSpec) -> Iterator[Lab]:
    with lab_state.solved_lab(tmp_path_factory.mktemp("no-data-loss-home"), week8) as solved:
        yield solved


@pytest.fixture(scope="module")
def second_lab(tmp_path_factory: pytest.TempPathFactory, week8: LabSpec) -> Iterator[Lab]:
    """Another sandbox, for a second lane of interrupted runs."""
    with lab_state.solved_lab(tmp_path_factory.mktemp("no-data-loss-home-2"), week8) as solved:
        yield solved


def _log_tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-chars:]


@dataclass(frozen=True)
class FullRun:
    seconds: float
    code: int
    statuses: dict[str, str]
    survivors: list[lab_state.Proc]
    problems: list[str]
    log: str


@pytest.fixture(scope="module")
def full_run(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> FullRun:
    """One complete `labgrader grade` run on the reference (its duration sets the range of the Ctrl-C delays)."""
    work = tmp_path_factory.mktemp("full-run")
    started = time.monotonic()
    proc = lab_state.start_grading(lab.home, work / "out", work / "log")
    with ProcessWatch(proc.pid) as watch:
        try:
            code = proc.wait(RUN_TIMEOUT_S)
        finally:
            lab_state.stop(proc)
    seconds = time.monotonic() - started
    return FullRun(
        seconds, code, lab_state.statuses(work / "out"), watch.survivors(), lab.problems(), _log_tail(work / "log")
    )


# --- (a) a full run --------------------------------------------------------------------------------------------


def test_a_full_run_passes_and_changes_no_student_data(full_run: FullRun) -> None:
    required = {e.id for e in catalog.CATALOG if e.phase == "grade" and not e.advisory}
    assert full_run.code == 0, full_run.log
    assert {i: s for i, s in full_run.statuses.items() if i in required and s != "pass"} == {}
    assert full_run.problems == []
    assert full_run.survivors == []
    print(f"full run: {full_run.seconds:.2f} s")


# --- (b) Ctrl-C at random points -------------------------------------------------------------------------------


def _phase(stopped_in: str) -> str:
    if stopped_in in catalog.BY_ID:
        return "redis failover" if stopped_in == "redis_failover_recovers" else catalog.BY_ID[stopped_in].section
    return stopped_in  # startup, after the checks, finished


@dataclass(frozen=True)
class Interrupted:
    number: int
    delay: float
    stopped_in: str
    code: int
    exit_s: float
    problems: list[str]
    log: str

    def __str__(self) -> str:
        return (
            f"seed {SEED}, run {self.number}: Ctrl-C after {self.delay:.2f} s, in {self.stopped_in}, exit code "
            f"{self.code} {self.exit_s:.2f} s later"
        )


def interrupt_run(lab: Lab, work: Path, number: int, delay: float) -> Interrupted:
    """One run, Ctrl-C after `delay` seconds (unless it ended before), then what it left."""
    work.mkdir()
    proc = lab_state.start_grading(lab.home, work / "out", work / "log")
    with ProcessWatch(proc.pid) as watch:
        try:
            try:
                proc.wait(delay)
            except subprocess.TimeoutExpired:
                watch.sample()  # every process alive at the moment of the Ctrl-C
                lab_state.interrupt(proc)
            interrupted_at = time.monotonic()
            code = proc.wait(EXIT_TIMEOUT_S)
            exit_s = time.monotonic() - interrupted_at
        finally:
            lab_state.stop(proc)
    problems = [f"process of the run still alive: {p.pid} {p.command}" for p in watch.survivors()]
    problems += lab.problems()  # right away: the interrupted run's own teardown must have put everything back
    # A Ctrl-C is nobody's fault: the reference never fails, and the grader does not call it a bug of its own.
    for check in (lab_state.results(work / "out") or {"checks": []})["checks"]:
        if check["status"] == "fail" or "grader bug" in check["message"]:
            problems.append(f"{check['id']}: {check['status']}: {check['message']}")
    stopped_in = lab_state.interrupted_in(work / "out")
    return Interrupted(number, delay, stopped_in, code, exit_s, problems, _log_tail(work / "log"))


def lane(lab: Lab, work: Path, runs: list[tuple[int, float]]) -> list[Interrupted]:
    """Interrupted runs one after another on one sandbox, up to the first that leaves something behind."""
    done = []
    for number, delay in runs:
        done.append(interrupt_run(lab, work / f"run-{number:02d}", number, delay))
        print(done[-1])
        if done[-1].problems:
            break
    return done


def test_runs_interrupted_at_random_points_change_nothing(
    lab: Lab, second_lab: Lab, full_run: FullRun, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    longest = max(full_run.seconds, MIN_DELAY_S + 1.0)
    # One delay in each of RUNS equal slices of a run (stratified): spread over the whole run, in random order.
    width = (longest - MIN_DELAY_S) / RUNS
    delays = [MIN_DELAY_S + (slot + rng.random()) * width for slot in range(RUNS)]
    rng.shuffle(delays)
    print(f"SIGINT seed {SEED} (LABGRADER_SIGINT_SEED={SEED} replays it); delays in [{MIN_DELAY_S}, {longest:.2f}] s")
    numbered = list(enumerate(delays))
    started = time.monotonic()
    # Two sandboxes, one lane of runs each: half the wall time, and each sandbox's state is one lane's doing.
    with ThreadPoolExecutor(max_workers=2) as pool:
        lanes = [pool.submit(lane, each, tmp_path, numbered[i::2]) for i, each in enumerate((lab, second_lab))]
        runs = [run for future in lanes for run in future.result()]
    for run in runs:
        assert run.problems == [], f"{run}: {run.problems}\n{run.log}"
    assert len(runs) == RUNS
    phases = Counter(_phase(run.stopped_in) for run in runs)
    print(f"{RUNS} interrupted runs in {time.monotonic() - started:.1f} s; stopped in: {dict(phases)}")


def _failover_under_ctrl_c(steps: list[str], presses: int) -> None:
    with locks.interrupts_deferred():
        for _ in range(presses):
            os.kill(os.getpid(), signal.SIGINT)
            steps.append(f"after Ctrl-C {len(steps) + 1}")
        time.sleep(0.01)
        steps.append("put back")


def test_a_ctrl_c_during_a_failover_takes_effect_once_the_sandbox_is_put_back() -> None:
    """The mechanism behind the interrupted failovers above: the first Ctrl-C waits for the block's end, a second
    one stops at once (the next run heals the sandbox then)."""
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        _failover_under_ctrl_c(steps, presses=1)
    assert steps == ["after Ctrl-C 1", "put back"]
    steps.clear()
    with pytest.raises(KeyboardInterrupt):
        _failover_under_ctrl_c(steps, presses=2)
    assert steps == ["after Ctrl-C 1"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


CHECK_INTERRUPTED = """
from labgrader.engine.check import check


@check("dynamodb_crud_roundtrip", points=2, objective="An objective.", hint="a hint")
def dynamodb_crud_roundtrip(scratch_item):
    raise KeyboardInterrupt  # Ctrl-C with a scratch item written
"""
CLEANUP_FAILS = """
import pytest


@pytest.fixture
def scratch_item():
    yield "item"
    raise ConnectionError("the endpoint went away before the scratch item was deleted")
"""


def test_a_cleanup_failing_after_ctrl_c_still_leaves_a_complete_results_json(tmp_path: Path, week8: LabSpec) -> None:
    """After Ctrl-C, pytest runs the interrupted check's teardown inside its sessionfinish, where an exception ends
    pytest before the grader writes results.json: the runner still writes it (then the error goes on)."""
    folder = tmp_path / "checks" / "dynamodb"
    folder.mkdir(parents=True)
    (folder / "dynamodb_crud_roundtrip.py").write_text(CHECK_INTERRUPTED, encoding="utf-8")
    (folder / "conftest.py").write_text(CLEANUP_FAILS, encoding="utf-8")
    target = Target(name="local", region="us-east-1", region_source="test", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ConnectionError, match="went away"):
        runner.grade(week8, target, out_dir=tmp_path / "out", checks_dir=tmp_path / "checks")
    data = lab_state.results(tmp_path / "out")
    assert data is not None
    assert data["interrupted"] is True
    assert [c["id"] for c in data["checks"]] == list(catalog.ids_for_phase("grade"))
    crud = next(c for c in data["checks"] if c["id"] == "dynamodb_crud_roundtrip")
    assert (crud["status"], crud["message"]) == ("error", "Not graded: the run was interrupted before it.")


# --- a student module still running when Ctrl-C arrives -----------------------------------------------------------

SLOW_MODULE = textwrap.dedent(
    f'''\
    """A slow cache-aside module: it reads the item, pauses, then caches it (Ctrl-C arrives in the pause)."""
    import json
    import os
    import time

    import boto3
    import redis

    _table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])
    _cache = redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)


    def get_product(category, sku):
        key = f"product:{{category}}:{{sku}}"
        cached = _cache.get(key)
        if cached is not None:
            return json.loads(cached)
        item = _table.get_item(Key={{"category": category, "sku": sku}}).get("Item")
        time.sleep({SLOW_S})
        _cache.set(key, json.dumps(item or {{}}, default=str), ex=300)
        return item


    def update_product(category, sku, changes):
        return None
    '''
)


@pytest.fixture(scope="module")
def slow_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slow-module") / "slow_cache_aside.py"
    path.write_text(SLOW_MODULE, encoding="utf-8")
    return path


def _scenario_process(watch: ProcessWatch) -> lab_state.Proc | None:
    """A scenario process: a child of the fork-server (a fork: same command line as its parent). The server is the
    Python process, not the bwrap (or unshare) processes around it, whose command lines name it too."""
    servers = {
        p.pid
        for p in watch.seen
        if "labgrader.cacheaside.server" in p.command and not p.command.startswith(("bwrap", "unshare"))
    }
    for server in servers:
        for child in lab_state.descendants(server):
            return child
    return None


def _wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def test_ctrl_c_during_a_scenario_stops_the_module_before_the_cleanup(
    lab: Lab, slow_module: Path, tmp_path: Path
) -> None:
    """Without stopping it first, the module would wake after the grader deleted the scratch item and key, and
    write the cache key again: a leftover in the student's Redis, from a process nobody waits for."""
    proc = lab_state.start_grading(
        lab.home, tmp_path / "out", tmp_path / "log", slow_module, ("-k", "cache_aside_miss_populates")
    )
    with ProcessWatch(proc.pid) as watch:
        try:
            scenario = _wait_for(lambda: _scenario_process(watch), 30, "a scenario process")
            time.sleep(0.5)  # inside the module's pause
            assert scenario.alive()
            watch.sample()
            lab_state.interrupt(proc)
            interrupted_at = time.monotonic()
            proc.wait(EXIT_TIMEOUT_S)
            exit_s = time.monotonic() - interrupted_at
        finally:
            lab_state.stop(proc)
        assert not scenario.alive(), "the scenario process outlived the run"
        assert watch.survivors() == []
    assert exit_s < SLOW_S, f"the run waited {exit_s:.1f} s for the module instead of stopping it"
    assert lab_state.interrupted_in(tmp_path / "out") == "cache_aside_miss_populates"
    time.sleep(SLOW_S)  # had the module survived, its write would have landed by now
    assert lab.problems() == [], _log_tail(tmp_path / "log")


# --- (c) the Redis primary dies mid-run ---------------------------------------------------------------------------

# When the primary is SIGKILLed, what it held only in memory dies with it, and its RDB (saved by the save rules or
# the run's own BGSAVE in redis_persistence_configured) is older than what the run wrote since: restarting it from
# that file would serve stale data. The sandbox does what ElastiCache does: sentinel promotes the replica, which
# holds every key replicated before the kill; the dead node is restarted empty as its replica (stale RDB moved
# aside, settings copied: tests/sandbox/nodes.py restart_empty_replica), then the topology is put back (failover.heal).
# "Identical" therefore means: the student's keys as the replica held them, checked to be all of them before the
# run (they were written by `solve`, long replicated), so nothing may be missing afterwards.
KILL_POINTS = {
    # name: (what on the replica means the run is there, module ("slow": the slow module), pytest arguments)
    "redis-checks": (f"{SCRATCH_PREFIX}:*", None, ()),
    # A cache key the module wrote is on the replica while the module pauses: the check's teardown cannot delete
    # it (the primary is dead), so only the end-of-run sweep on the promoted replica can.
    "cache-aside-checks": (f"*{SCRATCH_PREFIX}*#cache-aside*", "slow", ("-k", "cache_aside_miss_populates")),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_the_primary_dying_mid_run_loses_nothing_and_leaves_nothing(
    lab: Lab, slow_module: Path, tmp_path: Path, point: str
) -> None:
    pattern, module, pytest_args = KILL_POINTS[point]
    solution = slow_module if module == "slow" else lab_state.REFERENCE
    original = Node("127.0.0.1", lab.state.processes["primary"].port)
    assert lab.baseline.differences(lab.capture(lab.state.replica_url)) == []  # the replica holds every key
    replica = redis.Redis.from_url(lab.state.replica_url, decode_responses=True)
    sentinel = lab.sentinel()
    proc = lab_state.start_grading(lab.home, tmp_path / "out", tmp_path / "log", solution, pytest_args)
    try:

        def on_replica() -> list[str]:
            try:
                return list(replica.scan_iter(match=pattern))
            except redis.ConnectionError:
                return []  # the run's failover check reconfigures the replica: it drops its clients

        seen = _wait_for(on_replica, 60, f"a key {pattern} on the replica")
        os.kill(lab.state.processes["primary"].pid, signal.SIGKILL)
        killed_at = time.monotonic()
        proc.wait(RUN_TIMEOUT_S)
        run_s = time.monotonic() - killed_at
    finally:
        lab_state.stop(proc)
        replica.close()
    log = _log_tail(tmp_path / "log")
    statuses = lab_state.statuses(tmp_path / "out")
    assert len(statuses) == len(catalog.ids_for_phase("grade")), log
    blamed = {i: s for i, s in statuses.items() if s == "fail"}
    assert blamed == {}, f"a dead Redis is the grader's `error`, never the student's `fail`\n{log}"
    try:

        def promoted_replica() -> Node | None:
            named = sentinel.primary()
            return None if named.same_as(original) else named

        promoted = _wait_for(promoted_replica, 30, "the replica's promotion")
        sentinel.wait_settled()
        # The replica took over with every key of the student, and nothing of the run (its end-of-run sweep).
        on_promoted = lab.capture(f"redis://{promoted.host}:{promoted.port}/0")
        assert lab.baseline.differences(on_promoted) == []
        assert on_promoted.scratch_keys == (), f"killed with {seen} on the replica\n{log}"
    finally:
        # The sandbox's way back: the dead node restarted empty as a replica, then the topology put back by the
        # next run's heal (called here directly).
        nodes.restart_empty_replica(lab.state, "primary", sentinel.wait_settled())
        healed = failover.heal(sentinel.info, lab.state.redis_url)
        sentinel.close()
    assert healed == [f"failed back to {original}"]
    assert lab.problems() == [], log
    print(f"{point}: primary killed with {seen} on the replica; the run ended {run_s:.2f} s later")
