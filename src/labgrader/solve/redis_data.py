"""Reference solution, Redis part: the lab's keys, and (where Redis allows CONFIG) eviction and RDB settings.

On the sandbox the settings go to every node, as an ElastiCache parameter group applies to all of them: after
a failover the new primary behaves the same.
"""

from __future__ import annotations

from collections.abc import Callable

import redis

from labgrader import redis_connection as redis_conn
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients

Log = Callable[[str], None]
DEFAULT_SAVE_RULES = "3600 1 300 100 60 10000"
SESSION_VALUE = '{"user": "student", "cart": []}'


def _primary_url(lab: LabSpec, clients: AwsClients, target: Target) -> str | None:
    if target.redis_url:
        return target.redis_url
    if lab.elasticache is None:
        return None
    group = clients.client("elasticache").describe_replication_groups(
        ReplicationGroupId=lab.elasticache.replication_group
    )["ReplicationGroups"][0]
    endpoint = group["NodeGroups"][0].get("PrimaryEndpoint") or {}
    scheme = "rediss" if group.get("TransitEncryptionEnabled") else "redis"
    return f"{scheme}://{endpoint.get('Address')}:{endpoint.get('Port', 6379)}/0" if endpoint else None


def _all_nodes(primary: redis.Redis, target: Target) -> list[redis.Redis]:
    nodes = [primary]
    if target.sentinel is None:
        return nodes
    sentinel = redis.Redis(
        host=target.sentinel.host, port=target.sentinel.port, socket_timeout=2, decode_responses=True
    )
    try:
        for replica in sentinel.sentinel_slaves(target.sentinel.master_name):
            nodes.append(
                redis.Redis(host=replica["ip"], port=int(replica["port"]), socket_timeout=2, decode_responses=True)
            )
    finally:
        sentinel.close()
    return nodes


def apply(lab: LabSpec, clients: AwsClients, target: Target, log: Log) -> None:
    spec = lab.redis
    assert spec is not None
    url = _primary_url(lab, clients, target)
    if url is None:
        log("redis: skipped (no endpoint: pass --redis-url)")
        return
    client = redis_conn.connect(url)
    try:
        client.ping()
    except redis.ConnectionError:
        log("redis: skipped (endpoint unreachable from here: run `labgrader solve` on an EC2 instance in the VPC)")
        return
    for key in spec.keys:
        ttl = min(key.max_ttl or 3600, 1800) if key.ttl else None
        client.set(key.name, key.value if key.value is not None else SESSION_VALUE, ex=ttl)
    log(f"redis: wrote {', '.join(k.name for k in spec.keys)}")
    if target.provides("redis-admin"):
        for node in _all_nodes(client, target):
            if spec.eviction_policy:
                node.config_set("maxmemory-policy", spec.eviction_policy)
            if spec.persistence in ("rdb", "any") and not node.config_get("save").get("save"):
                node.config_set("save", DEFAULT_SAVE_RULES)
        log(f"redis: maxmemory-policy {spec.eviction_policy}, RDB save rules on every node")
    client.close()
