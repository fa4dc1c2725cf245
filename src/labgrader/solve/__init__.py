"""The reference solution: does the whole lab from the spec with boto3 and redis-py (`labgrader solve`).

Idempotent: each step looks before it creates, so running it twice, or after a partial run, converges.
"""

from __future__ import annotations

from collections.abc import Callable

from labgrader.solve import dynamodb, elasticache, redis_data
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients

Log = Callable[[str], None]


def solve(spec: LabSpec, target: Target, log: Log = print, *, wait: bool = True) -> None:
    clients = AwsClients(target)
    if spec.dynamodb is not None and target.provides("dynamodb"):
        dynamodb.apply(spec, clients.client("dynamodb"), log)
    if spec.elasticache is not None and target.provides("elasticache"):
        elasticache.apply(spec, clients, target, log, wait=wait)
    if spec.redis is not None and target.provides("redis"):
        redis_data.apply(spec, clients, target, log)
