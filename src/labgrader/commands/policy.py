"""`labgrader policy`: the least-privilege IAM policy for the grader's credentials (JSON on stdout).

`--role-for INSTRUCTOR_ACCOUNT_ID [--external-id X]`: the grader role a student creates for `grade --roster`, as aws
CLI commands on stdout and a CloudFormation template file (`--template-out`, `-` prints the template instead).
`--cleanup`: the permissions the grader role also needs for `cleanup --roster --delete --yes`.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from pathlib import Path

from labgrader.commands.common import complain, load_lab
from labgrader.engine import outdir, policy
from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK, EXIT_OK, EXIT_USAGE
from labgrader.engine.outdir import OutputError

DEFAULT_TEMPLATE = Path("labgrader-grader-role.json")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "policy", help="print the least-privilege IAM policy for the grader (read-only + scratch items)"
    )
    parser.add_argument("--lab", metavar="SPEC", help="lab spec TOML (default: the week-8 lab)")
    parser.add_argument("--disruptive", action="store_true", help="also grant TestFailover (grade --disruptive)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--role-for",
        metavar="ACCOUNT_ID",
        help="the instructor's AWS account: print the aws CLI commands that create the grader role it may assume, "
        "and write the same role as a CloudFormation template (--template-out)",
    )
    mode.add_argument(
        "--cleanup",
        action="store_true",
        help="print the permissions the grader role also needs for `cleanup --roster --delete --yes`",
    )
    parser.add_argument("--external-id", metavar="X", help="with --role-for: the sts:ExternalId the role requires")
    parser.add_argument(
        "--role-name", default=policy.DEFAULT_ROLE_NAME, help=f"with --role-for (default {policy.DEFAULT_ROLE_NAME})"
    )
    parser.add_argument(
        "--template-out",
        type=Path,
        default=DEFAULT_TEMPLATE,
        metavar="PATH",
        help=f"with --role-for: the CloudFormation template file (default {DEFAULT_TEMPLATE}; - prints it instead "
        "of the commands)",
    )


def run(args: argparse.Namespace, extra: list[str]) -> int:
    if args.cleanup:
        print(policy.render(policy.cleanup_policy()), end="")
        return EXIT_OK
    grader = policy.build(load_lab(args.lab), disruptive=args.disruptive)
    if args.role_for is None:
        if args.external_id:
            complain("--external-id goes with --role-for ACCOUNT_ID (the instructor's account).")
            return EXIT_USAGE
        print(policy.render(grader), end="")
        return EXIT_OK
    if not policy.ACCOUNT_ID.fullmatch(args.role_for):
        complain(f"--role-for {args.role_for!r}: give the instructor's 12-digit AWS account ID.")
        return EXIT_USAGE
    if args.external_id and not policy.EXTERNAL_ID.fullmatch(args.external_id):
        complain("--external-id must be 2-1224 characters of letters, digits and +=,.@:/-_.")
        return EXIT_USAGE
    if not policy.ROLE_NAME.fullmatch(args.role_name):
        complain("--role-name must be 1-64 characters of letters, digits and +=,.@_-.")
        return EXIT_USAGE
    template = policy.role_template(grader, args.role_for, args.external_id, args.role_name)
    text = json.dumps(template, indent=2) + "\n"
    if str(args.template_out) == "-":
        print(text, end="")
        return EXIT_OK
    problem = _write_template(args.template_out, text)
    if problem:
        complain(problem)
        return EXIT_USAGE
    print(policy.role_commands(grader, args.role_for, args.external_id, args.role_name, str(args.template_out)), end="")
    return EXIT_OK


def _write_template(path: Path, text: str) -> str | None:
    """Write the template whole or not at all; a usage problem (exit 2) is returned, a disk that refuses (full,
    read-only) raises OutputError (exit 3). A device or FIFO the user names (/dev/stdout) is written in place, never
    replaced by a file."""
    try:
        mode: int | None = path.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        return f"--template-out {path}: it is a directory: give a file path for the template (or - to print it)."
    if mode is None or stat.S_ISREG(mode):
        outdir.write_text(path, text)
        return None
    try:
        # Non-blocking open: a FIFO nobody reads is an error (ENXIO), not a hang; then blocking writes.
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "w", encoding="utf-8") as device:
            device.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}.", EXIT_COULD_NOT_LOOK) from None
    return None
