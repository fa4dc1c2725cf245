"""The `labgrader` command's entry point: catches a Ctrl-C that lands while the heavy modules (boto3, moto, pytest)
are still importing, which `labgrader.cli` cannot, being one of them."""

from __future__ import annotations

import signal
import sys

INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C


def main() -> int:
    try:
        from labgrader import cli  # noqa: PLC0415 - the imports a Ctrl-C may interrupt

        code = cli.main()
    except KeyboardInterrupt:
        code = INTERRUPTED
        cli_complain("interrupted.")
    # Exiting now: a second Ctrl-C during interpreter shutdown would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


def cli_complain(message: str) -> None:
    try:
        sys.stderr.write(f"labgrader: {message}\n")
        sys.stderr.flush()
    except OSError:
        pass
