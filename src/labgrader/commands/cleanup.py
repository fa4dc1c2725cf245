"""`labgrader cleanup`: after the lab, what of it is still there, what it costs, and how to delete it safely.

Read-only by default: prints the leftovers (resource, region, state, $/h, $/month, delete command) and the delete
plan in dependency order, then grades the cleanup checks into results.json and the reports `grade` writes
(`--format`; report.html and summary.md with the leftovers table) (exit 0 clean, 1 a leftover, 3 could not
look or still deleting). `--delete` without `--yes` is a dry run; `--delete --yes` deletes the lab's leftovers (and
nothing else), waits where AWS requires it, takes the inventory again and grades that.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from labgrader import __version__, reports
from labgrader.cleanup import handoff, plan, pricing, table, take_inventory
from labgrader.cleanup.execute import Executor, Outcome
from labgrader.cleanup.inventory import enabled_regions, scan_clients
from labgrader.cleanup.model import Inventory, Step
from labgrader.cleanup.report import cleanup_block
from labgrader.commands import roster
from labgrader.commands.common import DEFAULT_OUT, add_report_options, complain, load_lab, say
from labgrader.engine import runner
from labgrader.engine.errors import describe_could_not_look
from labgrader.engine.exit_codes import EXIT_USAGE
from labgrader.engine.outdir import check_out_dir
from labgrader.reports import junit, scorecard
from labgrader.spec import LabSpec
from labgrader.targets import open_target
from labgrader.targets.base import Target


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "cleanup", help="after the lab: what is still billing, what it costs, how to delete it (--delete --yes)"
    )
    parser.add_argument("--target", choices=("local", "aws"), default="local", help="where the lab ran (default local)")
    parser.add_argument("--lab", metavar="SPEC", help="lab spec TOML (default: the week-8 lab)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--region", help="the region to look in (default from AWS config, then the lab spec)")
    where.add_argument("--all-regions", action="store_true", help="look in every enabled region (scanned concurrently)")
    parser.add_argument("--profile", help="AWS profile (aws target)")
    # No default here: a `--roster` sweep writes reports only when --out (or --format) is given.
    parser.add_argument("--out", type=Path, default=None, help=f"report folder (default {DEFAULT_OUT})")
    parser.add_argument(
        "--delete", action="store_true", help="delete the lab's leftovers in dependency order (a dry run without --yes)"
    )
    parser.add_argument("--yes", action="store_true", help="confirm --delete: really delete")
    add_report_options(parser)
    roster.add_roster_options(parser, grading=False)


def _inventory(
    spec: LabSpec, target: Target, regions: list[str] | None, prices: pricing.PriceTable
) -> Inventory | BaseException:
    try:
        return take_inventory(spec, target, regions, prices=prices)
    except Exception as exc:  # noqa: BLE001 - reported as `error` by every cleanup check, never a false "clean"
        return exc


def _look(spec: LabSpec, target: Target, all_regions: bool, prices: pricing.PriceTable) -> Inventory | BaseException:
    regions = None
    if all_regions:
        try:
            regions = enabled_regions(target)
        except Exception as exc:  # noqa: BLE001 - every cleanup check reports it as `error`
            return exc
        say(f"Looking in {len(regions)} enabled regions: {', '.join(regions)}")
    return _inventory(spec, target, regions, prices)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    if args.yes and not args.delete:
        complain("--yes confirms --delete: add --delete to delete the leftovers (without it cleanup only reads).")
        return EXIT_USAGE
    problem = roster.roster_usage_problem(args)
    if problem:
        complain(problem)
        return EXIT_USAGE
    spec = load_lab(args.lab)
    if args.roster is not None:
        # A sweep writes reports (one folder per account, the class total) only when asked: --out or --format.
        if args.out is not None or args.format is not None:
            check_out_dir(args.out or DEFAULT_OUT)
        return roster.cleanup(args, spec)
    args.out = args.out or DEFAULT_OUT
    check_out_dir(args.out)
    prices = pricing.load()
    with open_target(args.target, spec, region=args.region, profile=args.profile) as target:
        say(f"labgrader {__version__}: cleanup of lab {spec.lab.name} on {target.describe()}")
        found = _look(spec, target, args.all_regions, prices)
        steps: list[Step] = []
        deleted: list[Outcome] | None = None
        mode = "delete" if args.delete and args.yes else "dry-run" if args.delete else "read-only"
        if isinstance(found, Inventory):
            table.render(found, say, prices)
            steps = plan.build(found)
            if steps and mode == "read-only":
                table.render_plan(steps, say, "\nDelete in this order (or run `labgrader cleanup --delete --yes`):")
            elif steps and mode == "dry-run":
                table.render_plan(steps, say, "\nDry run: --delete --yes would run, in this order:")
                say("Nothing was deleted. Run again with --delete --yes to delete these leftovers of the lab.")
            elif steps:
                say(f"\nDeleting the leftovers of lab {spec.lab.name}, in order:")
                deleted = Executor(scan_clients(target), target.name, say).run(steps)
                found = _inventory(spec, target, list(found.regions), prices)
                say("\nAfter deleting:")
                if isinstance(found, Inventory):
                    table.render(found, say, prices)
            elif mode != "read-only":
                say("Nothing to delete.")
        if isinstance(found, BaseException):
            complain(f"could not take the inventory: {describe_could_not_look(found)}")
        formats = reports.default_formats() if args.format is None else args.format
        pytest_extra, junit_path = list(extra), None
        if "junit" in formats:  # as `grade` does: pytest's own JUnit file of this run, never an older one
            junit_path = junit.junit_path_in(pytest_extra)
            if junit_path is None:
                junit_path = junit.private_pytest_file(args.out)
                pytest_extra += junit.pytest_options(junit_path, spec.lab.name)
        try:
            with handoff.provide(spec, target, found):
                result = runner.grade(spec, target, out_dir=args.out, phase="cleanup", extra_args=pytest_extra)
            result.extra["cleanup"] = cleanup_block(found, steps, prices, deleted=deleted, mode=mode)
            written = reports.write_reports(result, args.out, formats, junit_path=junit_path)
        finally:
            junit.discard_private(junit_path, args.out)
        scorecard.render(result, say, results_path=str(written["json"]))
        others = [f"{name} {path}" for name, path in written.items() if name != "json"]
        if others:
            say("reports: " + ", ".join(others))
        return result.exit_code
