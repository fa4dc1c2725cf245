"""Unit tests of labgrader.services.redis.evaluation (no Redis needed)."""

from __future__ import annotations

import pytest

from labgrader.services.redis import evaluation as ev
from labgrader.spec import RedisKeySpec

HELLO = RedisKeySpec(name="lab:hello", value="world")
SESSION = RedisKeySpec(name="lab:session:1", ttl=True, max_ttl=3600)


def test_expected_keys_have_no_problems():
    assert ev.key_problems(HELLO, ev.KeyObservation("lab:hello", "string", "world", -1)) == []
    assert ev.key_problems(SESSION, ev.KeyObservation("lab:session:1", "string", "{}", 1800)) == []


@pytest.mark.parametrize(
    ("spec", "seen", "problem"),
    [
        (HELLO, ev.KeyObservation("lab:hello", "none", None, -2), "lab:hello does not exist"),
        (HELLO, ev.KeyObservation("lab:hello", "string", "World", -1), "lab:hello = 'World', expected 'world'"),
        (HELLO, ev.KeyObservation("lab:hello", "hash", None, -1), "lab:hello is a hash, expected the string 'world'"),
        (
            SESSION,
            ev.KeyObservation("lab:session:1", "string", "{}", -1),
            "lab:session:1 has no TTL, expected a TTL of at most 3600 s",
        ),
        (
            SESSION,
            ev.KeyObservation("lab:session:1", "string", "{}", 7200),
            "lab:session:1 expires in 7200 s, expected at most 3600 s",
        ),
    ],
)
def test_key_problems(spec, seen, problem):
    assert ev.key_problems(spec, seen) == [problem]


def test_long_values_are_cut():
    assert ev.shown("x" * 100) == repr("x" * 60 + "…")


def test_ttl_meaning():
    assert ev.ttl_meaning(-2) == "does not exist"
    assert ev.ttl_meaning(-1) == "has no TTL"
    assert ev.ttl_meaning(5) == "expires in 5 s"


PRIMARY = {
    "role": "master",
    "connected_slaves": 1,
    "slave0": {"ip": "127.0.0.1", "port": 7001, "state": "online", "offset": 42, "lag": 0},
}


def test_replication_of_a_healthy_primary():
    assert ev.replication_problems(PRIMARY, 1) == []
    assert ev.describe_links(ev.replica_links(PRIMARY)) == "127.0.0.1:7001 online (lag 0 s)"


def test_replication_problems():
    assert ev.replication_problems({"role": "master", "connected_slaves": 0}, 1) == [
        "0 replica(s) online of 0 connected, expected at least 1"
    ]
    syncing = {**PRIMARY, "slave0": {**PRIMARY["slave0"], "state": "wait_bgsave"}}
    assert ev.replication_problems(syncing, 1) == [
        "0 replica(s) online of 1 connected, expected at least 1",
        "replica 127.0.0.1:7001 is wait_bgsave",
    ]
    replica = {"role": "slave", "master_host": "10.0.0.5", "master_port": 6379}
    assert ev.replication_problems(replica, 1) == ["the endpoint is a slave of 10.0.0.5:6379, not the primary"]


def test_save_rules():
    assert ev.save_rules({"save": "3600 1 300 100"}) == [(3600, 1), (300, 100)]
    assert ev.save_rules({"save": ""}) == []
    assert ev.describe_save_rules([]) == 'none (save "")'


def test_restricted_commands_cover_lab_facts():
    assert {"CONFIG", "BGSAVE", "SAVE", "DEBUG", "REPLICAOF", "SLAVEOF", "SYNC", "PSYNC"} <= ev.RESTRICTED_COMMANDS
