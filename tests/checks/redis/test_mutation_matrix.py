"""One mutation at a time, every ElastiCache and Redis check graded together: results.json lists every catalog ID
once, exactly the mutated objective fails and every other one keeps its reference status. (The failover check is
left out of these runs: none of the mutations touches the sandbox's topology, and it is graded on the reference,
the hard cases and the 20-round benchmark.)

A mutation that fails several checks is then fixed in one round: the commands every failing check printed, in the
report's order, a change made once (each hint carries its prerequisites, so checks repeat each other's commands) and
a wait kept where its hint puts it (never twice in a row), run as printed; graded again, every check is back to its
reference status. Where that round is exactly one check's hint (asserted) whose own test runs it on the same
mutation (RUN_IN_THEIR_OWN_TESTS), and where the mutation fails one check only (its hint is run in the check's own
test file), it is not run twice."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from labgrader.engine import catalog, runner
from labgrader.engine.verdict import Hint
from labgrader.spec import LabSpec, RedisKeySpec
from labgrader.targets.base import Target
from tests.checks.elasticache.conftest import OPEN_6379
from tests.conftest import replace_section

pytestmark = pytest.mark.sandbox
GRADED = frozenset(
    e.id for e in catalog.CATALOG if e.section in ("elasticache", "redis") and e.id != "redis_failover_recovers"
)
REFERENCE = dict.fromkeys(GRADED, "pass")
WAIT = re.compile(r"(aws \S+ wait |until )")
# Mutation → (the check whose hint is the whole round, the test that runs that hint as printed on this mutation).
RUN_IN_THEIR_OWN_TESTS = {
    "no-replica": (
        "elasticache_multi_az_enabled",
        "test_elasticache_multi_az_enabled.py::test_a_single_node_group_gets_a_replica_then_failover_then_multi_az",
    ),
    "replication-group-missing": (
        "elasticache_replication_group_available",
        "test_elasticache_replication_group_available.py::test_fails_when_the_replication_group_is_missing",
    ),
}


def statuses(spec: LabSpec, target: Target, out: Path) -> dict[str, str]:
    runner.grade(spec, target, out_dir=out, only=GRADED)
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    ids = [check["id"] for check in document["checks"]]
    assert sorted(ids) == sorted(catalog.ids_for_phase("grade")), "every catalog ID exactly once"
    return {check["id"]: check["status"] for check in document["checks"] if check["id"] in GRADED}


def one_round(out: Path) -> tuple[Hint, dict[str, list[str]]]:
    """The round of the run in `out` (and each failing check's commands): every failing check's commands in the
    report's order, a change made once, a wait where its hint puts it unless the command before is that wait."""
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    failing = {c["id"]: c["hint_commands"] for c in document["checks"] if c["id"] in GRADED and c["status"] == "fail"}
    assert all(failing.values()), [check for check, commands in failing.items() if not commands]
    commands: list[str] = []
    for command in (command for each in failing.values() for command in each):
        if (command in commands and not WAIT.match(command)) or commands[-1:] == [command]:
            continue
        commands.append(command)
    return Hint(tuple(commands)), failing


def expect(failing: set[str]) -> dict[str, str]:
    return REFERENCE | dict.fromkeys(failing, "fail")


def test_the_reference_solution(solved, local_target, tmp_path):
    assert statuses(solved, local_target, tmp_path) == REFERENCE


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            (
                {},
                {"AutomaticFailoverEnabled": False, "MultiAZEnabled": False},
                {"elasticache_automatic_failover_enabled", "elasticache_multi_az_enabled"},
            ),
            id="failover-off",
        ),
        pytest.param(({"multi_az": False}, {}, {"elasticache_multi_az_enabled"}), id="multi-az-off-failover-on"),
        pytest.param(
            (
                {"nodes": 1, "failover": False, "multi_az": False},
                {},
                {
                    "elasticache_replicas_present",
                    "elasticache_automatic_failover_enabled",
                    "elasticache_multi_az_enabled",
                },
            ),
            id="no-replica",
        ),
        pytest.param(
            # AWS (and the sandbox) refuse Multi-AZ on a subnet group in one AZ: the group is made without it.
            (
                {"zones": ("us-east-1a", "us-east-1a"), "multi_az": False},
                {},
                {"elasticache_subnet_group_multi_az", "elasticache_multi_az_enabled"},
            ),
            id="one-az-subnet-group",
        ),
        pytest.param(({"extra_rules": (OPEN_6379,)}, {}, {"elasticache_security_group_restricted"}), id="open-6379"),
        pytest.param(({"retention": 0}, {}, {"elasticache_snapshot_present"}), id="no-snapshot"),
        pytest.param(
            (
                {"create_group": False},
                {},
                {
                    "elasticache_replication_group_available",
                    "elasticache_replicas_present",
                    "elasticache_automatic_failover_enabled",
                    "elasticache_multi_az_enabled",
                    "elasticache_cluster_mode_matches",
                    "elasticache_snapshot_present",
                    "elasticache_encryption_enabled",
                },
            ),
            id="replication-group-missing",
        ),
    ],
)
def test_elasticache_mutations(lab_setup, clients, local_target, tmp_path, case, run_hint, request):  # noqa: PLR0917
    changes, modify, failing = case
    built = lab_setup(**changes)
    if modify:
        clients.client("elasticache").modify_replication_group(
            ReplicationGroupId=built.spec.elasticache.replication_group, ApplyImmediately=True, **modify
        )
    assert statuses(built.spec, local_target, tmp_path / "mutated") == expect(failing)
    if len(failing) > 1:
        round_, each = one_round(tmp_path / "mutated")
        owner = RUN_IN_THEIR_OWN_TESTS.get(request.node.callspec.id)
        if owner is not None:
            assert list(round_.commands) == each[owner[0]], f"the round is {owner[0]}'s hint, run by {owner[1]}"
            return
        run_hint(round_)
        assert statuses(built.spec, local_target, tmp_path / "fixed") == REFERENCE


@pytest.fixture
def own_keys(solved, sandbox_primary):
    suffix = uuid.uuid4().hex[:6]
    hello, session = f"lab:hello:{suffix}", f"lab:session:{suffix}"
    keys = [RedisKeySpec(name=hello, value="world"), RedisKeySpec(name=session, ttl=True, max_ttl=3600)]
    spec = replace_section(solved, "redis", keys=keys)
    sandbox_primary.set(hello, "world")
    sandbox_primary.set(session, "{}", ex=1800)
    yield spec, hello, session
    sandbox_primary.delete(hello, session)


def test_wrong_hello(own_keys, sandbox_primary, local_target, tmp_path):
    spec, hello, _session = own_keys
    sandbox_primary.set(hello, "word")
    assert statuses(spec, local_target, tmp_path) == expect({"redis_exercise_state"})


def test_session_without_ttl(own_keys, sandbox_primary, local_target, tmp_path):
    spec, _hello, session = own_keys
    sandbox_primary.persist(session)
    assert statuses(spec, local_target, tmp_path) == expect({"redis_exercise_state"})


def test_eviction_policy_left_at_the_default(solved, changed_setting, local_target, tmp_path):
    changed_setting("maxmemory-policy", "noeviction")
    assert statuses(solved, local_target, tmp_path) == expect({"redis_eviction_policy"})


def test_persistence_turned_off(solved, changed_setting, local_target, tmp_path):
    changed_setting("save", "")
    assert statuses(solved, local_target, tmp_path) == expect({"redis_persistence_configured"})
