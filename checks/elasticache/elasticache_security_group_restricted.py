from __future__ import annotations

from labgrader.api import Hint, Lookups, Passed, Target, check, fail, passed
from labgrader.api import elasticache_evaluation as ev
from labgrader.api import elasticache_hints as hints


@check(
    "elasticache_security_group_restricted",
    points=3,
    objective="The replication group uses the lab's security group, which admits the Redis port only from the app's security group (no 0.0.0.0/0 or ::/0).",
    hint='aws ec2 authorize-security-group-ingress --group-id "$(aws ec2 describe-security-groups --filters '
    "Name=group-name,Values={lab.elasticache.security_group} --query 'SecurityGroups[0].GroupId' --output text)\" "
    '--protocol tcp --port {lab.elasticache.port} --source-group "$(aws ec2 describe-security-groups --filters '
    "Name=group-name,Values={lab.elasticache.app_security_group} --query 'SecurityGroups[0].GroupId' --output text)\"",
    requires=("elasticache", "ec2"),
    aws_actions=(
        "ec2:DescribeSecurityGroups",
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        "elasticache:DescribeCacheSubnetGroups",
    ),
)
def elasticache_security_group_restricted(elasticache_lookups: Lookups, target: Target) -> Passed:
    spec = elasticache_lookups.spec
    call = "ec2.describe_security_groups"
    group = elasticache_lookups.lab_security_group(spec.security_group)
    if group is None:
        fail(
            f"Security group {spec.security_group} was not found in {target.region}; expected it to guard the Redis "
            f"port {spec.port}.",
            call=call,
            observed="no security group with that name",
            expected=spec.security_group,
            hint=Hint(tuple(hints.security_group_commands(elasticache_lookups))),
        )
    group_id = str(group["GroupId"])
    app_id = None
    names = {group_id: spec.security_group}
    if spec.app_security_group:
        app = elasticache_lookups.lab_security_group(spec.app_security_group)
        if app is None:
            fail(
                f"Security group {spec.app_security_group} (the app's) was not found in {target.region}; "
                f"{spec.security_group} must admit port {spec.port} from it.",
                call=call,
                observed="no security group with that name",
                expected=spec.app_security_group,
                hint=Hint(tuple(hints.security_group_commands(elasticache_lookups))),
            )
        app_id = str(app["GroupId"])
        names[app_id] = spec.app_security_group

    members = elasticache_lookups.member_clusters()
    used = ev.security_group_ids_of(members)
    if members and group_id not in used:
        described = elasticache_lookups.security_groups_by_id(used)
        shown = ", ".join(
            f"{gid} ({described[gid].get('GroupName', '?')})" if gid in described else gid for gid in sorted(used)
        )
        fail(
            f"ElastiCache replication group {spec.replication_group} uses security group(s) {shown or 'none'}, not "
            f"{spec.security_group} ({group_id}).",
            call="elasticache.describe_cache_clusters",
            observed=sorted(used),
            expected=group_id,
            hint=Hint(tuple(hints.modify_group_commands(spec.replication_group, f"--security-group-ids {group_id}"))),
        )

    exposure = ev.port_exposure(group, spec.port, app_id)
    expected = f"tcp {spec.port} only from {spec.app_security_group or 'the app security group'}"
    observed = [rule.describe(names) for rule in [*exposure.allowed, *exposure.offending]]
    if exposure.offending:
        worst = exposure.offending[0]
        what = "open to the whole Internet" if worst.world_open else "open to a source other than the app"
        more = f" (and {len(exposure.offending) - 1} more rule(s))" if len(exposure.offending) > 1 else ""
        fail(
            f"Security group {spec.security_group} ({group_id}) admits port {spec.port} {what}: rule "
            f"'{worst.describe(names)}'{more}; expected {expected}.",
            call=call,
            observed=observed,
            expected=expected,
            # Revoke and authorize in one go: the app keeps (or gets) its way in.
            hint=Hint(
                (ev.revoke_cli(group_id, exposure.offending),)
                + ((hints.authorize_from_app_cli(elasticache_lookups),) if app_id and not exposure.allowed else ())
            ),
        )
    if app_id is not None and not exposure.allowed:
        fail(
            f"Security group {spec.security_group} ({group_id}) has no rule admitting tcp {spec.port} from "
            f"{spec.app_security_group} ({app_id}); the app cannot reach Redis.",
            call=call,
            observed=observed or "no inbound rule reaching the port",
            expected=expected,
            hint=hints.authorize_from_app_cli(elasticache_lookups),
        )
    # Every other group attached to the nodes counts too (the VPC's default group, pre-selected by the console):
    # one that admits the port from too wide a range opens Redis whatever the lab's group says.
    others = sorted(used - {group_id})
    attached = elasticache_lookups.security_groups_by_id(others) if others else {}
    for other_id in others:
        wide = ev.too_wide_rules(attached.get(other_id) or {}, spec.port)
        if wide:
            other_name = (attached.get(other_id) or {}).get("GroupName", "?")
            more = f" (and {len(wide) - 1} more rule(s))" if len(wide) > 1 else ""
            fail(
                f"Security group {other_name} ({other_id}), also attached to the nodes of ElastiCache replication "
                f"group {spec.replication_group}, admits port {spec.port} from '{wide[0].describe(names)}'{more}; "
                f"expected {expected}.",
                call=call,
                observed={other_id: [rule.describe(names) for rule in wide]},
                expected=expected,
                hint=Hint(
                    (ev.revoke_cli(other_id, wide),),
                    f"Or detach {other_name} from the nodes: aws elasticache modify-replication-group "
                    f"--replication-group-id {spec.replication_group} --security-group-ids {group_id} "
                    "--apply-immediately",
                ),
            )
    return passed(
        f"Security group {spec.security_group} ({group_id}) admits port {spec.port} only from "
        f"{spec.app_security_group or 'no one'}" + (" and the replication group uses it." if members else "."),
        call=call,
        observed=observed,
        expected=expected,
    )
