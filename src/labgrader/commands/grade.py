"""`labgrader grade`: grade the lab on local, aws or containers; arguments after `--` go to pytest."""

from __future__ import annotations

import argparse
from pathlib import Path

from labgrader.commands.common import DEFAULT_OUT, add_target_options, complain, grade_and_report, load_lab
from labgrader.results import EXIT_USAGE
from labgrader.targets import open_target


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("grade", help="grade the lab; arguments after -- go to pytest")
    add_target_options(parser)
    parser.add_argument("--solution", type=Path, help="the student's cache-aside module (path/to/module.py)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")


def run(args: argparse.Namespace, extra: list[str]) -> int:
    spec = load_lab(args.lab)
    solution = None
    if args.solution is not None:
        if not args.solution.is_file():
            complain(f"--solution {args.solution}: no such file (give the path to your cache-aside module .py).")
            return EXIT_USAGE
        solution = args.solution.resolve()
    with open_target(args.target, spec, region=args.region, profile=args.profile, redis_url=args.redis_url) as target:
        return grade_and_report(spec, target, args.out, solution, extra)
