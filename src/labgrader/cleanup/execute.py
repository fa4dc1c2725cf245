"""Carrying out the delete plan (`labgrader cleanup --delete --yes`): the plan's calls, in order, nothing else.

Waits where AWS requires it: a replication group or cache cluster must be gone before its subnet group, parameter
group and security groups can be deleted (boto3 waiters on AWS; a short poll on the sandbox, whose moto completes a
deletion within seconds). On AWS a security group may stay "in use" for a while after its cache nodes are gone
(their network interfaces are released late): that deletion is retried a few times. A call that fails is reported
and the plan goes on; the inventory taken afterwards says what is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from labgrader.cleanup.model import Step
from labgrader.engine.errors import describe_could_not_look
from labgrader.targets.clients import AwsClients

Log = Callable[[str], None]

# AWS: a replication group takes minutes to delete (the waiter polls every 15 s, up to 20 min).
AWS_WAIT = {"Delay": 15, "MaxAttempts": 80}
# The sandbox: its moto corrections (sandbox/moto/elasticache.py) complete a deletion after ~1 s.
SANDBOX_POLL_S = 0.2
SANDBOX_WAIT_S = 30.0
DEPENDENCY_RETRIES_AWS = 8
DEPENDENCY_DELAY_AWS_S = 15.0

_ALREADY_GONE = frozenset(
    {
        "ReplicationGroupNotFoundFault",
        "CacheClusterNotFound",
        "CacheClusterNotFoundFault",
        "SnapshotNotFoundFault",
        "CacheSubnetGroupNotFoundFault",
        "CacheParameterGroupNotFound",
        "InvalidGroup.NotFound",
        "InvalidPermission.NotFound",
        "ResourceNotFoundException",
        "TableNotFoundException",
        "BackupNotFoundException",
    }
)
_DESCRIBE_GONE = {
    "replication_group_deleted": ("describe_replication_groups", "ReplicationGroupNotFoundFault"),
    "cache_cluster_deleted": ("describe_cache_clusters", "CacheClusterNotFound"),
    "table_not_exists": ("describe_table", "ResourceNotFoundException"),
}


@dataclass(frozen=True)
class Outcome:
    step: Step
    ok: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.step.as_dict(), "ok": self.ok, "message": self.message}


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Executor:
    def __init__(self, clients: AwsClients, target_name: str, log: Log, sleep: Callable[[float], None] = time.sleep):
        self.clients = clients
        self.on_aws = target_name == "aws"
        self.log = log
        self.sleep = sleep

    def run(self, steps: list[Step]) -> list[Outcome]:
        outcomes = []
        refused: set[tuple[str, str, str]] = set()
        for number, step in enumerate(steps, start=1):
            self.log(f"  {number:>2}. {step.command}")
            if step.action == "wait" and step.leftover is not None and step.leftover.key in refused:
                # Its deletion was refused (e.g. still creating): waiting would only run into the timeout.
                outcome = Outcome(step, False, "not waited for: its deletion was refused")
            else:
                outcome = self._one(step)
            if not outcome.ok and step.leftover is not None:
                refused.add(step.leftover.key)
            self.log(f"      {'ok' if outcome.ok else 'FAILED'}: {outcome.message}")
            outcomes.append(outcome)
        return outcomes

    def _one(self, step: Step) -> Outcome:
        client = self.clients.client(step.service, step.region)
        try:
            if step.action == "wait":
                return self._wait(client, step)
            if step.operation == "delete_security_group":
                return self._delete_security_group(client, step)
            getattr(client, step.operation)(**step.params)
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in _ALREADY_GONE:
                return Outcome(step, True, "already gone")
            # Anything else, e.g. InvalidReplicationGroupState (still creating or modifying): reported, the plan
            # goes on, and the inventory taken afterwards tells what is left.
            return Outcome(step, False, describe_could_not_look(exc))
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            return Outcome(step, False, describe_could_not_look(exc))
        return Outcome(step, True, _done(step))

    def _wait(self, client: Any, step: Step) -> Outcome:
        if self.on_aws:
            try:
                client.get_waiter(step.operation).wait(**step.params, WaiterConfig=AWS_WAIT)
            except botocore.exceptions.WaiterError as exc:
                return Outcome(step, False, f"still there after waiting: {exc}")
            return Outcome(step, True, "gone")
        describe, gone_code = _DESCRIBE_GONE[step.operation]
        deadline = time.monotonic() + SANDBOX_WAIT_S
        while time.monotonic() < deadline:
            try:
                getattr(client, describe)(**step.params)
            except botocore.exceptions.ClientError as exc:
                if _code(exc) in (gone_code, f"{gone_code}Fault"):
                    return Outcome(step, True, "gone")
                raise
            self.sleep(SANDBOX_POLL_S)
        return Outcome(step, False, f"still there after {SANDBOX_WAIT_S:g} s")

    def _delete_security_group(self, client: Any, step: Step) -> Outcome:
        attempts = DEPENDENCY_RETRIES_AWS if self.on_aws else 1
        for attempt in range(1, attempts):
            try:
                client.delete_security_group(**step.params)
            except botocore.exceptions.ClientError as exc:
                if _code(exc) != "DependencyViolation":
                    raise
                self.log(
                    f"      still in use (attempt {attempt} of {attempts}): retrying in {DEPENDENCY_DELAY_AWS_S:g} s"
                )
                self.sleep(DEPENDENCY_DELAY_AWS_S)  # the deleted nodes' network interfaces are released late
            else:
                return Outcome(step, True, "deleted")
        client.delete_security_group(**step.params)  # the last attempt: its error is the outcome
        return Outcome(step, True, "deleted")


def _done(step: Step) -> str:
    if step.action == "revoke":
        return "rule revoked"
    if step.action == "unprotect":
        return "deletion protection off"
    if step.operation in ("delete_replication_group", "delete_cache_cluster", "delete_table"):
        return "deleting"
    return "deleted"
