"""Response documents recorded against real AWS (tests/corpus/, SOURCES.md), replayed through the real check
functions and their fixtures: each parsed document is fed as the one look the check would have made (no endpoint,
no Stubber, whose output validation rejects some real documents), and the verdict a careful engineer gives for the
week-8 lab is asserted per document.

The tables below are the verdicts, written from reading each document (its status, keys, billing, members); the
checks are not consulted to write them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from labgrader import paths
from labgrader.engine.verdict import Verdict
from labgrader.services.elasticache import evaluation as ev
from labgrader.services.elasticache.lookups import Lookups
from labgrader.spec import LabSpec, TtlSpec, load_spec
from tests.checks.dynamodb.helpers import dynamodb_fixture
from tests.checks.elasticache.aws_docs import AWS_TARGET
from tests.conftest import load_check, replace_section

CORPUS = Path(__file__).parent
DOCUMENTS = sorted(path.relative_to(CORPUS).as_posix() for path in CORPUS.glob("*/*/*.json"))


def document(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))["document"]


@pytest.fixture(scope="module")
def week8() -> LabSpec:
    return load_spec(paths.default_lab_spec())


def verdict(call: Any, **arguments: Any) -> tuple[str, str, Any]:
    """(status, message, observed) of a check or fixture called with these arguments."""
    try:
        outcome = call(**arguments)
    except Verdict as raised:
        return raised.status, raised.message, raised.evidence.observed
    if hasattr(outcome, "message"):
        return "pass", outcome.message, outcome.evidence.observed
    return "pass", "", None


# --- the corpus itself ------------------------------------------------------------------------------------------


def test_the_corpus_holds_at_least_40_documents_each_with_its_source():
    assert len(DOCUMENTS) >= 40
    for name in DOCUMENTS:
        source = json.loads((CORPUS / name).read_text(encoding="utf-8"))["source"]
        assert source["repository"].startswith("https://github.com/"), name
        assert source["path"], name
        assert source["locator"], name
        assert source["licence"] == "Apache-2.0", name


# --- DynamoDB: DescribeTable (and the TableDescription of CreateTable/UpdateTable/DeleteTable) -------------------

# document → (TableStatus as a careful engineer reads it; None: LocalStack replaced it by a placeholder,
#             the table's key schema as dynamodb_table_keys_match should quote it,
#             dynamodb_capacity_mode_valid's verdict for the week-8 bounds: on-demand, or ≤ 25 RCU/WCU in all)
TABLES: dict[str, tuple[str | None, str, str]] = {
    "dynamodb/CreateTable/cli-create-table-1.json": ("CREATING", "partition Artist (S), sort SongTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-2.json": ("CREATING", "partition Artist (S), sort SongTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-3.json": ("CREATING", "partition Artist (S), sort SongTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-4.json": ("CREATING", "partition Artist (S), sort SongTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-5.json": ("CREATING", "partition UserId (S), sort GameTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-6.json": ("CREATING", "partition UserId (S), sort GameTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-7.json": ("CREATING", "partition UserId (S), sort GameTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-8.json": ("CREATING", "partition UserId (S), sort GameTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-9.json": ("CREATING", "partition UserId (S), sort GameTitle (S)", "pending"),
    "dynamodb/CreateTable/cli-create-table-10.json": (
        "CREATING",
        "partition UserId (S), sort GameTitle (S)",
        "pending",
    ),
    "dynamodb/CreateTable/gsi-pay_per_request-creating.json": (None, "partition TID (S), sort none", "pass"),
    "dynamodb/CreateTable/gsi-provisioned-creating.json": (None, "partition TID (S), sort none", "pass"),
    "dynamodb/CreateTable/stream-disabled.json": (None, "partition id (S), sort none", "pass"),
    "dynamodb/CreateTable/stream-enabled.json": (None, "partition id (S), sort none", "pass"),
    "dynamodb/CreateTable/stream-view.json": (None, "partition Username (S), sort none", "pass"),
    "dynamodb/CreateTable/table-crud-creating.json": ("CREATING", "partition id (S), sort none", "pending"),
    "dynamodb/CreateTable/warm-creating.json": ("CREATING", "partition id (S), sort none", "pending"),
    "dynamodb/DeleteTable/cli-delete-table.json": ("DELETING", "", "fail"),
    "dynamodb/DeleteTable/table-crud-deleting.json": ("DELETING", "", "fail"),
    "dynamodb/DescribeTable/api-describe-table.json": ("ACTIVE", "partition Artist (S), sort SongTitle (S)", "pass"),
    "dynamodb/DescribeTable/cfn-default-name.json": ("ACTIVE", "partition keyName (S), sort none", "pass"),
    "dynamodb/DescribeTable/cfn-global-table.json": ("ACTIVE", "partition keyName (S), sort none", "pass"),
    "dynamodb/DescribeTable/cfn-global-ttl-and-sse.json": ("ACTIVE", "partition pk (S), sort sk (S)", "pass"),
    "dynamodb/DescribeTable/cfn-pay-per-request.json": ("ACTIVE", "partition id (S), sort none", "pass"),
    "dynamodb/DescribeTable/cfn-provisioned.json": ("ACTIVE", "partition id (S), sort none", "pass"),
    "dynamodb/DescribeTable/cfn-ttl-and-sse.json": ("ACTIVE", "partition pk (S), sort sk (S)", "pass"),
    "dynamodb/DescribeTable/cli-describe-table.json": ("ACTIVE", "partition Artist (S), sort SongTitle (S)", "pass"),
    "dynamodb/DescribeTable/gsi-pay_per_request-active.json": (None, "partition TID (S), sort none", "pass"),
    "dynamodb/DescribeTable/gsi-provisioned-active.json": (None, "partition TID (S), sort none", "pass"),
    "dynamodb/DescribeTable/loan-broker.json": ("ACTIVE", "partition Type (S), sort none", "pass"),
    "dynamodb/DescribeTable/note-taking.json": ("ACTIVE", "partition noteId (S), sort none", "pass"),
    "dynamodb/DescribeTable/streams-global-table-v2.json": (None, "partition id (S), sort none", "pass"),
    "dynamodb/DescribeTable/table-crud-active.json": ("ACTIVE", "partition id (S), sort none", "pass"),
    "dynamodb/DescribeTable/warm-active.json": ("ACTIVE", "partition id (S), sort none", "pass"),
    "dynamodb/UpdateTable/cli-update-table-1.json": ("UPDATING", "partition Artist (S), sort SongTitle (S)", "pass"),
    "dynamodb/UpdateTable/cli-update-table-2.json": ("UPDATING", "partition Artist (S), sort SongTitle (S)", "pass"),
    "dynamodb/UpdateTable/cli-update-table-3.json": ("UPDATING", "partition Artist (S), sort SongTitle (S)", "pass"),
    "dynamodb/UpdateTable/cli-update-table-4.json": ("ACTIVE", "partition Artist (S), sort SongTitle (S)", "pass"),
    "dynamodb/UpdateTable/esm-stream-updating.json": ("UPDATING", "partition my_partition_key (S), sort none", "pass"),
    "dynamodb/UpdateTable/lambda-stream-updating.json": ("UPDATING", "partition id (S), sort none", "pass"),
}
EXISTS = {"ACTIVE": "pass", "CREATING": "pending", "UPDATING": "pending", "DELETING": "fail"}


def table_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The table description inside a DescribeTable / CreateTable / UpdateTable / DeleteTable answer."""
    table: dict[str, Any] = answer.get("Table") or answer.get("TableDescription") or answer
    return table


def graded_spec(week8: LabSpec, table: dict[str, Any]) -> Any:
    spec = replace_section(week8, "dynamodb", table=str(table.get("TableName") or "unnamed"))
    return spec.dynamodb


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_descriptions(name, week8):
    status, keys, capacity = TABLES[name]
    table = table_of(document(name))
    ddb = graded_spec(week8, table)
    assert table.get("TableStatus") == status or (status is None and str(table.get("TableStatus")).startswith("<"))

    if status is not None:
        got = verdict(
            load_check("dynamodb_table_exists"),
            table_description=table,
            dynamodb=None,
            ddb=ddb,
            target=AWS_TARGET,
            aws=None,
        )
        assert got[0] == EXISTS[status], got

    got = verdict(load_check("dynamodb_table_keys_match"), table_description=table, ddb=ddb, target=AWS_TARGET)
    assert got[0] == "fail", got  # none of these tables is keyed category (S) / sku (S)
    if status == "DELETING":
        assert "(prerequisite: dynamodb_table_exists)" in got[1]
    else:
        assert got[2] == keys
        assert "prerequisite" not in got[1]

    # The settled-table prerequisite, then the check (a placeholder status: the check alone, on the description).
    capacity_check = load_check("dynamodb_capacity_mode_valid")
    if status is None:
        got = verdict(capacity_check, ddb=ddb, table=table)
    else:
        settled = verdict(dynamodb_fixture("table"), table_description=table, ddb=ddb, target=AWS_TARGET)
        got = settled if settled[0] != "pass" else verdict(capacity_check, ddb=ddb, table=table)
    assert got[0] == capacity, got

    # Neither of the lab's indexes exists in these tables: a missing index never appears by itself, so it is a fail
    # at once, also while the table is CREATING; only a table being deleted cannot be judged.
    for check, specs in (("dynamodb_lsi_configured", "lsi_specs"), ("dynamodb_gsi_configured", "gsi_specs")):
        indexes = list(ddb.lsi if specs == "lsi_specs" else ddb.gsi)
        if status is None:
            got = verdict(load_check(check), **{specs: indexes}, ddb=ddb, existing_table=table)
        else:
            existing = verdict(dynamodb_fixture("existing_table"), table_description=table, ddb=ddb, target=AWS_TARGET)
            got = (
                existing
                if existing[0] != "pass"
                else verdict(load_check(check), **{specs: indexes}, ddb=ddb, existing_table=table)
            )
        assert got[0] == "fail", (check, got)
        if status == "DELETING":
            assert "(prerequisite: dynamodb_table_exists)" in got[1]
        else:
            assert "is missing" in got[1], (check, got)


def test_a_key_without_attribute_definition_is_unknown_not_a_string(week8):
    """DeleteTable's answer carries no AttributeDefinitions: nothing in it says what type a key has."""
    from labgrader.services.dynamodb.evaluation import TableKey, actual_keys

    table = table_of(document("dynamodb/DescribeTable/cli-describe-table.json"))
    without = {**table, "AttributeDefinitions": []}
    assert actual_keys(without) == (TableKey("Artist", None), TableKey("SongTitle", None))


# --- DynamoDB: DescribeTimeToLive, DescribeContinuousBackups ----------------------------------------------------

# document → the TTL attribute it reports ENABLED on
TTL = {
    "dynamodb/DescribeTimeToLive/cfn-ttl-cdk.json": "expire_at",
    "dynamodb/DescribeTimeToLive/cli-describe-time-to-live.json": "ttl",
}


@pytest.mark.parametrize("name", sorted(TTL))
def test_time_to_live_descriptions(name, week8):
    answer = document(name)
    description = answer.get("TimeToLiveDescription") or answer
    check = load_check("dynamodb_ttl_enabled")
    ddb = week8.dynamodb
    arguments = {"ddb": ddb, "table": {}, "ttl_description": description, "table_items": []}
    # The lab's attribute is expires_at: TTL on another attribute is a fail naming both.
    got = verdict(check, ttl_spec=ddb.ttl, **arguments)
    assert got[0] == "fail"
    assert f"has TTL ENABLED on attribute {TTL[name]}; expected it on expires_at" in got[1]
    # A lab asking for that very attribute passes.
    assert verdict(check, ttl_spec=TtlSpec(attribute=TTL[name]), **arguments)[0] == "pass"


# document → PointInTimeRecoveryStatus → dynamodb_pitr_enabled's verdict
PITR = {
    "dynamodb/DescribeContinuousBackups/cli-describe-continuous-backups.json": "fail",  # PITR DISABLED
    "dynamodb/DescribeContinuousBackups/pitr-describe.json": "pass",  # ENABLED, 35 days
    "dynamodb/UpdateContinuousBackups/pitr-update.json": "pass",  # ENABLED, 35 days
}


@pytest.mark.parametrize("name", sorted(PITR))
def test_continuous_backups_descriptions(name, week8):
    answer = document(name)
    description = answer.get("ContinuousBackupsDescription") or answer
    got = verdict(
        load_check("dynamodb_pitr_enabled"),
        pitr_expected=True,
        ddb=week8.dynamodb,
        table={},
        continuous_backups=description,
    )
    assert got[0] == PITR[name], got
    if got[0] == "pass":
        assert "(35 days)" in got[1]


# --- ElastiCache: DescribeReplicationGroups (and the group of TestFailover / shard reconfiguration answers) ------


class _NoAccount:
    """The recording's account is not ours to call: a look the documents do not answer (e.g. the subnet groups a hint
    would name) is denied, as for a grader without that permission, and the hint looks it up in shell instead."""

    def client(self, service: str) -> Any:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "replayed document: no account to call"}}, f"{service}:*"
        )


def lookups_for(week8: LabSpec, group: dict[str, Any], **memo: Any) -> Lookups:
    """The run's shared lookups, each look already made: the group (and whatever else `memo` gives)."""
    spec = replace_section(week8, "elasticache", replication_group=group["ReplicationGroupId"])
    lookups = Lookups(_NoAccount(), spec)  # type: ignore[arg-type]  # every look is the document
    lookups._memo.update({"replication_group": (True, group), "member_clusters": (True, [])})
    lookups._memo.update({key: (True, value) for key, value in memo.items()})
    return lookups


GROUP_CHECKS = (
    "elasticache_replication_group_available",
    "elasticache_cluster_mode_matches",
    "elasticache_replicas_present",
    "elasticache_automatic_failover_enabled",
    "elasticache_multi_az_enabled",
    "elasticache_encryption_enabled",
    "elasticache_snapshot_present",
)
# document → the verdict of each check above for the week-8 lab (cluster mode disabled, a replica, failover and
# Multi-AZ on, encryption on, snapshots kept a day)
GROUPS: dict[str, tuple[str, ...]] = {
    # clustered-redis: two node groups of two (no ClusterEnabled field in this older example: the node groups say
    # cluster mode enabled), failover enabled, no MultiAZ / encryption / retention reported
    "elasticache/DescribeReplicationGroups/api-describe-replication-groups.json": (
        "pass",
        "fail",
        "pass",
        "pass",
        "fail",
        "fail",
        "fail",
    ),
    # my-cluster: cluster mode disabled, 1 primary + 3 replicas, failover disabled, retention 0
    "elasticache/DescribeReplicationGroups/cli-describe-replication-groups.json": (
        "pass",
        "pass",
        "pass",
        "fail",
        "fail",
        "fail",
        "fail",
    ),
    # mycluster after TestFailover: cluster mode enabled (3 shards of 3), failover enabled, retention 1
    "elasticache/TestFailover/cli-test-failover-cluster-mode.json": (
        "pass",
        "fail",
        "pass",
        "pass",
        "fail",
        "fail",
        "pass",
    ),
    # mycluster being resharded (modifying): Multi-AZ enabled with nodes in three AZs
    "elasticache/ModifyReplicationGroupShardConfiguration/cli-modify-shard-configuration.json": (
        "pending",
        "fail",
        "pass",
        "pass",
        "pass",
        "fail",
        "pass",
    ),
}


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_replication_group_descriptions(name, week8):
    answer = document(name)
    group = (answer.get("ReplicationGroups") or [answer.get("ReplicationGroup")])[0]
    lookups = lookups_for(week8, group, named_snapshot=None)
    got = {
        check: verdict(load_check(check), elasticache_lookups=lookups, target=AWS_TARGET)[0] for check in GROUP_CHECKS
    }
    assert got == dict(zip(GROUP_CHECKS, GROUPS[name], strict=True))


def test_more_than_one_node_group_is_cluster_mode_enabled_whatever_the_flag():
    group = document("elasticache/DescribeReplicationGroups/api-describe-replication-groups.json")
    group = group["ReplicationGroups"][0]
    assert "ClusterEnabled" not in group
    assert ev.cluster_mode(group) == "enabled"
    assert ev.cluster_mode({**group, "ClusterEnabled": False}) == "enabled"


# --- ElastiCache: DescribeSnapshots -----------------------------------------------------------------------------

LAB_GROUP = "elasticache/DescribeReplicationGroups/cli-describe-replication-groups.json"
# (document, snapshot name) → verdict for my-cluster (retention 0, members my-cluster-001..004 per node group)
SNAPSHOTS = {
    ("elasticache/DescribeSnapshots/cli-describe-snapshots.json", "my-cluster"): "pass",  # of member my-cluster-003
    ("elasticache/DescribeSnapshots/cli-describe-snapshots.json", "myreplica-backup"): "fail",  # of cluster myreplica
    (
        "elasticache/DescribeSnapshots/cli-describe-snapshots.json",
        "automatic.my-cluster2-002-2019-12-05-06-38",
    ): "fail",  # of another cluster, and automatic
    ("elasticache/DescribeSnapshots/api-describe-snapshots.json", "snapshot-20161212"): "fail",  # of my-redis5
}


@pytest.mark.parametrize(("name", "snapshot_name"), sorted(SNAPSHOTS))
def test_snapshot_descriptions(name, snapshot_name, week8):
    group = document(LAB_GROUP)["ReplicationGroups"][0]
    snapshot = next(s for s in document(name)["Snapshots"] if s["SnapshotName"] == snapshot_name)
    spec = replace_section(week8, "elasticache", snapshot_name=snapshot_name)
    wanted = SNAPSHOTS[(name, snapshot_name)]
    lookups = lookups_for(spec, group, named_snapshot=snapshot)
    got = verdict(load_check("elasticache_snapshot_present"), elasticache_lookups=lookups, target=AWS_TARGET)
    assert got[0] == wanted, got
    if wanted == "fail":
        assert f"snapshot {snapshot_name} exists but was taken of cache cluster" in got[1]
    # One mistake, one penalty: on ElastiCache (CONFIG and BGSAVE refused) redis_persistence_configured leaves the
    # snapshots to elasticache_snapshot_present, and makes no call at all.
    status, message, _observed = verdict(
        load_check("redis_persistence_configured"), lab=spec, target=AWS_TARGET, request=NoFixtures()
    )
    assert status == "skip"
    assert message == (
        "persistence is judged once, by elasticache_snapshot_present (ElastiCache refuses CONFIG and BGSAVE, so its "
        "persistence is the snapshots it keeps)"
    )


class NoFixtures:
    """A `request` that refuses every fixture: a check that asks for one (Redis, the ElastiCache lookups) fails."""

    def getfixturevalue(self, name: str) -> Any:
        raise AssertionError(f"the check asked for the fixture {name}")


# --- ElastiCache: DescribeCacheClusters, DescribeCacheParameters; EC2: DescribeSecurityGroups -------------------

# document → (cluster, its replication group, security group IDs, parameter group: apply status)
CLUSTERS = {
    "elasticache/DescribeCacheClusters/api-describe-cache-clusters-1.json": (
        "my-mem-cluster",
        None,
        set(),
        {"default.memcached1.4": "in-sync"},
    ),
    "elasticache/DescribeCacheClusters/api-describe-cache-clusters-2.json": (
        "my-mem-cluster",
        None,
        set(),
        {"default.memcached1.4": "in-sync"},
    ),
    "elasticache/DescribeCacheClusters/cli-describe-cache-clusters.json": (
        "my-cluster-003",
        "my-cluster",
        {"sg-xxxxxd7b"},
        {"default.redis5.0": "in-sync"},
    ),
}


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_cache_cluster_descriptions(name):
    cluster_id, group_id, security_groups, parameter_groups = CLUSTERS[name]
    clusters = document(name)["CacheClusters"]
    assert [c["CacheClusterId"] for c in clusters] == [cluster_id]
    members = ev.members_of(clusters, group_id) if group_id else []
    assert ev.security_group_ids_of(members) == security_groups
    assert ev.parameter_groups_of(clusters) == parameter_groups
    assert ev.members_of(clusters, "lab-redis") == []  # another group's node is never the lab's


def test_a_group_on_the_default_parameter_group_fails_the_eviction_policy(week8):
    """my-cluster's node runs default.redis5.0, whose maxmemory-policy is volatile-lru (the documented parameters)."""
    group = document(LAB_GROUP)["ReplicationGroups"][0]
    clusters = document("elasticache/DescribeCacheClusters/cli-describe-cache-clusters.json")["CacheClusters"]
    lookups = lookups_for(week8, group, member_clusters=ev.members_of(clusters, "my-cluster"))
    # The lab's own group was never created in that account (DescribeCacheParameterGroups: not found).
    lookups._memo[("parameter_group", week8.elasticache.parameter_group)] = (True, None)
    got = verdict(
        load_check("elasticache_parameter_group_eviction_policy"), elasticache_lookups=lookups, target=AWS_TARGET
    )
    assert got[0] == "fail"
    assert (
        "runs with parameter group default.redis5.0 (a default group: its maxmemory-policy is volatile-lru" in (got[1])
    )


PARAMETERS = {  # document → (parameters listed, its maxmemory-policy)
    "elasticache/DescribeCacheParameters/api-describe-cache-parameters.json": (35, "volatile-lru"),
    "elasticache/DescribeCacheParameters/cli-describe-cache-parameters.json": (57, "volatile-lru"),
}


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_cache_parameter_pages(name):
    count, policy = PARAMETERS[name]
    values = ev.parameter_values([document(name)])
    assert (len(values), values["maxmemory-policy"]) == (count, policy)
    assert policy == ev.DEFAULT_EVICTION_POLICY  # what a default.* group holds, as AWS documents it


def test_parameter_pages_are_read_across_markers():
    """No recording has a second page (the API example's Marker is empty): the two documents as two pages."""
    pages = [document(name) for name in sorted(PARAMETERS)]
    assert document(sorted(PARAMETERS)[0]).get("Marker") == ""
    assert len(ev.parameter_values(pages)) == len(
        set(ev.parameter_values(pages[:1])) | set(ev.parameter_values(pages[1:]))
    )


def test_a_security_group_with_only_an_egress_rule_admits_nothing(week8):
    """The all-traffic 0.0.0.0/0 rule AWS gives every new group is egress: it never opens the Redis port."""
    group = document("ec2/DescribeSecurityGroups/cfn-tagged-group.json")
    assert ev.ingress_rules(group) == []
    assert ev.too_wide_rules(group, 6379) == []
    spec = replace_section(week8, "elasticache", security_group=group["GroupName"], app_security_group=None)
    lookups = Lookups(_NoAccount(), spec)  # type: ignore[arg-type]  # every look is the document
    lookups._memo.update(
        {
            "security_groups_named": (True, {group["GroupName"]: [group]}),
            "replication_group": (True, None),
            "member_clusters": (True, []),
        }
    )
    got = verdict(load_check("elasticache_security_group_restricted"), elasticache_lookups=lookups, target=AWS_TARGET)
    assert got[0] == "pass", got


def test_a_second_group_with_a_24_and_a_self_reference_leaves_the_nodes_restricted(week8):
    """The AWS CLI's documented sg-903004f8 (all traffic from itself, tcp 22 from 203.0.113.0/24) attached to the
    lab's nodes next to the lab's group: a self-reference is that group's owner's choice and a /24 is narrower than
    a VPC (and does not reach 6379 anyway), so nothing opens Redis: pass. The lab's two groups and the node's list of
    groups are constructed here (no recording has them); the second group is the recorded document, as recorded."""
    recorded = document("ec2/DescribeSecurityGroups/cli-describe-security-groups.json")["SecurityGroups"]
    assert [g["GroupId"] for g in recorded] == ["sg-903004f8"]
    second = recorded[0]
    assert len(ev.ingress_rules(second)) == 2
    assert ev.too_wide_rules(second, 6379) == []
    group = document(LAB_GROUP)["ReplicationGroups"][0]
    spec = replace_section(week8, "elasticache", replication_group=group["ReplicationGroupId"])
    assert spec.elasticache.app_security_group is not None
    app = {"GroupId": "sg-0app0000000000001", "GroupName": spec.elasticache.app_security_group, "IpPermissions": []}
    lab = {
        "GroupId": "sg-0lab0000000000001",
        "GroupName": spec.elasticache.security_group,
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 6379,
                "ToPort": 6379,
                "IpRanges": [],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
                "UserIdGroupPairs": [{"GroupId": app["GroupId"], "UserId": "123456789012"}],
            }
        ],
    }
    node = {
        "CacheClusterId": "my-cluster-001",
        "ReplicationGroupId": group["ReplicationGroupId"],
        "SecurityGroups": [
            {"SecurityGroupId": lab["GroupId"], "Status": "active"},
            {"SecurityGroupId": second["GroupId"], "Status": "active"},
        ],
    }
    lookups = lookups_for(
        spec,
        group,
        security_groups_named={lab["GroupName"]: [lab], app["GroupName"]: [app]},
        member_clusters=[node],
    )
    lookups._memo[("security_groups_by_id", (second["GroupId"],))] = (True, {second["GroupId"]: second})
    got = verdict(load_check("elasticache_security_group_restricted"), elasticache_lookups=lookups, target=AWS_TARGET)
    assert got[0] == "pass", got
    assert got[1] == (
        f"Security group {lab['GroupName']} ({lab['GroupId']}) admits port 6379 only from {app['GroupName']} and the "
        "replication group uses it."
    )
    # The control (an edited copy, not a recording): the same group opening 6379 to the world fails, named.
    opened = copy.deepcopy(second)
    opened["IpPermissions"][1].update({"FromPort": 6379, "ToPort": 6379, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    lookups._memo[("security_groups_by_id", (second["GroupId"],))] = (True, {second["GroupId"]: opened})
    got = verdict(load_check("elasticache_security_group_restricted"), elasticache_lookups=lookups, target=AWS_TARGET)
    assert got[0] == "fail", got
    assert got[1].startswith("Security group MySecurityGroup (sg-903004f8), also attached to the nodes of ElastiCache")


def test_every_document_is_replayed():
    """Every stored document is in one of the verdict tables above (or named by a test of its own)."""
    named = {
        LAB_GROUP,
        "dynamodb/DescribeTable/cli-describe-table.json",
        "elasticache/DescribeCacheClusters/cli-describe-cache-clusters.json",
        "ec2/DescribeSecurityGroups/cfn-tagged-group.json",
        "ec2/DescribeSecurityGroups/cli-describe-security-groups.json",
    }
    tables = (TABLES, TTL, PITR, GROUPS, CLUSTERS, PARAMETERS, {name for name, _snapshot in SNAPSHOTS})
    assert sorted(named.union(*tables)) == DOCUMENTS
