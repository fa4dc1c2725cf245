from __future__ import annotations

import secrets
import time

import pytest
import redis

from labgrader.api import (
    Hint,
    Lookups,
    Passed,
    SandboxShare,
    ScratchKeys,
    Target,
    check,
    could_not_look,
    fail,
    not_applicable,
    passed,
    pending,
    redact_url,
    redis_scratch,
    sandbox_topology,
)
from labgrader.api import elasticache_evaluation as ec
from labgrader.api import elasticache_failover as aws_failover
from labgrader.api import elasticache_hints as hints
from labgrader.api import redis_connection as redis_conn

RECONNECT_S = 90.0  # after TestFailover the primary endpoint's DNS name moves to the new primary


@check(
    "redis_failover_recovers",
    points=2,
    disruptive=True,
    objective="A real failover of the lab's Redis loses no acknowledged data and the new primary takes writes (sentinel on the sandbox; TestFailover on AWS with --disruptive).",
    hint=Hint(
        ("labgrader sandbox down", "labgrader sandbox up --detach"),
        "On the sandbox, a restart brings the primary, the replica and the sentinel back as the lab set them up. On "
        "AWS, failover needs automatic failover enabled and a replica (aws elasticache test-failover tries it).",
    ),
    requires=("redis",),
    writes=True,
    aws_actions=(
        "elasticache:DescribeReplicationGroups",
        "elasticache:TestFailover",
        "elasticache:DescribeEvents",
    ),
)
def redis_failover_recovers(
    target: Target,
    redis_url: str,
    scratch_keys: ScratchKeys,
    disruptive: bool,
    request: pytest.FixtureRequest,
) -> Passed:
    # scratch_keys needs the primary to answer PING first: unreachable is `error`, before anything is failed over.
    if target.sentinel is None or not target.provides("sentinel"):
        if target.name != "aws":
            reason = target.unavailable.get("sentinel", "no sentinel to fail over with")
            not_applicable(f"not possible on the {target.name} target: {reason}")
        if not disruptive:
            not_applicable(
                "not run without --disruptive: ElastiCache TestFailover really fails the primary over, takes minutes "
                "and AWS allows it on 15 node groups per rolling 24 h; grade again with `labgrader grade --target aws "
                "--disruptive` to run it"
            )
        return on_aws(request.getfixturevalue("elasticache_lookups"), target, redis_url, scratch_keys)
    share: SandboxShare | None = request.getfixturevalue("sandbox_share")
    if share is not None:
        share.release()  # the failover takes the sandbox alone: it waits for other runs' Redis checks to end
    try:
        return on_sandbox(target, redis_url, scratch_keys)
    finally:
        if share is not None:
            share.acquire()


def on_sandbox(target: Target, redis_url: str, scratch_keys: ScratchKeys) -> Passed:
    assert target.sentinel is not None
    where = redact_url(redis_url)
    token = secrets.token_hex(8)
    keys = (scratch_keys("failover-before"), scratch_keys("failover-after"))
    try:
        outcome = sandbox_topology.sandbox_failover(target.sentinel, redis_url, keys, token)
    except sandbox_topology.NotMonitoredError as exc:
        not_applicable(f"not possible here: {exc} (grade the sandbox's own REDIS_URL to test its failover)")
    except sandbox_topology.PrimaryDownError as exc:
        redis_scratch.unreachable(
            redis_url, target, exc
        )  # it died after the run's first PING: `error`, as for every Redis check
    except sandbox_topology.FailoverError as exc:
        fail(
            f"The sandbox's Redis did not fail over and back through sentinel: {exc}.",
            call="SENTINEL FAILOVER",
            observed=str(exc),
            expected="a replica promoted, then the original primary restored",
        )
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        redis_scratch.unreachable(redis_url, target, exc)
    steps = outcome.timings.steps
    evidence = {
        "promote_s": round(outcome.timings.promote_s, 3),
        "rejoin_s": round(outcome.timings.rejoin_s, 3),
        "failback_s": round(outcome.timings.failback_s, 3),
        "total_s": round(outcome.timings.total_s, 3),
        "steps": steps,
        "healed_before": outcome.healed_before,
    }
    if outcome.acknowledged_by < 1:
        fail(
            f"Redis at {where}: no replica acknowledged the write made before the failover (WAIT 1 → "
            f"{outcome.acknowledged_by}), so a failover would lose it.",
            call="SET; WAIT 1 2000",
            observed=outcome.acknowledged_by,
            expected=">= 1 replica acknowledging",
            extra=evidence,
        )
    if outcome.value_after_failover != token:
        fail(
            f"After the failover to {outcome.new_primary}, the key written (and acknowledged) on {outcome.old_primary} "
            f"before it reads {outcome.value_after_failover!r}; expected the value written.",
            call="SENTINEL FAILOVER; GET on the new primary",
            observed=outcome.value_after_failover,
            expected="the value written before the failover",
            extra=evidence,
        )
    if not outcome.write_after_failover:
        fail(
            f"The new primary {outcome.new_primary} refused a write after the failover; expected it to take writes.",
            call="SET on the new primary",
            observed="write refused",
            expected="OK",
            extra=evidence,
        )
    return passed(
        f"Sentinel promoted {outcome.new_primary} in {outcome.timings.promote_s:.2f} s with the data written before "
        f"intact and writes accepted; {outcome.old_primary} ({where}) was restored as the primary in "
        f"{outcome.timings.total_s:.1f} s overall.",
        call="SENTINEL FAILOVER (twice: over and back)",
        observed="data kept, writes accepted, topology restored",
        expected="data kept, writes accepted, topology restored",
        extra=evidence,
    )


def on_aws(lookups: Lookups, target: Target, redis_url: str, scratch_keys: ScratchKeys) -> Passed:
    spec = lookups.spec
    name = spec.replication_group
    group = lookups.replication_group()
    if group is None:
        fail(
            f"ElastiCache replication group {name} was not found in {target.region}; nothing to fail over "
            "(prerequisite: elasticache_replication_group_available).",
            call="elasticache.describe_replication_groups",
            observed="ReplicationGroupNotFoundFault",
            expected=name,
            hint=hints.create_replication_group_hint(lookups),
        )
    if ec.group_status(group) != "available":
        pending(
            f"ElastiCache replication group {name} is {ec.group_status(group)}; TestFailover needs it available.",
            call="elasticache.describe_replication_groups",
            observed=ec.group_status(group),
            expected="available",
        )
    if ec.automatic_failover(group) != "enabled":
        fail(
            f"ElastiCache replication group {name} has automatic failover {ec.automatic_failover(group)}, so it "
            "cannot fail over (TestFailover needs it enabled and a replica; prerequisite: "
            "elasticache_automatic_failover_enabled).",
            call="elasticache.describe_replication_groups",
            observed=ec.automatic_failover(group),
            expected="enabled",
            hint=Hint(
                tuple(
                    hints.replica_commands(lookups, group)
                    + hints.modify_group_commands(name, "--automatic-failover-enabled")
                )
            ),
        )
    token = secrets.token_hex(8)
    before, after = scratch_keys("failover-before"), scratch_keys("failover-after")
    client = redis_conn.connect(redis_url)
    try:
        client.set(before, token)
        acknowledged = client.wait(1, 5000)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        redis_scratch.unreachable(redis_url, target, exc)  # before anything is failed over
    finally:
        client.close()
    if acknowledged < 1:
        fail(
            f"No replica of {name} acknowledged a write within 5 s (WAIT 1 → {acknowledged}); a failover would lose "
            "it.",
            call="SET; WAIT 1 5000",
            observed=acknowledged,
            expected=">= 1",
        )
    client = lookups.elasticache
    try:
        outcome = aws_failover.aws_test_failover(client, group)
    except client.exceptions.APICallRateForCustomerExceededFault:
        could_not_look(
            "AWS refused TestFailover: it allows 15 node groups per rolling 24 h and this account used them; grade "
            "again tomorrow (or without --disruptive).",
            call="elasticache.test_failover",
        )
    except client.exceptions.InvalidReplicationGroupStateFault:
        pending(
            f"ElastiCache replication group {name} is busy (InvalidReplicationGroupState); TestFailover needs it "
            "available.",
            call="elasticache.test_failover",
            observed="InvalidReplicationGroupStateFault",
            expected="available",
        )
    except aws_failover.AwsFailoverError as exc:
        fail(f"{exc}.", call="elasticache.test_failover; describe_events", observed=str(exc), expected="completed")
    value, wrote = read_back(redis_url, before, after, token)
    evidence = {"events": outcome.events, "duration_s": round(outcome.duration_s, 1), "node_group": outcome.node_group}
    if value != token:
        fail(
            f"After TestFailover of {name} ({outcome.old_primary} → {outcome.new_primary}), the key acknowledged "
            f"before reads {value!r}; expected the value written.",
            call="GET on the primary endpoint",
            observed=value,
            expected="the value written before the failover",
            extra=evidence,
        )
    if not wrote:
        fail(
            f"After TestFailover of {name}, the primary endpoint refused a write.",
            call="SET on the primary endpoint",
            observed="write refused",
            expected="OK",
            extra=evidence,
        )
    return passed(
        f"TestFailover moved the primary of {name} from {outcome.old_primary} to {outcome.new_primary} in "
        f"{outcome.duration_s / 60:.1f} min; the acknowledged write survived and {redact_url(redis_url)} takes "
        "writes again.",
        call="elasticache.test_failover; describe_events",
        observed="data kept, writes accepted",
        expected="data kept, writes accepted",
        extra=evidence,
    )


def read_back(url: str, before: str, after: str, token: str) -> tuple[str | None, bool]:
    """Read the key written before the failover and write another one through the primary endpoint, retrying while
    its DNS name moves to the new primary."""
    started = time.monotonic()
    while True:
        client = redis_conn.connect(url)
        try:
            raw = client.get(before)
            wrote = bool(client.set(after, token))
            return (str(raw) if raw is not None else None), wrote
        except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError):
            if time.monotonic() - started > RECONNECT_S:
                raise
            time.sleep(2.0)
        finally:
            client.close()
