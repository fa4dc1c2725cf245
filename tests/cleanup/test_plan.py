"""The delete plan (pure): dependency order, waits, revokes and exact commands, and nothing outside the inventory."""

from __future__ import annotations

from labgrader.cleanup.model import Inventory, Leftover
from labgrader.cleanup.plan import build

REGION = "us-east-1"


def item(kind, name, state="available", **details) -> Leftover:
    return Leftover(kind, name, REGION, state, "tagged", details=details)


def plan_of(*items: Leftover):
    inventory = Inventory("week8", ("lab", "week8"), (REGION,), leftovers=list(items))
    return build(inventory), inventory


def test_everything_goes_in_dependency_order_with_a_wait_for_the_group():
    steps, _ = plan_of(
        item("dynamodb_backup", "arn:aws:dynamodb:us-east-1:1:table/LabProducts/backup/1"),
        item("dynamodb_table", "LabProducts", "ACTIVE"),
        item("ec2_security_group", "sg-app", group_name="lab-app-sg", order=1),
        item("ec2_security_group", "sg-redis", group_name="lab-redis-sg", order=0),
        item("elasticache_parameter_group", "lab-redis-params"),
        item("elasticache_subnet_group", "lab-redis-subnets"),
        item("elasticache_snapshot", "lab-redis-snap"),
        item("elasticache_replication_group", "lab-redis"),
    )
    assert [step.command for step in steps] == [
        "aws elasticache delete-replication-group --replication-group-id lab-redis --region us-east-1",
        "aws elasticache wait replication-group-deleted --replication-group-id lab-redis --region us-east-1",
        "aws elasticache delete-snapshot --snapshot-name lab-redis-snap --region us-east-1",
        "aws elasticache delete-cache-subnet-group --cache-subnet-group-name lab-redis-subnets --region us-east-1",
        "aws elasticache delete-cache-parameter-group --cache-parameter-group-name lab-redis-params --region us-east-1",
        "aws ec2 delete-security-group --group-id sg-redis --region us-east-1",
        "aws ec2 delete-security-group --group-id sg-app --region us-east-1",
        "aws dynamodb delete-table --table-name LabProducts --region us-east-1",
        "aws dynamodb wait table-not-exists --table-name LabProducts --region us-east-1",
        "aws dynamodb delete-backup --backup-arn arn:aws:dynamodb:us-east-1:1:table/LabProducts/backup/1 "
        "--region us-east-1",
    ]
    assert [(step.service, step.operation) for step in steps[:2]] == [
        ("elasticache", "delete_replication_group"),
        ("elasticache", "replication_group_deleted"),
    ]


def test_a_group_already_deleting_is_only_waited_for():
    steps, inventory = plan_of(item("elasticache_replication_group", "lab-redis", "deleting"))
    assert [step.action for step in steps] == ["wait"]
    assert inventory.leftovers[0].commands == (
        "aws elasticache wait replication-group-deleted --replication-group-id lab-redis --region us-east-1",
    )


def test_a_stand_alone_cluster_is_deleted_and_waited_for():
    steps, _ = plan_of(item("elasticache_cache_cluster", "lab-redis-001"))
    assert [step.command for step in steps] == [
        "aws elasticache delete-cache-cluster --cache-cluster-id lab-redis-001 --region us-east-1",
        "aws elasticache wait cache-cluster-deleted --cache-cluster-id lab-redis-001 --region us-east-1",
    ]


def test_only_a_rule_that_blocks_a_later_deletion_is_revoked():
    app_to_redis = {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [{"GroupId": "sg-r"}]}
    redis_from_app = {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [{"GroupId": "sg-a"}]}
    steps, _ = plan_of(
        item(
            "ec2_security_group",
            "sg-r",
            order=0,
            references=[{"direction": "ingress", "group_id": "sg-a", "permission": redis_from_app}],
        ),
        item(
            "ec2_security_group",
            "sg-a",
            order=1,
            references=[{"direction": "egress", "group_id": "sg-r", "permission": app_to_redis}],
        ),
    )
    assert [(step.action, step.operation, step.params["GroupId"]) for step in steps] == [
        ("revoke", "revoke_security_group_egress", "sg-a"),  # the app's egress to Redis would block sg-r
        ("delete", "delete_security_group", "sg-r"),  # its ingress from the app goes with it
        ("delete", "delete_security_group", "sg-a"),
    ]
    assert steps[0].params["IpPermissions"] == [app_to_redis]


def test_a_protected_table_is_unprotected_first_and_a_deleting_one_only_waited_for():
    steps, _ = plan_of(item("dynamodb_table", "LabProducts", "ACTIVE", deletion_protection=True))
    assert [step.action for step in steps] == ["unprotect", "delete", "wait"]
    assert steps[0].params == {"TableName": "LabProducts", "DeletionProtectionEnabled": False}
    steps, _ = plan_of(item("dynamodb_table", "LabProducts", "DELETING"))
    assert [(step.action, step.operation) for step in steps] == [("wait", "table_not_exists")]


def test_names_are_quoted_for_the_shell_and_regions_kept_apart():
    odd = Leftover("dynamodb_table", "Lab Products", "eu-west-1", "ACTIVE", "tagged")
    inventory = Inventory("week8", ("lab", "week8"), (REGION, "eu-west-1"), leftovers=[odd])
    step, wait = build(inventory)
    assert step.command == "aws dynamodb delete-table --table-name 'Lab Products' --region eu-west-1"
    assert step.region == wait.region == "eu-west-1"
