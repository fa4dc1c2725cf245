from __future__ import annotations

import redis

from labgrader.api import Hint, LabSpec, Passed, Target, check, fail, not_applicable, passed, redact_url
from labgrader.api import redis_connection as redis_conn
from labgrader.api import redis_evaluation as ev

# The sandbox's replica comes back attached when the sandbox restarts (increase-replica-count changes only its
# control plane there, never the redis-server processes). A restart starts the sandbox empty: `sandbox down` removes
# its data folder and moto keeps its resources in memory.
SANDBOX_RESTART = ("labgrader sandbox down", "labgrader sandbox up --detach")
RESTART_NOTE = "the sandbox starts again empty (its data and AWS resources are gone): set the lab up on it again."
SANDBOX_REPLICAS = 1  # the sandbox runs one primary and one replica


@check(
    "redis_replication_healthy",
    points=2,
    objective="The lab's Redis primary reports role:master with at least the lab's number of replicas connected and online.",
    hint=Hint(
        (
            "aws elasticache increase-replica-count --replication-group-id {lab.elasticache.replication_group} "
            "--new-replica-count {lab.redis.min_replicas} --apply-immediately",
            "aws elasticache wait replication-group-available --replication-group-id {lab.elasticache.replication_group}",
        ),
        "On the sandbox, restart it instead (labgrader sandbox down, then labgrader sandbox up --detach): its replica "
        "comes back attached.",
    ),
    requires=("redis",),
    aws_actions=("elasticache:DescribeReplicationGroups",),
)
def redis_replication_healthy(redis_primary: redis.Redis, redis_url: str, lab: LabSpec, target: Target) -> Passed:
    assert lab.redis is not None
    if not target.provides("sentinel") and not target.provides("elasticache"):
        not_applicable(
            f"not possible on the {target.name} target: it runs a single Redis without replicas "
            "(replication is graded on the sandbox or AWS)"
        )
    wanted = lab.redis.min_replicas
    info = redis_primary.info("replication")
    links = ev.replica_links(info)
    observed = {
        "role": info.get("role"),
        "connected_slaves": info.get("connected_slaves"),
        "replicas": ev.describe_links(links),
    }
    expected = f"role:master, >= {wanted} replica(s) online"
    where = redact_url(redis_url)
    problems = ev.replication_problems(info, wanted)
    if problems:
        fail(
            f"Redis at {where}: {'; '.join(problems)}.",
            call="INFO replication",
            observed=observed,
            expected=expected,
            hint=Hint(SANDBOX_RESTART, f"Restarting the sandbox brings its replica back attached; {RESTART_NOTE}")
            if target.sentinel is not None and wanted <= SANDBOX_REPLICAS
            else None,
        )
    if target.sentinel is not None:
        # On the sandbox the replicas are reachable: ask each one whether its link to the primary is up.
        for link in links:
            replica = redis_conn.connect(f"redis://{link.ip}:{link.port}/0", timeout=2.0)
            try:
                status = replica.info("replication").get("master_link_status")
            finally:
                replica.close()
            if status != "up":
                fail(
                    f"Redis replica {link.address} of {where} reports master_link_status:{status}; expected up.",
                    call="INFO replication (replica)",
                    observed=f"master_link_status:{status}",
                    expected="master_link_status:up",
                    hint=Hint(
                        SANDBOX_RESTART,
                        f"The replica at {link.address} lost its primary: restarting the sandbox attaches it again; "
                        + RESTART_NOTE,
                    ),
                )
    return passed(
        f"Redis at {where} is the primary (role:master) with {len(links)} replica(s): {ev.describe_links(links)}.",
        call="INFO replication",
        observed=observed,
        expected=expected,
    )
