"""`labgrader gradebook DIR... [--out gradebook.csv]`: many students' results.json → one CSV for the instructor."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labgrader.commands.common import complain, say
from labgrader.engine import outdir
from labgrader.engine.exit_codes import EXIT_OK, EXIT_USAGE
from labgrader.engine.outdir import check_out_dir
from labgrader.reports import gradebook

DEFAULT_CSV = Path("gradebook.csv")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "gradebook",
        help="one CSV row per student run (results.json files or folders), plus each check's pass rate",
        description="Each PATH is a results.json, a run folder holding one, or a folder of run folders. "
        "Missing and malformed files are skipped with a warning; exit 0 when at least one file was read.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="results.json files or folders")
    parser.add_argument("--out", type=Path, default=DEFAULT_CSV, help=f"CSV file, - for stdout (default {DEFAULT_CSV})")


def run(args: argparse.Namespace, extra: list[str]) -> int:
    entries = gradebook.collect(args.paths, warn=complain)
    if not entries:
        complain(f"no readable results.json in {', '.join(map(str, args.paths))}: nothing to put in a gradebook.")
        return EXIT_USAGE
    text = gradebook.render(entries)
    if str(args.out) == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if args.out.is_dir():
        complain(f"--out {args.out}: it is a folder: give the CSV file to write (like {DEFAULT_CSV}).")
        return EXIT_USAGE
    check_out_dir(args.out.parent)
    outdir.write_text(args.out, text)
    say(f"gradebook: {len(entries)} run(s) of {len({e.student[0] for e in entries})} student(s) → {args.out}")
    return EXIT_OK
