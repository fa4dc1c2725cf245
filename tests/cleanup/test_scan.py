"""The inventory's region fan-out and the executor's AWS waits, without AWS: stubbed clients, crafted scans."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import boto3
import botocore.exceptions
from botocore.stub import Stubber

from labgrader.cleanup import inventory as inventory_module
from labgrader.cleanup.execute import AWS_WAIT, DEPENDENCY_DELAY_AWS_S, Executor
from labgrader.cleanup.inventory import RegionResult, RegionScan, enabled_regions, scan
from labgrader.cleanup.model import Leftover, Step
from labgrader.targets.base import Target
from tests.cleanup.helpers import fresh_lab

AWS = Target(name="aws", region="us-east-1", region_source="test", static_credentials=("unused", "unused"))
REGIONS = [f"xx-test-{n}" for n in range(1, 11)]


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="unused", aws_secret_access_key="unused")
    return client, Stubber(client)


class FakeClients:
    def __init__(self, **clients: Any) -> None:
        self.clients = clients

    def client(self, service: str, region: str | None = None) -> Any:
        return self.clients[service]


def test_every_region_is_scanned_concurrently_and_at_most_max_workers_at_once(monkeypatch):
    running = 0
    peak = 0
    lock = threading.Lock()

    def fake_run(self: RegionScan) -> RegionResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        item = Leftover("dynamodb_table", "LabProducts", self.region, "ACTIVE", "named in the lab spec")
        return RegionResult(self.region, leftovers=[item])

    monkeypatch.setattr(RegionScan, "run", fake_run)
    found = scan(fresh_lab(), AWS, REGIONS, max_workers=3)
    assert peak == 3
    assert [item.region for item in found.leftovers] == REGIONS  # in the order asked, whoever finished first
    assert found.regions == tuple(REGIONS)


def test_a_region_that_does_not_answer_in_time_is_an_error_not_a_hang(monkeypatch):
    release = threading.Event()

    def fake_run(self: RegionScan) -> RegionResult:
        if self.region == "xx-test-2":
            release.wait(10)
        return RegionResult(self.region)

    monkeypatch.setattr(RegionScan, "run", fake_run)
    started = time.monotonic()
    try:
        found = scan(fresh_lab(), AWS, REGIONS[:3], deadline_s=0.3)
    finally:
        release.set()
    assert time.monotonic() - started < 2
    assert {(error.region, error.part) for error in found.errors} == {
        ("xx-test-2", part) for part in ("dynamodb", "elasticache", "snapshots", "groups", "security_groups")
    }
    assert isinstance(found.errors[0].error, botocore.exceptions.ReadTimeoutError)
    assert "no answer within 0.3 s" in str(found.errors[0].error)


def test_only_enabled_regions_are_scanned(monkeypatch):
    ec2, stub = stubbed("ec2")
    stub.add_response(
        "describe_regions",
        {
            "Regions": [
                {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
                {"RegionName": "ap-east-1", "OptInStatus": "not-opted-in"},
                {"RegionName": "af-south-1", "OptInStatus": "opted-in"},
            ]
        },
        {"AllRegions": False},
    )
    monkeypatch.setattr(inventory_module, "scan_clients", lambda target: FakeClients(ec2=ec2))
    with stub:
        assert enabled_regions(AWS) == ["af-south-1", "us-east-1"]
    stub.assert_no_pending_responses()


def _step(action: str, service: str, operation: str, params: dict[str, Any]) -> Step:
    return Step(action, "us-east-1", service, operation, params, f"aws {service} {operation}")  # type: ignore[arg-type]


def test_on_aws_the_group_deletion_is_awaited_with_the_boto3_waiter():
    elasticache, stub = stubbed("elasticache")
    stub.add_response(
        "delete_replication_group", {"ReplicationGroup": {"Status": "deleting"}}, {"ReplicationGroupId": "g"}
    )
    stub.add_client_error(
        "describe_replication_groups",
        "ReplicationGroupNotFoundFault",
        http_status_code=404,
        expected_params={"ReplicationGroupId": "g"},
    )
    executor = Executor(FakeClients(elasticache=elasticache), "aws", log=lambda _line: None)  # type: ignore[arg-type]
    with stub:
        outcomes = executor.run(
            [
                _step("delete", "elasticache", "delete_replication_group", {"ReplicationGroupId": "g"}),
                _step("wait", "elasticache", "replication_group_deleted", {"ReplicationGroupId": "g"}),
            ]
        )
    assert [(o.ok, o.message) for o in outcomes] == [(True, "deleting"), (True, "gone")]
    assert AWS_WAIT == {"Delay": 15, "MaxAttempts": 80}


def test_on_aws_a_security_group_still_in_use_is_retried_and_errors_are_reported():
    ec2, stub = stubbed("ec2")
    stub.add_client_error("delete_security_group", "DependencyViolation", expected_params={"GroupId": "sg-1"})
    stub.add_response("delete_security_group", {}, {"GroupId": "sg-1"})
    stub.add_client_error("delete_security_group", "InvalidGroup.NotFound", expected_params={"GroupId": "sg-2"})
    stub.add_client_error("delete_security_group", "UnauthorizedOperation", expected_params={"GroupId": "sg-3"})
    slept: list[float] = []
    executor = Executor(FakeClients(ec2=ec2), "aws", log=lambda _line: None, sleep=slept.append)  # type: ignore[arg-type]
    steps = [_step("delete", "ec2", "delete_security_group", {"GroupId": f"sg-{n}"}) for n in (1, 2, 3)]
    with stub:
        outcomes = executor.run(steps)
    assert [(o.ok, o.message) for o in outcomes[:2]] == [(True, "deleted"), (True, "already gone")]
    assert not outcomes[2].ok
    assert "AWS denied the grader DeleteSecurityGroup (UnauthorizedOperation)" in outcomes[2].message
    assert slept == [DEPENDENCY_DELAY_AWS_S]  # the nodes' network interfaces are released late on AWS


def test_a_refused_group_deletion_is_reported_and_not_waited_for():
    elasticache, stub = stubbed("elasticache")
    stub.add_client_error(
        "delete_replication_group",
        "InvalidReplicationGroupState",
        "Replication group g is not in available state.",
        expected_params={"ReplicationGroupId": "g"},
    )
    group = Leftover("elasticache_replication_group", "g", "us-east-1", "creating", "named in the lab spec")
    steps = [
        dataclasses.replace(
            _step("delete", "elasticache", "delete_replication_group", {"ReplicationGroupId": "g"}), leftover=group
        ),
        dataclasses.replace(
            _step("wait", "elasticache", "replication_group_deleted", {"ReplicationGroupId": "g"}), leftover=group
        ),
    ]
    executor = Executor(FakeClients(elasticache=elasticache), "aws", log=lambda _line: None)  # type: ignore[arg-type]
    with stub:
        refused, skipped = executor.run(steps)  # no second stubbed call: the waiter never ran
    assert not refused.ok
    assert refused.message.startswith(
        "AWS answered DeleteReplicationGroup with InvalidReplicationGroupState: "
        "Replication group g is not in available state"
    )
    assert (skipped.ok, skipped.message) == (False, "not waited for: its deletion was refused")
