"""A grading run inside pytest: collects the checks, decides applicability, turns outcomes into statuses and
writes `results.json`. Registered as a plugin object by `labgrader grade` (runner) or by `pytest --lab SPEC`.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _pytest.outcomes import Skipped

from labgrader import __version__
from labgrader.engine import catalog
from labgrader.engine.catalog import Phase
from labgrader.engine.check import CAPABILITIES, CheckMeta, meta_of
from labgrader.engine.errors import Classified, classify
from labgrader.engine.outdir import OutputError
from labgrader.engine.results import CheckResult, RunResult
from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import Evidence, Hint, Passed
from labgrader.spec import LabSpec
from labgrader.targets import Target

SESSION_KEY = pytest.StashKey["GradingSession"]()
_PHASES_KEY = pytest.StashKey[dict[str, Classified]]()
_PASSED_KEY = pytest.StashKey[Passed]()
_DURATION_KEY = pytest.StashKey[float]()

ResultCallback = Callable[[CheckResult], None]


@dataclass(eq=False)  # a plugin object: pluggy keeps plugins in sets, so identity hashing
class GradingSession:
    spec: LabSpec
    target: Target
    out_dir: Path
    phase: Phase = "grade"
    solution: Path | None = None
    on_result: ResultCallback | None = None
    checks_root: Path | None = None
    # Grade only these IDs (the rest report `skip`, "not selected"); None grades the whole phase.
    only: frozenset[str] | None = None
    # Opt-in to checks that disturb the lab on AWS (TestFailover): `labgrader grade --disruptive`.
    disruptive: bool = False
    # `--read-only`: checks that write scratch data `skip`, for credentials that may only read.
    read_only: bool = False
    scratch: Scratch = field(default_factory=Scratch)
    results: dict[str, CheckResult] = field(default_factory=dict)
    run: RunResult | None = None
    # results.json could not be written (disk full, folder gone): raised by runner.grade once pytest has returned.
    write_error: OutputError | None = None
    aws_calls: Counter[str] = field(default_factory=Counter)
    # What the run says about itself beyond the checks (how the student's code was contained), in results.json.
    notes: dict[str, Any] = field(default_factory=dict)
    _deselected: set[str] = field(default_factory=set)
    _collected: dict[str, CheckMeta] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)
    _started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    # --- configuration and collection -------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        from labgrader.engine import fixtures  # noqa: PLC0415

        config.stash[SESSION_KEY] = self
        self.disruptive = self.disruptive or bool(config.getoption("lab_disruptive", False))
        self.read_only = self.read_only or bool(config.getoption("lab_read_only", False))
        if getattr(config.option, "tbstyle", "auto") == "auto":  # absent: the terminal plugin is off
            # Our verdict is the message; a long traceback per `error` check costs ~0.5 s to render and says less.
            config.option.tbstyle = "line"
        self._forget_imported_checks()
        if not config.pluginmanager.is_registered(fixtures):
            config.pluginmanager.register(fixtures, "labgrader-fixtures")

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
            and not file_path.name.startswith(("_", "conftest", "test_"))
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
            marker = item.get_closest_marker("check")
            if marker is None:
                continue
            meta = validate_marker(marker, item.nodeid)
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
        # Catalog order: the scorecard reads section by section, whatever the folder layout.
        order = {check_id: index for index, check_id in enumerate(catalog.BY_ID)}
        kept.sort(key=lambda item: order[_meta(item).id])
        items[:] = kept

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("check")
            if marker is not None:
                self._deselected.add(str(marker.kwargs.get("id")))

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
        arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        outcome = pyfuncitem.obj(**arguments)
        if isinstance(outcome, Passed):
            pyfuncitem.stash[_PASSED_KEY] = outcome
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if item.get_closest_marker("check") is None:
            return report
        phases = item.stash.setdefault(_PHASES_KEY, {})
        item.stash[_DURATION_KEY] = item.stash.get(_DURATION_KEY, 0.0) + call.duration
        if call.excinfo is not None:
            exc = call.excinfo.value
            if isinstance(exc, Skipped):
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

    def record_aws_call(self, action: str) -> None:
        self.aws_calls[action] += 1

    def hint_context(self) -> dict[str, Any]:
        return {"lab": self.spec, "region": self.target.region, "target": self.target.name}

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
    marker = item.get_closest_marker("check")
    assert marker is not None  # only check items reach here
    return validate_marker(marker, item.nodeid)


def validate_marker(marker: pytest.Mark, nodeid: str) -> CheckMeta:
    """The `check` marker's metadata, or a `pytest.UsageError` naming the fix."""
    kwargs = dict(marker.kwargs)
    check_id = kwargs.get("id")
    where = f"check marker of {nodeid}"
    if marker.args:
        raise pytest.UsageError(f"{where}: pass metadata as keywords (id=..., points=...), not positionally.")
    if not isinstance(check_id, str) or check_id not in catalog.BY_ID:
        raise pytest.UsageError(
            f"{where}: id {check_id!r} is not in the catalog (labgrader/engine/catalog.py); use a catalog ID."
        )
    entry = catalog.BY_ID[check_id]
    points = kwargs.get("points")
    if not isinstance(points, int | float) or points < 0:
        raise pytest.UsageError(f"{where}: points must be a number >= 0 (got {points!r}).")
    if entry.advisory and points != 0:
        raise pytest.UsageError(f"{where}: {check_id} is advisory in the catalog: declare points=0.")
    if not isinstance(kwargs.get("objective"), str) or not kwargs["objective"].strip():
        raise pytest.UsageError(f"{where}: objective must be a non-empty sentence.")
    hint = kwargs.get("hint")
    if isinstance(hint, str):
        hint = Hint((hint.strip(),)) if hint.strip() else None
    if not isinstance(hint, Hint) or not (any(c.strip() for c in hint.commands) or (hint.note or "").strip()):
        raise pytest.UsageError(f"{where}: hint must be a non-empty sentence (a Hint's commands or note).")
    requires = tuple(kwargs.get("requires", ()))
    unknown = [r for r in requires if r not in CAPABILITIES]
    if unknown:
        raise pytest.UsageError(f"{where}: unknown capability {unknown[0]!r}; use one of {sorted(CAPABILITIES)}.")
    sections = tuple(kwargs.get("needs_sections", ()))
    unknown = [s for s in sections if s not in catalog.SECTION_TITLES]
    if unknown:
        raise pytest.UsageError(
            f"{where}: unknown section {unknown[0]!r}; use one of {sorted(catalog.SECTION_TITLES)}."
        )
    return CheckMeta(
        id=check_id,
        points=float(points),
        objective=kwargs["objective"].strip(),
        hint=hint,
        requires=requires,
        needs_sections=sections,
        writes=bool(kwargs.get("writes", False)),
        aws_actions=tuple(kwargs.get("aws_actions", ())),
    )
