"""`labgrader grade`: grade the lab on local, aws or containers; arguments after `--` go to pytest."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from labgrader import setup_script
from labgrader.commands import roster
from labgrader.commands.common import (
    DEFAULT_OUT,
    ReportGuard,
    add_report_options,
    add_target_options,
    complain,
    grade_and_report,
    load_lab,
    reporting_crashes,
    say,
)
from labgrader.engine.exit_codes import EXIT_USAGE
from labgrader.engine.outdir import check_out_dir
from labgrader.spec import LabSpec
from labgrader.targets import open_target
from labgrader.targets.base import Target


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("grade", help="grade the lab; arguments after -- go to pytest")
    add_target_options(parser)
    parser.add_argument("--solution", type=Path, help="the student's cache-aside module (path/to/module.py)")
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="containers: the DynamoDB endpoint (default http://localhost:8000); aws: an AWS-compatible emulator's "
        "endpoint (e.g. LocalStack's http://localhost:4566)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    parser.add_argument(
        "--disruptive",
        action="store_true",
        help="on aws, really fail the Redis primary over with TestFailover (takes minutes; 15 per 24 h)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="skip the checks that write scratch items/keys (for credentials that may only read)",
    )
    parser.add_argument(
        "--setup",
        type=Path,
        metavar="SCRIPT",
        help="grade from scratch: start a fresh sandbox (--target local) or fresh containers (--target containers), "
        "run SCRIPT in it with bash (contained), grade, then stop everything",
    )
    parser.add_argument(
        "--setup-timeout",
        type=_seconds,
        default=setup_script.DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"kill the setup script (and all it started) after S seconds (default {setup_script.DEFAULT_TIMEOUT_S:g})",
    )
    add_report_options(parser, student_id=True)
    roster.add_roster_options(parser, grading=True)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 86400")
    return value


def run(args: argparse.Namespace, extra: list[str]) -> int:
    with reporting_crashes(args.out, args.format) as guard:
        return _run(args, extra, guard)


def _run(args: argparse.Namespace, extra: list[str], guard: ReportGuard) -> int:
    problem = roster.roster_usage_problem(args)
    if args.setup is not None and args.roster is not None:
        problem = "--setup grades one submission from scratch and --roster grades live accounts: give one of them."
    if problem:
        guard.reason = problem
        complain(problem)
        return EXIT_USAGE
    spec = load_lab(args.lab)
    check_out_dir(args.out)
    solution = None
    if args.solution is not None:
        if not args.solution.is_file():
            if args.solution.is_dir():
                what = "it is a directory, not a file"
            elif args.solution.exists():
                what = "not a regular file (a device, FIFO or socket)"
            else:
                what = "no such file"
            guard.reason = f"--solution {args.solution}: {what} (give the path to your cache-aside module .py)."
            complain(guard.reason)
            return EXIT_USAGE
        solution = args.solution.resolve()
    if args.disruptive:
        extra = [*extra, "--lab-disruptive"]
    if args.read_only:
        extra = [*extra, "--lab-read-only"]
    if args.setup is not None:
        return _grade_from_scratch(args, spec, solution, extra, guard)
    if args.roster is not None:
        return roster.grade(args, spec, extra)
    with open_target(
        args.target,
        spec,
        region=args.region,
        profile=args.profile,
        redis_url=args.redis_url,
        endpoint_url=args.endpoint_url,
    ) as target:
        return grade_and_report(
            spec, target, args.out, solution, extra, formats=args.format, student_id=args.student_id, guard=guard
        )


def _grade_from_scratch(
    args: argparse.Namespace, spec: LabSpec, solution: Path | None, extra: list[str], guard: ReportGuard
) -> int:
    if args.endpoint_url or args.redis_url or args.profile:
        guard.reason = "--setup starts a fresh environment of its own: drop --endpoint-url, --redis-url and --profile."
        complain(guard.reason)
        return EXIT_USAGE

    def grade(target: Target, fields: dict[str, Any]) -> int:
        return grade_and_report(
            spec,
            target,
            args.out,
            solution,
            extra,
            formats=args.format,
            student_id=args.student_id,
            guard=guard,
            fields=fields,
        )

    return setup_script.grade_from_scratch(
        args.setup, args.target, spec, region=args.region, timeout=args.setup_timeout, grade=grade, say=say
    )
