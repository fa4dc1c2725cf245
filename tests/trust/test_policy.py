"""The least-privilege policy: committed, printed by `labgrader policy`, and exactly what a full run calls."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from labgrader import paths
from labgrader.engine import catalog, policy
from tests.checks.elasticache.conftest import build

COMMITTED = paths.fixtures_dir() / "iam" / "grader-policy.json"


def test_the_committed_policy_is_what_labgrader_policy_prints() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", "policy"], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == json.loads(COMMITTED.read_text(encoding="utf-8")), (
        "regenerate it: labgrader policy > fixtures/iam/grader-policy.json"
    )


def test_writes_are_pinned_to_the_scratch_prefix_and_failover_needs_disruptive(week8) -> None:  # type: ignore[no-untyped-def]
    plain = policy.build(week8)
    writes = [s for s in plain["Statement"] if set(s["Action"]) & policy.SCRATCH_WRITES]
    assert len(writes) == 1
    assert writes[0]["Resource"] == "arn:aws:dynamodb:*:*:table/LabProducts"
    assert writes[0]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["__labgrader__*"]}}
    everything_else = policy.granted(plain) - policy.SCRATCH_WRITES
    assert all(a.split(":")[1].startswith(("Describe", "List", "Get", "Query", "Scan")) for a in everything_else)
    assert "elasticache:TestFailover" not in policy.granted(plain)
    assert "elasticache:TestFailover" in policy.granted(policy.build(week8, disruptive=True))


@pytest.mark.sandbox
def test_a_full_sandbox_run_calls_exactly_what_the_policy_grants(solved, local_target, grade, week8, clients) -> None:  # type: ignore[no-untyped-def]
    graded = grade(solved, local_target, solution=paths.reference_solution())
    cleanup = grade(solved, local_target, phase="cleanup")
    # A miss makes calls a clean run does not: the hints look up the lab's VPC, subnets and AZs (a subnet group in
    # one AZ gets a subnet created in another, in a free range of the VPC).
    one_az = build(clients, solved, zones=("us-east-1a", "us-east-1a"), multi_az=False)
    elasticache = frozenset(e.id for e in catalog.CATALOG if e.section == "elasticache")
    missed = grade(one_az.spec, local_target, only=elasticache)
    assert missed.get("elasticache_subnet_group_multi_az").status == "fail"
    assert any(
        c.startswith("aws ec2 create-subnet ") for c in missed.get("elasticache_subnet_group_multi_az").hint_commands
    )
    hint_calls = {"ec2:DescribeSubnets", "ec2:DescribeAvailabilityZones"}
    assert hint_calls <= set(missed.extra["aws_calls"])
    assert not hint_calls & set(graded.extra["aws_calls"])
    called = set(graded.extra["aws_calls"]) | set(cleanup.extra["aws_calls"]) | set(missed.extra["aws_calls"])
    granted = policy.granted(policy.build(week8))
    assert called - granted == set(), "calls the policy does not allow (declare them in the check's aws_actions)"
    unused = granted - called
    assert unused == set(policy.AWS_ONLY), (
        "granted but never called on the sandbox, and not listed in policy.AWS_ONLY with a reason"
    )
    assert graded.exit_code == 0


def test_read_only_mode_skips_every_check_that_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from labgrader.engine import runner
    from labgrader.spec import load_spec
    from tests.unit.test_grading_engine import TARGET, _check, _folder

    checks = _folder(
        tmp_path,
        {
            "dynamodb_crud_roundtrip": _check("dynamodb_crud_roundtrip", "return passed('ok')", extra=", writes=True"),
            "dynamodb_table_exists": _check("dynamodb_table_exists", "return passed('ok')"),
        },
    )
    run = runner.grade(
        load_spec(paths.default_lab_spec()),
        TARGET,
        out_dir=tmp_path / "out",
        checks_dir=checks,
        extra_args=["--lab-read-only"],
    )
    assert run.get("dynamodb_crud_roundtrip").status == "skip"
    assert "read-only mode" in run.get("dynamodb_crud_roundtrip").message
    assert run.get("dynamodb_table_exists").status == "pass"
    writers = {m.id for m in policy.check_metadata() if m.writes}
    assert {"dynamodb_crud_roundtrip", "redis_string_ops", "cache_aside_miss_populates"} <= writers
