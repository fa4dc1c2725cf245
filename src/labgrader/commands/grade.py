"""`labgrader grade`: grade the lab on local, aws or containers; arguments after `--` go to pytest."""

from __future__ import annotations

import argparse
from pathlib import Path

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
)
from labgrader.outdir import check_out_dir
from labgrader.results import EXIT_USAGE
from labgrader.targets import open_target


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
    add_report_options(parser, student_id=True)
    roster.add_roster_options(parser, grading=True)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    with reporting_crashes(args.out, args.format) as guard:
        return _run(args, extra, guard)


def _run(args: argparse.Namespace, extra: list[str], guard: ReportGuard) -> int:
    problem = roster.roster_usage_problem(args)
    if problem:
        guard.reason = problem
        complain(problem)
        return EXIT_USAGE
    spec = load_lab(args.lab)
    check_out_dir(args.out)
    solution = None
    if args.solution is not None:
        if not args.solution.is_file():
            guard.reason = f"--solution {args.solution}: no such file (give the path to your cache-aside module .py)."
            complain(guard.reason)
            return EXIT_USAGE
        solution = args.solution.resolve()
    if args.disruptive:
        extra = [*extra, "--lab-disruptive"]
    if args.read_only:
        extra = [*extra, "--lab-read-only"]
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
