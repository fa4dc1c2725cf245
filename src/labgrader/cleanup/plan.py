"""The delete plan: the leftovers' delete calls in dependency order, each with the exact AWS CLI command.

Per region: replication groups and cache clusters, then wait until they are gone (a subnet group, parameter group
or security group in use cannot be deleted) → manual snapshots → subnet groups → parameter groups → security groups
(the Redis group before the app's; a rule that would block a later deletion is revoked first) → tables (deletion
protection turned off first; waited for, so the inventory taken afterwards finds them gone) → their backups.
Only leftovers of the inventory appear: the plan never names anything outside the lab's scope.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from typing import Any

from labgrader.cleanup.model import Inventory, Leftover, Step


def _q(value: str) -> str:
    return shlex.quote(value)


def _delete(item: Leftover, operation: str, params: dict[str, Any], command: str) -> Step:
    service = item.kind.split("_", 1)[0]
    return Step("delete", item.region, service, operation, params, f"{command} --region {item.region}", item)


def _cluster_steps(items: list[Leftover]) -> tuple[list[Step], list[Step]]:
    deletes: list[Step] = []
    waits: list[Step] = []
    for item in items:
        if item.kind == "elasticache_replication_group":
            option, params_key, noun = "--replication-group-id", "ReplicationGroupId", "replication-group"
        else:
            option, params_key, noun = "--cache-cluster-id", "CacheClusterId", "cache-cluster"
        params = {params_key: item.name}
        if not item.pending:
            operation = f"delete_{noun.replace('-', '_')}"
            deletes.append(_delete(item, operation, params, f"aws elasticache delete-{noun} {option} {_q(item.name)}"))
        waits.append(
            Step(
                "wait",
                item.region,
                "elasticache",
                f"{noun.replace('-', '_')}_deleted",
                params,
                f"aws elasticache wait {noun}-deleted {option} {_q(item.name)} --region {item.region}",
                item,
            )
        )
    return deletes, waits


def _security_group_steps(groups: list[Leftover]) -> list[Step]:
    ordered = sorted(groups, key=lambda g: (int(g.details.get("order", 9)), str(g.details.get("group_name", ""))))
    position = {group.name: index for index, group in enumerate(ordered)}
    by_id = {group.name: group for group in ordered}
    revokes: list[Step] = []
    deletes: list[Step] = []
    for index, group in enumerate(ordered):
        for reference in group.details.get("references") or []:
            # A rule of this group naming a lab group deleted *before* it would block that deletion: revoke it.
            if position.get(reference["group_id"], len(ordered)) < index:
                direction = reference["direction"]
                permission = reference["permission"]
                revokes.append(
                    Step(
                        "revoke",
                        group.region,
                        "ec2",
                        f"revoke_security_group_{direction}",
                        {"GroupId": group.name, "IpPermissions": [permission]},
                        f"aws ec2 revoke-security-group-{direction} --group-id {_q(group.name)} "
                        f"--ip-permissions {_q(json.dumps([permission], separators=(',', ':')))} "
                        f"--region {group.region}",
                        # Part of deleting the group it blocks: its commands read revoke, then delete.
                        by_id[reference["group_id"]],
                    )
                )
        deletes.append(
            _delete(
                group,
                "delete_security_group",
                {"GroupId": group.name},
                f"aws ec2 delete-security-group --group-id {_q(group.name)}",
            )
        )
    return revokes + deletes


def _region_steps(items: list[Leftover]) -> list[Step]:
    def of(kind: str) -> list[Leftover]:
        return [item for item in items if item.kind == kind]

    clusters = of("elasticache_replication_group") + of("elasticache_cache_cluster")
    deletes, waits = _cluster_steps(clusters)
    steps = deletes + waits
    for item in of("elasticache_snapshot"):
        if not item.pending:
            command = f"aws elasticache delete-snapshot --snapshot-name {_q(item.name)}"
            steps.append(_delete(item, "delete_snapshot", {"SnapshotName": item.name}, command))
    for item in of("elasticache_subnet_group"):
        command = f"aws elasticache delete-cache-subnet-group --cache-subnet-group-name {_q(item.name)}"
        steps.append(_delete(item, "delete_cache_subnet_group", {"CacheSubnetGroupName": item.name}, command))
    for item in of("elasticache_parameter_group"):
        command = f"aws elasticache delete-cache-parameter-group --cache-parameter-group-name {_q(item.name)}"
        steps.append(_delete(item, "delete_cache_parameter_group", {"CacheParameterGroupName": item.name}, command))
    steps += _security_group_steps(of("ec2_security_group"))
    for item in of("dynamodb_table"):
        wait = Step(
            "wait",
            item.region,
            "dynamodb",
            "table_not_exists",
            {"TableName": item.name},
            f"aws dynamodb wait table-not-exists --table-name {_q(item.name)} --region {item.region}",
            item,
        )
        if item.pending:
            steps.append(wait)  # already deleting: the inventory taken afterwards should find it gone
            continue
        if item.details.get("deletion_protection"):
            steps.append(
                Step(
                    "unprotect",
                    item.region,
                    "dynamodb",
                    "update_table",
                    {"TableName": item.name, "DeletionProtectionEnabled": False},
                    f"aws dynamodb update-table --table-name {_q(item.name)} --no-deletion-protection-enabled "
                    f"--region {item.region}",
                    item,
                )
            )
        command = f"aws dynamodb delete-table --table-name {_q(item.name)}"
        steps += [_delete(item, "delete_table", {"TableName": item.name}, command), wait]
    for item in of("dynamodb_backup"):
        command = f"aws dynamodb delete-backup --backup-arn {_q(item.name)}"
        steps.append(_delete(item, "delete_backup", {"BackupArn": item.name}, command))
    return steps


def build(inventory: Inventory) -> list[Step]:
    """The delete plan of `inventory`, region by region, and each leftover's own commands set on it (in place)."""
    steps: list[Step] = []
    for region in inventory.regions:
        steps += _region_steps([item for item in inventory.leftovers if item.region == region])
    annotated = []
    for item in inventory.leftovers:
        mine = [step for step in steps if step.leftover is not None and step.leftover.key == item.key]
        acting = [step.command for step in mine if step.action != "wait"]
        commands = acting or [step.command for step in mine]  # a group already deleting: wait for it
        annotated.append(dataclasses.replace(item, commands=tuple(commands)))
    inventory.leftovers[:] = annotated
    return [
        dataclasses.replace(step, leftover=next(i for i in annotated if i.key == step.leftover.key))
        if step.leftover is not None
        else step
        for step in steps
    ]
