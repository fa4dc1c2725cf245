"""On the aws target no check sends Redis a command ElastiCache refuses (CONFIG, BGSAVE, SAVE, DEBUG, REPLICAOF,
SYNC, ...): every command of a whole Redis grading run, --disruptive included, goes through a recording proxy."""

from __future__ import annotations

import dataclasses

import pytest

from labgrader.services.redis.evaluation import RESTRICTED_COMMANDS
from tests.checks.redis.conftest import REDIS_IDS

pytestmark = pytest.mark.sandbox


@pytest.mark.usefixtures("primary_restored")  # --lab-disruptive runs TestFailover on the sandbox
def test_no_restricted_command_reaches_redis_on_aws(solved, aws_like, grade, recording_proxy, sandbox):
    proxy = recording_proxy(sandbox.redis_url)
    run = grade(solved, aws_like(redis_url=proxy.url), only=set(REDIS_IDS), extra_args=("--lab-disruptive",))
    statuses = {check.id: check.status for check in run.checks if check.id in REDIS_IDS}
    # Judged once, from the ElastiCache API, by elasticache_snapshot_present and
    # elasticache_parameter_group_eviction_policy: these two skip, saying so.
    assert statuses["redis_persistence_configured"] == "skip"
    assert statuses["redis_eviction_policy"] == "skip"
    assert statuses["redis_string_ops"] == statuses["redis_expiry_semantics"] == "pass"
    sent = proxy.names()
    assert {"PING", "INFO", "SET", "GET", "TTL", "WAIT", "DEL"} <= sent, sent
    assert not {name.split(" ")[0] for name in sent} & RESTRICTED_COMMANDS, sent


def test_the_proxy_does_see_them_on_the_sandbox(solved, local_target, grade, recording_proxy, sandbox):
    # The control: on the sandbox the same checks use CONFIG and BGSAVE, and the proxy records them.
    proxy = recording_proxy(sandbox.redis_url)
    checks = {"redis_persistence_configured", "redis_eviction_policy"}
    local = grade(solved, dataclasses.replace(local_target, redis_url=proxy.url), only=checks)
    assert {local.get(check).status for check in checks} == {"pass"}
    assert {"CONFIG GET", "BGSAVE"} <= proxy.names()
