"""`labgrader cleanup` end to end: a subprocess against this package's own sandbox (LABGRADER_HOME)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from labgrader.cleanup import take_inventory
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients
from tests.cleanup.helpers import (
    CHECKS,
    build_lab,
    make_replication_group,
    make_table,
    make_vpc,
    spec_toml,
    tags,
)
from tests.conftest import closed_port

pytestmark = pytest.mark.sandbox


def cleanup_cli(home: Path, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, Any]:
    """Run `labgrader cleanup ARGS --out OUT`; return exit code, stdout+stderr and results.json (or None)."""
    out = tmp_path / "out"
    environment = {**os.environ, "LABGRADER_HOME": str(home), **(env or {})}
    if not env or "AWS_ENDPOINT_URL" not in env:
        environment.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", "cleanup", *args, "--out", str(out)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    results = out / "results.json"
    data = json.loads(results.read_text(encoding="utf-8")) if results.exists() else None
    return done.returncode, done.stdout + done.stderr, data


def spec_file(spec: LabSpec, tmp_path: Path) -> str:
    path = tmp_path / "lab.toml"
    path.write_text(spec_toml(spec), encoding="utf-8")
    return str(path)


def test_two_leftovers_are_listed_with_costs_and_commands_and_fail(own_home, own_clients, lab_spec, tmp_path):
    group = make_replication_group(lab_spec, own_clients)
    snapshot = str(lab_spec.elasticache.snapshot_name)
    own_clients.client("elasticache").create_snapshot(
        SnapshotName=snapshot, ReplicationGroupId=group, Tags=tags(lab_spec)
    )
    code, output, results = cleanup_cli(own_home, tmp_path, "--target", "local", "--lab", spec_file(lab_spec, tmp_path))
    assert code == 1, output
    lines = output.splitlines()
    header = next(line for line in lines if line.strip().startswith("RESOURCE"))
    assert header.split() == ["RESOURCE", "REGION", "STATE", "$/h", "$/month", "DELETE", "COMMAND"]
    row = next(line for line in lines if f"replication group {group} " in line)
    assert row.split()[:9] == [
        "ElastiCache",
        "replication",
        "group",
        group,
        "us-east-1",
        "available",
        "0.032",
        "23.36",
        "aws",
    ]
    assert row.endswith(f"aws elasticache delete-replication-group --replication-group-id {group} --region us-east-1")
    assert any(f"ElastiCache snapshot {snapshot} " in line for line in lines)
    total = next(line for line in lines if "TOTAL (2 leftovers)" in line)
    assert total.split()[-2:] == ["0.032", "23.36"]
    assert "Estimates from us-east-1 on-demand list prices as of 2026-11" in output
    assert "Delete in this order" in output
    assert f"   2. aws elasticache wait replication-group-deleted --replication-group-id {group}" in output

    assert [check["id"] for check in results["checks"]] == list(CHECKS)
    statuses = {check["id"]: check["status"] for check in results["checks"]}
    assert {i for i, s in statuses.items() if s == "fail"} == {
        "cleanup_elasticache_deleted",
        "cleanup_elasticache_snapshots_deleted",
        "cleanup_no_billable_leftovers",
    }
    assert results["phase"] == "cleanup"
    assert results["exit_code"] == 1
    assert results["max_score"] == 12
    block = results["cleanup"]
    assert block["mode"] == "read-only"
    assert [item["name"] for item in block["leftovers"]] == [group, snapshot]
    assert block["total"]["monthly_usd"] == pytest.approx(23.36)
    assert block["prices"]["as_of"] == "2026-11"
    assert block["delete_plan"][0]["command"].startswith("aws elasticache delete-replication-group")


def test_cleanup_writes_the_reports_grade_writes(own_home, own_clients, lab_spec, tmp_path):
    """--format as on `grade`: report.html and summary.md carry the leftovers table (resource, region, state, $/h,
    $/month, delete command), the total and the delete plan; junit.xml has one testcase per cleanup check."""
    group = make_replication_group(lab_spec, own_clients)
    code, output, results = cleanup_cli(
        own_home, tmp_path, "--target", "local", "--lab", spec_file(lab_spec, tmp_path), "--format", "html,md,junit"
    )
    assert code == 1, output
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {"results.json", "report.html", "summary.md", "junit.xml"}
    assert f"reports: html {out}/report.html, markdown {out}/summary.md, junit {out}/junit.xml" in output
    delete = f"aws elasticache delete-replication-group --replication-group-id {group} --region us-east-1"
    page = (out / "report.html").read_text()
    assert "<th>$/h</th><th>$/month</th><th>Delete command</th>" in page
    assert (
        f"<td>ElastiCache replication group {group}</td><td>us-east-1</td><td>available</td>"
        f'<td class="num">0.032</td><td class="num">23.36</td><td><code>{delete}' in page
    )
    assert '<th>Total (1 leftovers)</th><td></td><td></td><td class="num">0.032</td><td class="num">23.36</td>' in page
    assert f"<li><code>{delete}</code></li>" in page  # the delete plan, in order
    summary = (out / "summary.md").read_text()
    assert f"| ElastiCache replication group {group} | us-east-1 | available | 0.032 | 23.36 | `{delete}" in summary
    assert "| **Total (1 leftovers)** | | | 0.032 | 23.36 | |" in summary
    cases = (out / "junit.xml").read_text()
    assert all(f'name="{check_id}"' in cases for check_id in CHECKS)
    assert results["cleanup"]["leftovers"][0]["name"] == group


def test_delete_without_yes_is_a_dry_run(own_home, own_target, lab_spec, tmp_path):
    build_lab(lab_spec, own_target)
    before = take_inventory(lab_spec, own_target)
    code, output, results = cleanup_cli(
        own_home, tmp_path, "--target", "local", "--lab", spec_file(lab_spec, tmp_path), "--delete"
    )
    assert code == 1, output
    assert "Dry run: --delete --yes would run, in this order:" in output
    assert "Nothing was deleted." in output
    assert results["cleanup"]["mode"] == "dry-run"
    after = take_inventory(lab_spec, own_target)
    assert [item.key for item in after.leftovers] == [item.key for item in before.leftovers]
    # table, group, snapshot, subnet group, parameter group, two security groups
    assert len(after.leftovers) == 7


def _decoys(spec: LabSpec, clients: AwsClients) -> dict[str, Any]:
    """Resources near the lab that are not the lab's: they must survive and never be reported."""
    suffix = spec.lab.name.rsplit("-", 1)[1]
    dynamodb, ec2 = clients.client("dynamodb"), clients.client("ec2")
    if "Customers" not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName="Customers",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    groups = [f"other-redis-{suffix}", f"{spec.elasticache.replication_group}-old"]  # another name, a lab-like one
    for group in groups:
        make_replication_group(spec, clients, name=group, tagged=False)
    lab_vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:lab", "Values": [spec.lab.name]}])["Vpcs"][0]["VpcId"]
    other_vpc = make_vpc(clients, "10.60.0.0/16")
    security_groups = [
        ec2.create_security_group(GroupName=f"other-sg-{suffix}", Description="decoy", VpcId=lab_vpc)["GroupId"],
        # The lab's own Redis group name, in a VPC that is not the lab's.
        ec2.create_security_group(GroupName=spec.elasticache.security_group, Description="decoy", VpcId=other_vpc)[
            "GroupId"
        ],
    ]
    return {"table": "Customers", "groups": groups, "security_groups": security_groups}


def test_delete_yes_removes_the_lab_and_nothing_else(own_home, own_target, own_clients, lab_spec, tmp_path):
    build_lab(lab_spec, own_target)
    decoys = _decoys(lab_spec, own_clients)
    code, output, results = cleanup_cli(
        own_home, tmp_path, "--target", "local", "--lab", spec_file(lab_spec, tmp_path), "--delete", "--yes"
    )
    assert code == 0, output
    assert "Deleting the leftovers of lab" in output
    assert f"After deleting:\nNothing of lab {lab_spec.lab.name} is left in us-east-1" in output
    assert {check["status"] for check in results["checks"]} == {"pass"}
    block = results["cleanup"]
    assert block["mode"] == "delete"
    assert block["deleted"]
    assert all(step["ok"] for step in block["deleted"]), block["deleted"]
    assert block["leftovers"] == []
    assert take_inventory(lab_spec, own_target).leftovers == []
    # Every decoy survived, and none was ever named in the output or the report.
    assert "Customers" in own_clients.client("dynamodb").list_tables()["TableNames"]
    elasticache, ec2 = own_clients.client("elasticache"), own_clients.client("ec2")
    for group in decoys["groups"]:
        assert elasticache.describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"][0]["Status"] == (
            "available"
        )
    assert len(ec2.describe_security_groups(GroupIds=decoys["security_groups"])["SecurityGroups"]) == 2
    report = json.dumps(results)
    for name in ["Customers", *decoys["groups"], *decoys["security_groups"]]:
        assert name not in output
        assert name not in report


def test_usage_errors_exit_2_in_one_line(own_home, tmp_path):
    code, output, results = cleanup_cli(own_home, tmp_path, "--target", "local", "--yes")
    assert code == 2
    assert output.strip() == (
        "labgrader: --yes confirms --delete: add --delete to delete the leftovers (without it cleanup only reads)."
    )
    assert results is None
    code, output, _ = cleanup_cli(own_home, tmp_path, "--target", "aws", "--region", "us-east-1", "--all-regions")
    assert code == 2
    assert "not allowed with argument" in output
    assert len(output.strip().splitlines()) == 1


def test_an_unreachable_endpoint_is_error_and_exit_3(own_home, tmp_path):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "unused",
        "AWS_SECRET_ACCESS_KEY": "unused",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }
    code, output, results = cleanup_cli(own_home, tmp_path, "--target", "aws", "--region", "us-east-1", env=env)
    assert code == 3, output
    assert {check["status"] for check in results["checks"]} == {"error"}
    assert all("could not reach the AWS endpoint" in check["message"] for check in results["checks"])
    assert "Could not look at dynamodb in us-east-1: The grader could not reach the AWS endpoint" in output
    assert results["cleanup"]["errors"]


def test_all_regions_finds_the_leftovers_of_every_region(own_home, own_target, lab_spec, tmp_path):
    far = AwsClients(own_target)
    make_table(lab_spec, far)
    group = lab_spec.elasticache.replication_group
    far.client("elasticache", "eu-west-1").create_replication_group(
        ReplicationGroupId=group,
        ReplicationGroupDescription="left in another region",
        CacheNodeType="cache.t3.micro",
        Tags=tags(lab_spec),
    )
    code, output, results = cleanup_cli(
        own_home, tmp_path, "--target", "local", "--lab", spec_file(lab_spec, tmp_path), "--all-regions"
    )
    assert code == 1, output
    regions = results["cleanup"]["regions"]
    assert {"us-east-1", "eu-west-1"} <= set(regions)
    assert f"Looking in {len(regions)} enabled regions" in output
    found = {(item["kind"], item["region"]) for item in results["cleanup"]["leftovers"]}
    assert found == {("dynamodb_table", "us-east-1"), ("elasticache_replication_group", "eu-west-1")}
    assert f"aws elasticache delete-replication-group --replication-group-id {group} --region eu-west-1" in output
    assert results["cleanup"]["errors"] == []


def test_the_target_option_only_takes_local_or_aws(own_home, tmp_path):
    code, output, _ = cleanup_cli(own_home, tmp_path, "--target", "containers")
    assert code == 2
    assert "invalid choice" in output


@pytest.fixture(autouse=True)
def _sandbox_up(own_target: Target) -> None:
    """Every test here runs against this package's sandbox (started once)."""
