"""The `labgrader` command's entry point: catches a Ctrl-C that lands while the heavy modules (boto3, moto, pytest)
are still importing, which `labgrader.cli` cannot, being one of them."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from labgrader.engine.exit_codes import EXIT_INTERRUPTED


def main() -> int:
    try:
        from labgrader import cli  # noqa: PLC0415 - the imports a Ctrl-C may interrupt

        code = cli.main()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        cli_complain("interrupted.")
    # Exiting now: a second Ctrl-C during interpreter shutdown would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code == EXIT_INTERRUPTED:
        # Python exits by re-raising SIGINT (status -2, not 130) when it saw a KeyboardInterrupt leave any code it
        # ran; after a Ctrl-C the documented 130 must hold, and the cleanup already ran in `cli.main`.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(EXIT_INTERRUPTED)
    return code


def cli_complain(message: str) -> None:
    try:
        sys.stderr.write(f"labgrader: {message}\n")
        sys.stderr.flush()
    except OSError:
        pass
