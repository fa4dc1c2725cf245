"""`labgrader policy`: the least-privilege IAM policy for the grader's credentials (JSON on stdout)."""

from __future__ import annotations

import argparse

from labgrader import policy
from labgrader.commands.common import load_lab
from labgrader.results import EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "policy", help="print the least-privilege IAM policy for the grader (read-only + scratch items)"
    )
    parser.add_argument("--lab", metavar="SPEC", help="lab spec TOML (default: the week-8 lab)")
    parser.add_argument("--disruptive", action="store_true", help="also grant TestFailover (grade --disruptive)")


def run(args: argparse.Namespace, extra: list[str]) -> int:
    print(policy.render(policy.build(load_lab(args.lab), disruptive=args.disruptive)), end="")
    return EXIT_OK
