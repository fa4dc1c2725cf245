"""The contract between the checks and the rest of labgrader: a check in checks/ imports labgrader names from here
and from nowhere else (tests/test_architecture_checks.py holds them to it).

Two kinds of names:

* the grading vocabulary, by name: the `check` decorator, the verdicts (`passed`, `fail`, `pending`,
  `could_not_look`, `not_applicable`, with `Passed` and `Hint`), the lab spec's types, the `Target` graded and the
  types of the fixture values a check takes (`AwsClients`, `Lookups`, `ScratchItems`, ...), with the ElastiCache
  requirements that judge a `Lookups` (`require_group`, `require_settled`, `snapshot_in_progress`: by name, as a
  module they would take the name of the `elasticache_lookups` fixture);
* each service's helpers, as a module named `<service>_<module>`: `dynamodb_evaluation.format_key(...)`,
  `elasticache_hints.replica_commands(...)`, `cacheaside_protocol.call(...)`, ... (`lab_dataset` is
  labgrader.dataset: `dataset` is a check's DatasetSpec parameter).

What a check needs that is not here is added here first, so the engine and the services can move behind this face
without touching a check.
"""

from labgrader import dataset as lab_dataset
from labgrader import redis_connection
from labgrader.cacheaside import harness as cacheaside_harness
from labgrader.cacheaside import protocol as cacheaside_protocol
from labgrader.cacheaside import proxy as cacheaside_proxy
from labgrader.cacheaside import values as cacheaside_values
from labgrader.cacheaside.harness import CacheAsideHarness
from labgrader.cleanup import judge as cleanup_judge
from labgrader.cleanup.model import Inventory
from labgrader.engine.check import check
from labgrader.engine.verdict import Hint, Passed, could_not_look, fail, not_applicable, passed, pending
from labgrader.sandbox import topology as sandbox_topology
from labgrader.sandbox.locks import SandboxShare
from labgrader.services import latency
from labgrader.services.dynamodb import evaluation as dynamodb_evaluation
from labgrader.services.dynamodb import hints as dynamodb_hints
from labgrader.services.dynamodb import lookups as dynamodb_lookups
from labgrader.services.dynamodb import scratch as dynamodb_scratch
from labgrader.services.dynamodb.scratch import ScratchItems
from labgrader.services.elasticache import evaluation as elasticache_evaluation
from labgrader.services.elasticache import failover as elasticache_failover
from labgrader.services.elasticache import hints as elasticache_hints
from labgrader.services.elasticache.lookups import Lookups
from labgrader.services.elasticache.prerequisites import require_group, require_settled, snapshot_in_progress
from labgrader.services.redis import evaluation as redis_evaluation
from labgrader.services.redis import scratch as redis_scratch
from labgrader.services.redis.scratch import ScratchKeys
from labgrader.spec import (
    DatasetSpec,
    DynamoDBSpec,
    ExercisesSpec,
    LabSpec,
    LatencySpec,
    SecondaryIndex,
    StreamSpec,
    TtlSpec,
)
from labgrader.targets.base import Target, redact_url
from labgrader.targets.clients import AwsClients

__all__ = [
    "AwsClients",
    "CacheAsideHarness",
    "DatasetSpec",
    "DynamoDBSpec",
    "ExercisesSpec",
    "Hint",
    "Inventory",
    "LabSpec",
    "LatencySpec",
    "Lookups",
    "Passed",
    "SandboxShare",
    "ScratchItems",
    "ScratchKeys",
    "SecondaryIndex",
    "StreamSpec",
    "Target",
    "TtlSpec",
    "cacheaside_harness",
    "cacheaside_protocol",
    "cacheaside_proxy",
    "cacheaside_values",
    "check",
    "cleanup_judge",
    "could_not_look",
    "dynamodb_evaluation",
    "dynamodb_hints",
    "dynamodb_lookups",
    "dynamodb_scratch",
    "elasticache_evaluation",
    "elasticache_failover",
    "elasticache_hints",
    "fail",
    "lab_dataset",
    "latency",
    "not_applicable",
    "passed",
    "pending",
    "redact_url",
    "redis_connection",
    "redis_evaluation",
    "redis_scratch",
    "require_group",
    "require_settled",
    "sandbox_topology",
    "snapshot_in_progress",
]
