"""A grading run inside pytest: collects the checks, decides applicability, turns outcomes into statuses and
writes `results.json`. Registered as a plugin object by `labgrader grade` (runner) or by `pytest --lab SPEC`.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from labgrader import __version__
from labgrader.cacheaside import fixtures as cache_aside_fixtures
from labgrader.cleanup import fixtures as cleanup_fixtures
from labgrader.engine import catalog, fixtures
from labgrader.engine.check import CAPABILITIES, CheckMeta, meta_of
from labgrader.engine.errors import Classified, classify
from labgrader.engine.outdir import OutputError
from labgrader.engine.results import CheckResult, RunResult
from labgrader.engine.state import RUN_STATE, RunState
from labgrader.engine.verdict import Evidence, Hint, Passed
from labgrader.services.dynamodb import fixtures as dynamodb_fixtures
from labgrader.services.elasticache import fixtures as elasticache_fixtures
from labgrader.services.redis import fixtures as redis_fixtures

# Every fixture a check may take, each defined once: the run's context and clients, then each service's.
FIXTURE_PLUGINS = (
    fixtures,
    dynamodb_fixtures,
    elasticache_fixtures,
    redis_fixtures,
    cache_aside_fixtures,
    cleanup_fixtures,
)
_PHASES_KEY = pytest.StashKey[dict[str, Classified]]()
_PASSED_KEY = pytest.StashKey[Passed]()
_DURATION_KEY = pytest.StashKey[float]()


@dataclass(eq=False)  # a plugin object: pluggy keeps plugins in sets, so identity hashing
class GradingSession(RunState):
    """The pytest plugin of one grading run: collection, applicability, statuses, results.json."""

    _deselected: set[str] = field(default_factory=set)
    _collected: dict[str, CheckMeta] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)
    _started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    # --- configuration and collection -------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[RUN_STATE] = self
        self.disruptive = self.disruptive or bool(config.getoption("lab_disruptive", False))
        self.read_only = self.read_only or bool(config.getoption("lab_read_only", False))
        if getattr(config.option, "tbstyle", "auto") == "auto":  # absent: the terminal plugin is off
            # Our verdict is the message; a long traceback per `error` check costs ~0.5 s to render and says less.
            config.option.tbstyle = "line"
        self._forget_imported_checks()
        for module in FIXTURE_PLUGINS:
            if not config.pluginmanager.is_registered(module):
                config.pluginmanager.register(module, f"labgrader-{module.__name__}")

    def _forget_imported_checks(self) -> None:
        """pytest's importlib mode reuses a module already in sys.modules under the same dotted name (derived from
        the path below the rootdir, e.g. `checks.dynamodb.x`); a process that grades twice (the self-tests, a
        notebook) must grade the files on disk, not an earlier import."""
        if self.checks_root is None:
            return
        package = self.checks_root.name
        for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
            del sys.modules[name]

    def _in_checks(self, path: Path) -> bool:
        return self.checks_root is None or path.is_relative_to(self.checks_root)

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
        if (
            file_path.suffix == ".py"
            and self._in_checks(file_path)
            and not file_path.name.startswith(("_", "test_"))
            and file_path.name != "conftest.py"
        ):
            module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
            return module
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(self, collector: pytest.Collector, name: str, obj: object) -> Any:
        if meta_of(obj) is not None and inspect.isfunction(obj):
            return pytest.Function.from_parent(collector, name=name)
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept: list[pytest.Item] = []
        unselected: list[pytest.Item] = []
        origin: dict[str, str] = {}
        for item in items:
            declared = meta_of(getattr(item, "obj", None))
            if declared is None:
                continue
            meta = validate(declared, item.nodeid)
            if item.path.stem != meta.id:
                raise pytest.UsageError(
                    f"{item.nodeid} declares check id {meta.id!r} in {item.path.name}: a check lives in the file "
                    f"named after its ID (checks/{catalog.BY_ID[meta.id].section}/{meta.id}.py); rename the file."
                )
            if meta.id in origin:
                raise pytest.UsageError(
                    f"two checks declare id {meta.id!r}: {origin[meta.id]} and {item.nodeid}; "
                    "one check per catalog ID: rename or delete one of them."
                )
            origin[meta.id] = item.nodeid
            if catalog.BY_ID[meta.id].phase != self.phase:
                continue
            self._collected[meta.id] = meta
            (kept if self.only is None or meta.id in self.only else unselected).append(item)
        if unselected:
            config.hook.pytest_deselected(items=unselected)
        # Catalog order (the scorecard reads section by section), except that a check disturbing the lab (a
        # failover) runs after every other one.
        order = {check_id: index for index, check_id in enumerate(catalog.BY_ID)}
        kept.sort(key=lambda item: (_meta(item).disruptive, order[_meta(item).id]))
        items[:] = kept

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            meta = meta_of(getattr(item, "obj", None))
            if meta is not None:
                self._deselected.add(meta.id)

    # --- running ----------------------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        meta = _meta(item)
        entry = catalog.BY_ID[meta.id]
        for section in (entry.section, *meta.needs_sections):
            if section != "cleanup" and not self.spec.has_section(section):
                pytest.skip(f"not part of this lab (the lab spec has no [{section}] section)")
        for capability in meta.requires:
            if not self.target.provides(capability):
                pytest.skip(f"not possible on the {self.target.name} target: {self.target.unavailable[capability]}")
        if self.read_only and meta.writes:
            pytest.skip("read-only mode (--read-only): this check writes scratch data, so it is not graded")

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        if meta_of(pyfuncitem.obj) is None:
            return None
        arguments = {name: pyfuncitem.funcargs[name] for name in inspect.signature(pyfuncitem.obj).parameters}
        outcome = pyfuncitem.obj(**arguments)
        if isinstance(outcome, Passed):
            pyfuncitem.stash[_PASSED_KEY] = outcome
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if meta_of(getattr(item, "obj", None)) is None:
            return report
        phases = item.stash.setdefault(_PHASES_KEY, {})
        item.stash[_DURATION_KEY] = item.stash.get(_DURATION_KEY, 0.0) + call.duration
        if call.excinfo is not None:
            exc = call.excinfo.value
            if isinstance(exc, pytest.skip.Exception):
                phases[call.when] = Classified("skip", str(exc.msg or "skipped"), Evidence())
            else:
                phases[call.when] = classify(exc)
                if phases[call.when].status in ("skip", "pending"):
                    # pytest (terminal, JUnit) shows these as skipped with our reason, not as failures.
                    report.outcome = "skipped"
                    report.longrepr = (str(item.path), item.location[1] or 0, phases[call.when].message)
        if call.when == "teardown":
            self._finish(item, phases)
        return report

    def _finish(self, item: pytest.Item, phases: dict[str, Classified]) -> None:
        meta = _meta(item)
        outcome = phases.get("setup") or phases.get("call")
        teardown = phases.get("teardown")
        if outcome is None:
            passed = item.stash.get(_PASSED_KEY, None)
            outcome = Classified(
                "pass",
                passed.message if passed else meta.objective,
                passed.evidence if passed else Evidence(),
            )
        if teardown is not None and teardown.status != "skip":
            # A check that could not remove its scratch data is never a clean pass.
            note = f"Cleaning up after the check failed: {teardown.message}"
            status = "error" if outcome.status == "pass" else outcome.status
            outcome = Classified(status, f"{outcome.message} {note}".strip(), outcome.evidence, outcome.hint)
        result = self._result(meta, outcome, item.stash.get(_DURATION_KEY, 0.0))
        self.results[meta.id] = result
        if self.on_result is not None:
            self.on_result(result)

    def _result(self, meta: CheckMeta, outcome: Classified, duration: float) -> CheckResult:
        entry = catalog.BY_ID[meta.id]
        override = self.spec.checks.get(meta.id)
        weight = override.points if override and override.points is not None else meta.points
        required = not entry.advisory if override is None or override.required is None else override.required
        max_points = 0.0 if entry.advisory or outcome.status == "skip" else float(weight)
        hint = Hint()
        if outcome.status == "fail":
            hint = meta.render_hint(self.hint_context(), outcome.hint)
        elif outcome.status == "error":
            # No specific fix means an endpoint could not be reached: the target says where to look.
            hint = outcome.hint or Hint(note=self.target.unreachable_advice(entry.section))
        elif outcome.status == "pending":
            hint = Hint(note="Grade again in a few minutes, once AWS has finished.")
        return CheckResult(
            id=meta.id,
            status=outcome.status,
            points=max_points if outcome.status == "pass" else 0.0,
            max_points=max_points,
            required=required,
            message=outcome.message,
            hint=hint.text(),
            hint_commands=list(hint.commands),
            hint_note=hint.note or "",
            evidence=outcome.evidence.as_dict(),
            duration_s=round(duration, 4),
            section=entry.section,
            objective=meta.objective,
            visibility=(override.visibility if override and override.visibility else "visible"),
            blocked_by=catalog.prerequisite_named(outcome.message) if outcome.status == "fail" else None,
        )

    # --- the end ----------------------------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        self.run = self.build_run(interrupted=interrupted)
        try:
            self.run.write(self.out_dir)
        except OutputError as exc:
            # Raised inside pytest it would be an INTERNALERROR dump; runner.grade raises it after pytest returns.
            self.write_error = exc
        if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = self.run.exit_code

    def build_run(self, *, interrupted: bool = False) -> RunResult:
        """Every catalog ID of the phase exactly once, in catalog order."""
        checks = []
        for check_id in catalog.ids_for_phase(self.phase):
            result = self.results.get(check_id)
            if result is None:
                result = self._not_run(check_id, interrupted)
            checks.append(result)
        return RunResult(
            lab=self.spec.lab.name,
            target=self.target.name,
            started_at=self._started_at,
            duration_s=time.monotonic() - self._started,
            checks=checks,
            phase=self.phase,
            region=self.target.region,
            labgrader_version=__version__,
            extra={
                "run_id": self.scratch.run_id,
                **({"interrupted": True} if interrupted else {}),
                # The IAM action of every AWS call the grader made (tests/trust/test_policy.py reads it).
                "aws_calls": dict(sorted(self.aws_calls.items())),
                **self.notes,
            },
        )

    def _not_run(self, check_id: str, interrupted: bool) -> CheckResult:
        entry = catalog.BY_ID[check_id]
        meta = self._collected.get(check_id)
        if check_id in self._deselected or (self.only is not None and check_id not in self.only):
            outcome = Classified("skip", "not selected by the pytest arguments of this run", Evidence())
        elif meta is not None or interrupted:  # Ctrl-C during collection: not collected, yet no grader bug
            reason = "the run was interrupted before it" if interrupted else "it did not run"
            outcome = Classified(
                "error", f"Not graded: {reason}.", Evidence(), Hint(note="Grade again without interrupting.")
            )
        else:
            outcome = Classified(
                "error",
                "labgrader has no check implementing this ID (a grader bug).",
                Evidence(),
                Hint(note="Report it to the labgrader maintainers; the other checks are unaffected."),
            )
        placeholder = meta or CheckMeta(check_id, 0.0, entry.id, Hint())
        return self._result(placeholder, outcome, 0.0)


def _meta(item: pytest.Item) -> CheckMeta:
    meta = meta_of(getattr(item, "obj", None))
    assert meta is not None  # only check items reach here
    return meta


def validate(meta: CheckMeta, nodeid: str) -> CheckMeta:
    """The check's metadata as declared by `@check`, or a `pytest.UsageError` naming the fix."""
    where = f"@check of {nodeid}"
    if meta.id not in catalog.BY_ID:
        raise pytest.UsageError(
            f"{where}: id {meta.id!r} is not in the catalog (labgrader/engine/catalog.py); use a catalog ID."
        )
    entry = catalog.BY_ID[meta.id]
    if not isinstance(meta.points, int | float) or meta.points < 0:
        raise pytest.UsageError(f"{where}: points must be a number >= 0 (got {meta.points!r}).")
    if entry.advisory and meta.points != 0:
        raise pytest.UsageError(f"{where}: {meta.id} is advisory in the catalog: declare points=0.")
    if not isinstance(meta.objective, str) or not meta.objective.strip():
        raise pytest.UsageError(f"{where}: objective must be a non-empty sentence.")
    hint = meta.hint
    if not (any(c.strip() for c in hint.commands) or (hint.note or "").strip()):
        raise pytest.UsageError(f"{where}: hint must be a non-empty sentence (a Hint's commands or note).")
    unknown = [r for r in meta.requires if r not in CAPABILITIES]
    if unknown:
        raise pytest.UsageError(f"{where}: unknown capability {unknown[0]!r}; use one of {sorted(CAPABILITIES)}.")
    unknown = [s for s in meta.needs_sections if s not in catalog.SECTION_TITLES]
    if unknown:
        raise pytest.UsageError(
            f"{where}: unknown section {unknown[0]!r}; use one of {sorted(catalog.SECTION_TITLES)}."
        )
    return replace(meta, points=float(meta.points), objective=meta.objective.strip())
