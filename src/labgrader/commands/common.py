"""What the commands share: one-line messages, spec loading, target options, running and reporting a grade."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from labgrader import __version__, paths, runner, scorecard
from labgrader.spec import LabSpec, load_spec
from labgrader.targets import TARGET_NAMES, Target

DEFAULT_OUT = Path("reports/latest")


def say(message: str) -> None:
    print(message, flush=True)


def complain(message: str) -> None:
    sys.stderr.write(f"labgrader: {message}\n")
    sys.stderr.flush()


def load_lab(path: str | None) -> LabSpec:
    return load_spec(path or paths.default_lab_spec())


def add_target_options(parser: argparse.ArgumentParser, *, targets: Sequence[str] = TARGET_NAMES) -> None:
    parser.add_argument("--target", choices=targets, default="local", help="where the lab runs (default local)")
    parser.add_argument("--lab", metavar="SPEC", help="lab spec TOML (default: the week-8 lab)")
    parser.add_argument("--region", help="AWS region (aws target; default from AWS config, then the lab spec)")
    parser.add_argument("--profile", help="AWS profile (aws target)")
    parser.add_argument("--redis-url", help="Redis to grade instead of the default (e.g. an SSH tunnel on AWS)")


def grade_and_report(
    spec: LabSpec,
    target: Target,
    out: Path,
    solution: Path | None,
    extra: Sequence[str] = (),
) -> int:
    say(f"labgrader {__version__}: grading lab {spec.lab.name} on {target.describe()}")
    run = runner.grade(
        spec,
        target,
        out_dir=out,
        solution=solution,
        extra_args=extra,
        on_result=lambda result: say(scorecard.progress_line(result)),
    )
    scorecard.render(run, say, results_path=str(out / "results.json"))
    return run.exit_code
