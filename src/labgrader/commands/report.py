"""`labgrader report RESULTS_JSON [--out DIR] [--format LIST]`: regenerate the reports of a saved results.json.

Exit 0 once the reports are written (the lab's verdict is the exit code of `grade`), 2 for a file that is not a
results.json (unreadable, too large, not a regular file, not UTF-8 JSON, the wrong shape): one line saying why.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from labgrader import reports
from labgrader.commands.common import add_report_options, complain, say
from labgrader.engine.exit_codes import EXIT_OK, EXIT_USAGE
from labgrader.engine.inert import terminal
from labgrader.engine.outdir import check_out_dir
from labgrader.engine.results import RESULTS_FILE
from labgrader.reports import scorecard
from labgrader.reports.model import MalformedResultsError, load_run


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("report", help="regenerate the reports (html, gradescope, ...) of a results.json")
    parser.add_argument("results", type=Path, metavar="RESULTS", help="a results.json, or the folder holding one")
    parser.add_argument("--out", type=Path, help="report folder (default: the folder of RESULTS)")
    add_report_options(parser)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    source: Path = args.results / RESULTS_FILE if args.results.is_dir() else args.results
    if source != args.results and not (source.exists() or source.is_symlink()):
        complain(f"{args.results}: a folder with no {RESULTS_FILE} in it.")
        return EXIT_USAGE
    try:
        run_result = load_run(source)
    except MalformedResultsError as exc:
        complain(f"{source}: {exc}.")
        return EXIT_USAGE
    out: Path = args.out or source.parent
    check_out_dir(out)
    formats = reports.default_formats() if args.format is None else args.format
    written = reports.write_reports(run_result, out, formats, picture_dir=source.parent)
    scorecard.show(run_result, write=say, results_path=str(written["json"]))
    others = [f"{name} {path}" for name, path in written.items() if name != "json"]
    if others:
        say(terminal("reports: " + ", ".join(others)))
    return EXIT_OK
