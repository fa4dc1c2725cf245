"""Grading a roster: every student's account graded by a bounded pool of worker processes.

Each worker is a long-lived process that grades one account after another with in-process pytest sessions (a
process per student would pay Python's, boto3's and pytest's start-up, ≈ 1 s of CPU, per account). Processes
keep each session's pytest state apart; a worker that dies takes only its current account with it (that row says
`error`). Workers start from a forkserver that has imported labgrader once.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from labgrader import __version__, reports
from labgrader.engine import catalog, runner
from labgrader.engine.catalog import Phase
from labgrader.engine.errors import describe_could_not_look
from labgrader.engine.results import RESULTS_FILE, CheckResult, RunResult, load
from labgrader.reports.model import run_from_dict
from labgrader.roster.accounts import AssumeRoleError, Instructor, Student, assume, student_target
from labgrader.spec import LabSpec
from labgrader.targets import preflight
from labgrader.targets.base import TargetError

# pytest's unraisable- and thread-exception plugins run full garbage collections at the end of every session
# (≈ 0.25 s of CPU per account in a worker's large heap); a roster worker's sessions report through results.json.
WORKER_PYTEST_ARGS = ("-p", "no:unraisableexception", "-p", "no:threadexception")
# How often the class run looks for a Ctrl-C while it waits for the accounts in flight.
INTERRUPT_POLL_S = 0.2


def _worker_started() -> None:
    """Imported modules live as long as the worker: out of the collector's way (each account's garbage is not).

    A terminal's Ctrl-C reaches the whole process group: the workers leave it to the main process, which stops
    them (`_stop_workers`) instead of letting each record an interrupted account and take the next."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()


@dataclass(frozen=True)
class Job:
    student: Student
    spec: LabSpec
    instructor: Instructor
    region: str
    out: Path
    formats: tuple[str, ...]
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One student's line in the class summary: `status` is pass/fail/incomplete (graded) or error (not graded)."""

    student_id: str
    account: str
    folder: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    reason: str = ""
    duration_s: float = 0.0
    cpu_s: float = 0.0  # the worker's CPU time for this account (the grader's share; the endpoint's is not in it)
    # Required checks that could not look (error or pending: throttling, a timeout, a denial after AssumeRole): the
    # account was graded only in part, and the class run says so in its exit code.
    unfinished_checks: int = 0


@dataclass
class ClassRun:
    outcomes: list[Outcome] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def unfinished(self) -> list[Outcome]:
        """Accounts not graded at all (`error`) or only in part (a required check could not look): exit 3."""
        return [o for o in self.outcomes if o.status == "error" or o.unfinished_checks]


def _status(run: RunResult) -> str:
    return {0: "pass", 1: "fail"}.get(run.exit_code, "incomplete")


def grade_student(job: Job) -> Outcome:
    """Assume the student's role and grade the account into `out/<folder>`; never raises for the student's sake."""
    started, cpu = time.monotonic(), time.process_time()
    student = job.student
    folder = job.out / student.folder
    try:
        credentials = assume(job.instructor, student, job.region)
        target = student_target(job.instructor, student, job.region, credentials)
        checked = preflight.run(target)
        runner.grade(job.spec, target, out_dir=folder, extra_args=[*WORKER_PYTEST_ARGS, *job.extra_args])
        data = load(folder / RESULTS_FILE)
    except (AssumeRoleError, TargetError) as exc:
        return _not_graded(job, str(exc), started)
    except Exception as exc:  # noqa: BLE001 - one account's trouble is that account's `error` row, not the class's
        return _not_graded(job, f"grading stopped: {describe_could_not_look(exc)}", started)
    data.update({"student_id": student.student_id, "roster_line": student.line})
    if checked.account:
        data["aws_account_id"] = checked.account
    data.update({k: v for k, v in checked.report_fields().items() if k != "account"})
    run = run_from_dict(data)
    reports.write_reports(run, folder, job.formats)
    unfinished = [c for c in run.checks if c.required and c.status in ("error", "pending")]
    reasons = [f"AWS denies {action}" for action in checked.denied.values()]
    if unfinished:
        reasons.append(unfinished_reason(unfinished))
    return Outcome(
        student.student_id,
        student.account,
        student.folder,
        _status(run),
        run.score,
        run.max_score,
        "; ".join(reasons),
        time.monotonic() - started,
        time.process_time() - cpu,
        len(unfinished),
    )


def unfinished_reason(checks: Sequence[CheckResult]) -> str:
    """Why an account was graded only in part: how many required checks could not look, and their distinct
    messages (the first two, each cut to 200 characters), e.g. AWS's throttling after AssumeRole."""
    messages = list(dict.fromkeys(" ".join(c.message.split())[:200] for c in checks if c.message.strip()))
    head = f"{len(checks)} required check(s) could not look"
    if not messages:
        return f"{head} ({', '.join(c.id for c in checks[:3])})"
    more = f" (+{len(messages) - 2} more)" if len(messages) > 2 else ""
    return f"{head}: {' | '.join(messages[:2])}{more}"


def _not_graded(job: Job, reason: str, started: float) -> Outcome:
    """The account could not be graded: a results.json where every check says `error` with the reason, so the
    gradebook has the student's row."""
    student = job.student
    run = error_run(job.spec, job.region, reason)
    run.extra.update({"student_id": student.student_id, "roster_line": student.line, "roster_error": reason})
    if student.account:
        run.extra["aws_account_id"] = student.account
    reports.write_reports(run, job.out / student.folder, job.formats)
    return Outcome(
        student.student_id,
        student.account,
        student.folder,
        "error",
        0.0,
        run.max_score,
        reason,
        time.monotonic() - started,
    )


@functools.cache
def _check_points() -> dict[str, float]:
    from labgrader.engine import policy  # noqa: PLC0415

    return {meta.id: meta.points for meta in policy.check_metadata()}


def error_run(spec: LabSpec, region: str, reason: str, phase: Phase = "grade") -> RunResult:
    """Every check of `phase` `error` with `reason`, worth what it would have been worth."""
    points = _check_points()
    checks = []
    for check_id in catalog.ids_for_phase(phase):
        entry = catalog.BY_ID[check_id]
        override = spec.checks.get(check_id)
        weight = override.points if override and override.points is not None else points.get(check_id, 0.0)
        required = not entry.advisory if override is None or override.required is None else override.required
        checks.append(
            CheckResult(
                id=check_id,
                status="error",
                points=0.0,
                max_points=0.0 if entry.advisory else float(weight),
                required=required,
                message=f"Not graded: {reason}",
                hint="Fix the student's grader role (see the message), then grade the class again.",
                evidence={},
                duration_s=0.0,
                section=entry.section,
                visibility=override.visibility if override and override.visibility else "visible",
            )
        )
    return RunResult(
        lab=spec.lab.name,
        target="aws",
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=0.0,
        checks=checks,
        phase=phase,
        region=region,
        labgrader_version=__version__,
    )


Progress = Callable[[Outcome, int, int], None]


def grade_class(jobs: Sequence[Job], workers: int, on_done: Progress) -> ClassRun:
    """Grade every job with at most `workers` accounts at once; each outcome reported as it finishes."""
    started = time.monotonic()
    result = ClassRun()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["labgrader.roster.grading"])
    pending: dict[Future[Outcome], Job] = {}
    queue = list(jobs)
    executor = ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(jobs))), mp_context=context, initializer=_worker_started
    )
    # Ctrl-C only raises a flag: a KeyboardInterrupt landing inside `submit` (a worker half-spawned, never listed
    # in the pool) would leave an orphan that prints a traceback after the "interrupted." line.
    interrupted = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        while queue or pending:
            # Keep the pool fed but not flooded: a broken pool then loses only what was in flight.
            while queue and len(pending) < 2 * workers and not interrupted.is_set():
                job = queue.pop(0)
                pending[executor.submit(grade_student, job)] = job
            _raise_if_interrupted(interrupted)
            done, _ = wait(pending, timeout=INTERRUPT_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = _outcome(future, pending.pop(future))
                result.outcomes.append(outcome)
                on_done(outcome, len(result.outcomes), len(jobs))
            if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
                # A worker died: the accounts it had are `error` rows above; the others are graded by a new pool.
                executor.shutdown(wait=False, cancel_futures=True)
                executor = ProcessPoolExecutor(
                    max_workers=max(1, workers), mp_context=context, initializer=_worker_started
                )
                queue = [*pending.values(), *queue]
                pending.clear()
    except BaseException:
        # Ctrl-C (KeyboardInterrupt) or any other stop: the queued accounts are never submitted and the workers are
        # stopped before this returns, so no account is graded or written after the caller's "interrupted." line.
        # The futures in flight are not cancelled here: the pool's manager thread fails them (BrokenProcessPool) as
        # its workers die, and on Python 3.11 it crashes on one already cancelled, leaking its queues.
        _stop_workers(executor)
        raise
    finally:
        # After `_stop_workers` too: waiting lets the pool's manager thread see the dead workers and release its
        # queues (else multiprocessing's resource tracker warns of leaked semaphores after the interrupted line).
        executor.shutdown(wait=True, cancel_futures=True)
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    order = {job.student.student_id: index for index, job in enumerate(jobs)}
    result.outcomes.sort(key=lambda outcome: order[outcome.student_id])
    result.duration_s = time.monotonic() - started
    return result


def _raise_if_interrupted(interrupted: threading.Event) -> None:
    if interrupted.is_set():
        raise KeyboardInterrupt


def _stop_workers(executor: ProcessPoolExecutor, grace: float = 2.0) -> None:
    """Terminate the pool's worker processes (an account half-graded stays unwritten) and wait for them."""
    # CPython's map of the pool's processes (Python 3.14 has terminate_workers(); this package supports 3.11).
    workers = list((getattr(executor, "_processes", None) or {}).values())
    for worker in workers:
        worker.terminate()
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
            worker.join(1.0)


def _outcome(future: Future[Outcome], job: Job) -> Outcome:
    error = future.exception()
    if error is None:
        return future.result()
    # The worker process died (out of memory, killed): the account is one `error` row, the class goes on.
    reason = f"the grading worker stopped ({type(error).__name__}: {error})"
    try:
        return _not_graded(job, reason, time.monotonic())
    except OSError:
        return Outcome(job.student.student_id, job.student.account, job.student.folder, "error", reason=reason)


def summary_line(outcome: Outcome) -> str:
    who = f"{outcome.student_id} ({outcome.account})" if outcome.account else outcome.student_id
    if outcome.status == "error":
        return f"{who}: ERROR {outcome.reason}"
    extra = f" ({outcome.reason})" if outcome.reason else ""
    return f"{who}: {outcome.status} {outcome.score:g}/{outcome.max_score:g} in {outcome.duration_s:.1f} s{extra}"
