"""`labgrader solve`: apply the reference solution (on aws only with --yes: it costs money)."""

from __future__ import annotations

import argparse

from labgrader.cleanup import pricing
from labgrader.commands.common import add_target_options, complain, load_lab, say
from labgrader.engine.exit_codes import EXIT_OK, EXIT_USAGE
from labgrader.solve import solve
from labgrader.spec import LabSpec
from labgrader.targets import open_target


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("solve", help="apply the reference solution (aws needs --yes: it costs money)")
    add_target_options(parser, targets=("local", "aws"))
    parser.add_argument("--yes", action="store_true", help="confirm creating billable AWS resources")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the replication group")


def run(args: argparse.Namespace, extra: list[str]) -> int:
    spec = load_lab(args.lab)
    if args.target == "aws" and not args.yes:
        complain(aws_cost_warning(spec) + " Run again with --yes to create them.")
        return EXIT_USAGE
    with open_target(args.target, spec, region=args.region, profile=args.profile, redis_url=args.redis_url) as target:
        say(f"solve: lab {spec.lab.name} on {target.describe()}")
        solve(spec, target, log=lambda line: say(f"  {line}"), wait=not args.no_wait)
    return EXIT_OK


def aws_cost_warning(spec: LabSpec) -> str:
    if spec.elasticache is None:
        return "solve --target aws creates the lab's DynamoDB table (on-demand: idle costs only storage)."
    prices = pricing.load()
    nodes = 1 + max(spec.elasticache.min_replicas, 1)
    hourly = prices.node_hourly(spec.elasticache.node_type)
    cost = (
        f"about ${nodes * hourly:.3f}/hour (${nodes * hourly * prices.hours_per_month:.0f}/month)"
        if hourly is not None
        else "an unknown price per hour"
    )
    return (
        f"solve --target aws creates {nodes} ElastiCache {spec.elasticache.node_type} nodes: {cost} until you "
        f"delete them ({prices.region} on-demand, {prices.as_of})."
    )
