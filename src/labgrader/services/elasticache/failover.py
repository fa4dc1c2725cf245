"""ElastiCache TestFailover on AWS: start it on the lab's replication group and follow it through DescribeEvents
and DescribeReplicationGroups until AWS reports it completed (opt-in: it is rate-limited and takes minutes).

The sandbox's failover, through its own sentinel, is the sandbox's business: labgrader/sandbox/topology.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


class AwsFailoverError(Exception):
    """TestFailover did not complete in time: one sentence saying what AWS reported meanwhile."""


# Event messages TestFailover produces, in order (API reference, TestFailover); older engines say "master node".
_FAILOVER_DONE = re.compile(r"Failover from (?:primary|master) node (\S+) to replica node (\S+) completed")
_RECOVERED = re.compile(r"Finished recovery for cache nodes")


@dataclass(frozen=True)
class AwsFailover:
    node_group: str
    old_primary: str | None
    new_primary: str | None
    events: list[str]
    duration_s: float
    recovered: bool


def primary_member(group: dict[str, Any], node_group_id: str) -> str | None:
    for node_group in group.get("NodeGroups") or []:
        if node_group.get("NodeGroupId") == node_group_id:
            for member in node_group.get("NodeGroupMembers") or []:
                if member.get("CurrentRole") == "primary":
                    return str(member.get("CacheClusterId"))
    return None


def aws_test_failover(
    elasticache: Any,
    group: dict[str, Any],
    *,
    timeout_s: float = 1500.0,
    poll_s: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AwsFailover:
    """TestFailover on the group's first node group, then poll DescribeEvents and DescribeReplicationGroups until
    AWS reports the failover completed and the group is available again (it takes minutes)."""
    group_id = str(group["ReplicationGroupId"])
    node_group_id = str((group.get("NodeGroups") or [{}])[0].get("NodeGroupId", "0001"))
    old = primary_member(group, node_group_id)
    since = now() - timedelta(seconds=5)
    started = clock()
    elasticache.test_failover(ReplicationGroupId=group_id, NodeGroupId=node_group_id)
    sources = {group_id, *(str(m) for m in group.get("MemberClusters") or [])}
    messages: list[str] = []
    done = recovered = False
    current = group
    while True:
        paginator = elasticache.get_paginator("describe_events")
        for page in paginator.paginate(StartTime=since):
            for event in page.get("Events") or []:
                message = str(event.get("Message", ""))
                if event.get("SourceIdentifier") in sources and message not in messages:
                    messages.append(message)
        done = done or any(_FAILOVER_DONE.search(m) for m in messages)
        recovered = recovered or any(_RECOVERED.search(m) for m in messages)
        current = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        if done and current.get("Status") == "available":
            break
        if clock() - started > timeout_s:
            raise AwsFailoverError(
                f"TestFailover of {group_id} did not complete within {timeout_s / 60:.0f} min "
                f"(status {current.get('Status')}; events: {'; '.join(messages) or 'none'})"
            )
        sleep(poll_s)
    return AwsFailover(
        node_group=node_group_id,
        old_primary=old,
        new_primary=primary_member(current, node_group_id),
        events=messages,
        duration_s=clock() - started,
        recovered=recovered,
    )
