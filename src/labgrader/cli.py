"""labgrader: grades the DynamoDB + ElastiCache (Redis) + cache-aside lab, on AWS or a local sandbox.

Exit codes: 0 every required check passes; 1 at least one check fails; 2 bad usage or invalid input (lab spec,
--out naming a file); 3 no failure, but the grader could not look (error) or a resource is still being created
(pending), or the environment refuses (no sandbox, one already running, --out read-only or full); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from labgrader import __version__
from labgrader.commands import cleanup, common, demo, grade, gradebook, policy, report, sandbox, solve
from labgrader.engine import runner
from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from labgrader.engine.outdir import OutputError
from labgrader.sandbox.manager import SandboxError
from labgrader.spec import SpecError
from labgrader.targets.base import TargetError

# In the order `labgrader --help` lists them.
COMMANDS = {
    "demo": demo,
    "sandbox": sandbox,
    "solve": solve,
    "grade": grade,
    "report": report,
    "gradebook": gradebook,
    "cleanup": cleanup,
    "policy": policy,
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (with where to look), not a usage block."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="labgrader", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"labgrader {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in arguments:
        split = arguments.index("--")
        arguments, extra = arguments[:split], arguments[split + 1 :]
    try:
        args = build_parser().parse_args(arguments)
        return int(COMMANDS[args.command].run(args, extra))
    except BrokenPipeError:
        # Whoever read our output stopped (`labgrader ... | head -1`): the work is done, the rest of it unwanted.
        common.silence_stdout()
        return EXIT_OK
    except (OutputError, SpecError, TargetError, SandboxError) as exc:
        common.complain(str(exc))
        if isinstance(exc, OutputError | TargetError):
            return exc.exit_code
        return EXIT_USAGE if isinstance(exc, SpecError) else EXIT_COULD_NOT_LOOK
    except runner.GradingUsageError:
        return EXIT_USAGE  # pytest already printed the one-line reason
    except KeyboardInterrupt:
        common.complain("interrupted.")
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last resort: one line, not a traceback
        if os.environ.get("LABGRADER_DEBUG"):
            raise
        common.complain(f"internal error: {type(exc).__name__}: {exc} (LABGRADER_DEBUG=1 shows the traceback).")
        return EXIT_COULD_NOT_LOOK
