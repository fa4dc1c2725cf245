"""Unit tests of labgrader.services.elasticache.evaluation: API documents in, findings out (no endpoint)."""

from __future__ import annotations

import pytest

from labgrader import paths
from labgrader.services.elasticache import evaluation as ev
from labgrader.spec import load_spec

GROUP = {
    "ReplicationGroupId": "lab-redis",
    "Status": "available",
    "NodeGroups": [
        {
            "NodeGroupId": "0001",
            "PrimaryEndpoint": {"Address": "master.lab-redis.x.use1.cache.amazonaws.com", "Port": 6379},
            "ReaderEndpoint": {"Address": "replica.lab-redis.x.use1.cache.amazonaws.com", "Port": 6379},
            "NodeGroupMembers": [
                {
                    "CacheClusterId": "lab-redis-001",
                    "CurrentRole": "primary",
                    "PreferredAvailabilityZone": "us-east-1a",
                },
                {
                    "CacheClusterId": "lab-redis-002",
                    "CurrentRole": "replica",
                    "PreferredAvailabilityZone": "us-east-1b",
                },
            ],
        }
    ],
    "AutomaticFailover": "enabled",
    "MultiAZ": "enabled",
    "ClusterEnabled": False,
}


def with_members(*members: dict[str, str]) -> dict[str, object]:
    return {**GROUP, "NodeGroups": [{**GROUP["NodeGroups"][0], "NodeGroupMembers": list(members)}]}  # type: ignore[index]


def test_roles_of_one_primary_and_one_replica_satisfy_one_replica():
    assert ev.role_problems(GROUP, 1) == []
    assert ev.describe_roles(ev.shard_roles(GROUP)) == "node group 0001: 1 primary, 1 replica(s)"


def test_a_single_node_has_no_replica():
    group = with_members({"CacheClusterId": "lab-redis-001", "CurrentRole": "primary"})
    assert ev.role_problems(group, 1) == ["node group 0001 has 0 replica(s), expected at least 1"]


def test_two_primaries_are_reported():
    group = with_members(
        {"CacheClusterId": "a", "CurrentRole": "primary"}, {"CacheClusterId": "b", "CurrentRole": "primary"}
    )
    assert "node group 0001 has 2 primaries, expected exactly 1" in ev.role_problems(group, 1)


def test_cluster_mode_members_without_roles_count_one_primary_per_shard():
    group = with_members({"CacheClusterId": "a"}, {"CacheClusterId": "b"}, {"CacheClusterId": "c"})
    assert ev.shard_roles(group)[0].counts() == (1, 2)
    assert ev.role_problems(group, 2) == []


def test_a_group_without_members_is_a_problem_not_a_pass():
    assert ev.role_problems({**GROUP, "NodeGroups": []}, 1) == [
        "it reports no node group members (0 member cluster(s))"
    ]


@pytest.mark.parametrize(
    ("field", "expected"),
    [("enabled", "enabled"), ("enabling", "enabling"), ("disabled", "disabled"), (None, "not reported")],
)
def test_automatic_failover_reads_the_field_itself(field, expected):
    group = {**GROUP, "AutomaticFailover": field}
    assert ev.automatic_failover(group) == expected


def test_a_pending_change_is_not_the_state():
    # Prowler PR #5084: PendingModifiedValues announces a change; AutomaticFailover is what holds.
    group = {**GROUP, "AutomaticFailover": "disabled", "PendingModifiedValues": {"AutomaticFailoverStatus": "enabled"}}
    assert ev.automatic_failover(group) == "disabled"


def test_multi_az_is_separate_from_failover():
    group = {**GROUP, "MultiAZ": "disabled"}
    assert ev.automatic_failover(group) == "enabled"
    assert ev.multi_az(group) == "disabled"
    assert ev.multi_az({**GROUP, "MultiAZ": None}) == "not reported"


def test_member_zones():
    assert ev.member_zones(GROUP) == {"lab-redis-001": "us-east-1a", "lab-redis-002": "us-east-1b"}


def test_cluster_mode_from_cluster_mode_or_cluster_enabled():
    assert ev.cluster_mode(GROUP) == "disabled"
    assert ev.cluster_mode({**GROUP, "ClusterEnabled": True}) == "enabled"
    assert ev.cluster_mode({**GROUP, "ClusterMode": "compatible", "ClusterEnabled": False}) == "compatible"


def test_cluster_mode_problems_name_the_missing_endpoint():
    assert ev.cluster_mode_problems(GROUP, "disabled") == []
    enabled = {"ClusterEnabled": True, "ConfigurationEndpoint": {"Address": "cfg", "Port": 6379}, "NodeGroups": []}
    assert ev.cluster_mode_problems(enabled, "enabled") == []
    assert ev.cluster_mode_problems(enabled, "disabled") == [
        "cluster mode is enabled, expected disabled",
        "it has no PrimaryEndpoint (cluster mode disabled groups are reached through it)",
    ]
    assert ev.endpoints(GROUP) == {
        "primary": "master.lab-redis.x.use1.cache.amazonaws.com:6379",
        "reader": "replica.lab-redis.x.use1.cache.amazonaws.com:6379",
    }


def test_subnet_zones_and_distinct_zones():
    group = {
        "Subnets": [
            {"SubnetIdentifier": "s1", "SubnetAvailabilityZone": {"Name": "us-east-1a"}},
            {"SubnetIdentifier": "s2", "SubnetAvailabilityZone": {"Name": "us-east-1a"}},
            {"SubnetIdentifier": "s3", "SubnetAvailabilityZone": {}},
        ]
    }
    assert ev.subnet_zones(group) == {"s1": "us-east-1a", "s2": "us-east-1a", "s3": None}
    assert ev.distinct_zones(group) == ["us-east-1a"]


def permission(protocol: str, from_port: int | None, to_port: int | None, **sources: list[dict[str, str]]):
    found = {"IpProtocol": protocol, **sources}
    if from_port is not None:
        found |= {"FromPort": from_port, "ToPort": to_port}
    return found


def test_only_the_app_group_is_allowed():
    group = {"IpPermissions": [permission("tcp", 6379, 6379, UserIdGroupPairs=[{"GroupId": "sg-app"}])]}
    exposure = ev.port_exposure(group, 6379, "sg-app")
    assert [r.source for r in exposure.allowed] == ["sg-app"]
    assert exposure.offending == []


@pytest.mark.parametrize(
    ("rule", "quoted"),
    [
        (permission("tcp", 6379, 6379, IpRanges=[{"CidrIp": "0.0.0.0/0"}]), "tcp 6379 from 0.0.0.0/0"),
        (permission("tcp", 6000, 7000, Ipv6Ranges=[{"CidrIpv6": "::/0"}]), "tcp 6000-7000 from ::/0"),
        (permission("-1", None, None, IpRanges=[{"CidrIp": "0.0.0.0/0"}]), "all traffic from 0.0.0.0/0"),
    ],
)
def test_world_open_rules_reaching_the_port_are_offending(rule, quoted):
    exposure = ev.port_exposure({"IpPermissions": [rule]}, 6379, "sg-app")
    assert [r.describe() for r in exposure.world_open] == [quoted]


def test_rules_not_reaching_the_port_are_ignored():
    group = {
        "IpPermissions": [
            permission("tcp", 22, 22, IpRanges=[{"CidrIp": "0.0.0.0/0"}]),
            permission("udp", 6379, 6379, IpRanges=[{"CidrIp": "0.0.0.0/0"}]),
        ]
    }
    assert ev.port_exposure(group, 6379, "sg-app").offending == []


def test_a_private_cidr_is_offending_but_not_world_open_and_world_comes_first():
    group = {
        "IpPermissions": [
            permission("tcp", 6379, 6379, IpRanges=[{"CidrIp": "10.0.0.0/16"}, {"CidrIp": "0.0.0.0/0"}]),
        ]
    }
    exposure = ev.port_exposure(group, 6379, "sg-app")
    assert [r.source for r in exposure.offending] == ["0.0.0.0/0", "10.0.0.0/16"]
    assert [r.source for r in exposure.world_open] == ["0.0.0.0/0"]


def test_revoke_cli_uses_the_exact_rule():
    rule = ev.ingress_rules({"IpPermissions": [permission("tcp", 6379, 6379, IpRanges=[{"CidrIp": "0.0.0.0/0"}])]})
    assert ev.revoke_cli("sg-1", rule) == (
        "aws ec2 revoke-security-group-ingress --group-id sg-1 --ip-permissions "
        "'IpProtocol=tcp,FromPort=6379,ToPort=6379,IpRanges=[{CidrIp=0.0.0.0/0}]'"
    )


def test_parameter_values_merge_pages_and_default_groups():
    pages = [
        {"Parameters": [{"ParameterName": "activerehashing", "ParameterValue": "yes"}], "Marker": "m1"},
        {"Parameters": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]},
    ]
    assert ev.parameter_values(pages) == {"activerehashing": "yes", "maxmemory-policy": "allkeys-lru"}
    assert ev.is_default_parameter_group("default.redis7")
    assert not ev.is_default_parameter_group("lab-redis-params")


def test_members_security_and_parameter_groups():
    members = [
        {
            "ReplicationGroupId": "lab-redis",
            "SecurityGroups": [{"SecurityGroupId": "sg-1", "Status": "active"}],
            "CacheSubnetGroupName": "lab-redis-subnets",
            "CacheParameterGroup": {"CacheParameterGroupName": "p", "ParameterApplyStatus": "in-sync"},
        },
        {
            "ReplicationGroupId": "lab-redis",
            "SecurityGroups": [{"SecurityGroupId": "sg-1", "Status": "active"}],
            "CacheParameterGroup": {"CacheParameterGroupName": "p", "ParameterApplyStatus": "applying"},
        },
        {"ReplicationGroupId": "other", "SecurityGroups": [{"SecurityGroupId": "sg-9"}]},
    ]
    ours = ev.members_of(members, "lab-redis")
    assert len(ours) == 2
    assert ev.security_group_ids_of(ours) == {"sg-1"}
    assert ev.subnet_groups_of(ours) == {"lab-redis-subnets"}
    assert ev.parameter_groups_of(ours) == {"p": "applying"}


def test_retention_and_encryption():
    assert ev.retention_days({"SnapshotRetentionLimit": 0}) == 0
    assert ev.retention_days({}) == 0
    assert ev.encryption_gaps({"AtRestEncryptionEnabled": True, "TransitEncryptionEnabled": False}) == [
        "in-transit encryption (TLS) is off"
    ]


def test_near_matches():
    assert ev.near_matches("lab-redis", ["Lab-Redis", "lab-rediss", "other"]) == ["Lab-Redis", "lab-rediss"]


def test_create_cli_carries_the_labs_names():
    lab = load_spec(paths.default_lab_spec())
    command = ev.create_replication_group_cli(lab)
    for part in (
        "--replication-group-id lab-redis",
        "--num-cache-clusters 2",
        "--automatic-failover-enabled",
        "--multi-az-enabled",
        "--cache-subnet-group-name lab-redis-subnets",
        "Values=lab-redis-sg",
        "--cache-parameter-group-name lab-redis-params",
        "--snapshot-retention-limit 1",
    ):
        assert part in command
