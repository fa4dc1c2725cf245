"""`labgrader demo`: sandbox up, reference solution applied, everything graded, reports written, sandbox down."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from labgrader import paths
from labgrader.commands.common import (
    DEFAULT_OUT,
    ReportGuard,
    add_report_options,
    grade_and_report,
    load_lab,
    reporting_crashes,
    say,
)
from labgrader.engine.outdir import check_out_dir
from labgrader.reports.progress import open_progress
from labgrader.sandbox import manager
from labgrader.solve import solve
from labgrader.targets import open_target


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("demo", help="sandbox up, reference solution, grade everything, sandbox down")
    parser.add_argument("--lab", metavar="SPEC", help="lab spec TOML (default: the week-8 lab)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    add_report_options(parser)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    with reporting_crashes(args.out, args.format) as guard:
        return _run(args, extra, guard)


def _run(args: argparse.Namespace, extra: list[str], guard: ReportGuard) -> int:
    spec = load_lab(args.lab)
    check_out_dir(args.out)
    home = Path(tempfile.mkdtemp(prefix="labgrader-demo-"))  # never touches a sandbox the student runs
    display = open_progress(write=say)
    try:
        display.phase("sandbox: starting moto + redis primary, replica and sentinel ...")
        manager.up(home, region=spec.lab.region or "us-east-1")
        with open_target("local", spec, sandbox_home=home) as target:
            display.phase("solve: applying the reference solution (tables, dataset import, cache, Redis data)")
            solve(spec, target, log=lambda line: display.log(f"  {line}"))
            reference = paths.reference_solution()
            solution = reference if spec.cache_aside is not None and reference.is_file() else None
            return grade_and_report(
                spec, target, args.out, solution, extra, formats=args.format, display=display, guard=guard
            )
    finally:
        display.close()
        manager.down(home)
        shutil.rmtree(home, ignore_errors=True)
        say("sandbox: stopped")
