"""The sandbox's corrections for the cleanup phase (labgrader/sandbox/moto/elasticache.py), proven on the sandbox:

- `_complete_deletions`: a deleted replication group / cache cluster reads `deleting` for about a second, then is
  gone (with its tags), as on AWS after its minutes; moto alone keeps it `deleting` forever.
- `_delete_cache_subnet_group`: DeleteCacheSubnetGroup works as on AWS (moto alone answers HTTP 500).
"""

from __future__ import annotations

import time

import botocore.exceptions
import pytest

from labgrader.sandbox.moto.elasticache import DELETION_SECONDS
from tests.cleanup.helpers import fresh_lab, make_subnet_group, wait_gone
from tests.conftest import unique

pytestmark = pytest.mark.sandbox


def _tagged_arns(clients) -> set[str]:
    tagging = clients.client("resourcegroupstaggingapi")
    found = tagging.get_resources(TagFilters=[{"Key": "test"}], ResourceTypeFilters=["elasticache"])
    return {mapping["ResourceARN"] for mapping in found["ResourceTagMappingList"]}


def test_a_deleted_replication_group_reads_deleting_then_is_gone(clients):
    elasticache = clients.client("elasticache")
    group = unique("rg")
    created = elasticache.create_replication_group(
        ReplicationGroupId=group,
        ReplicationGroupDescription="test",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
        Tags=[{"Key": "test", "Value": "yes"}],
    )["ReplicationGroup"]
    assert created["ARN"] in _tagged_arns(clients)
    started = time.monotonic()
    assert elasticache.delete_replication_group(ReplicationGroupId=group)["ReplicationGroup"]["Status"] == "deleting"
    assert elasticache.describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"][0]["Status"] == (
        "deleting"
    )
    wait_gone(elasticache.describe_replication_groups, timeout=DELETION_SECONDS + 3, ReplicationGroupId=group)
    assert time.monotonic() - started >= DELETION_SECONDS - 0.1
    with pytest.raises(elasticache.exceptions.ReplicationGroupNotFoundFault):
        elasticache.describe_replication_groups(ReplicationGroupId=group)
    listed = [g["ReplicationGroupId"] for g in elasticache.describe_replication_groups()["ReplicationGroups"]]
    assert group not in listed
    assert created["ARN"] not in _tagged_arns(clients)  # its tags went with it
    # The name is free again, as on AWS once the deletion finished.
    elasticache.create_replication_group(
        ReplicationGroupId=group, ReplicationGroupDescription="again", CacheNodeType="cache.t3.micro"
    )
    assert elasticache.describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"][0]["Status"] == (
        "available"
    )


def test_a_deleted_cache_cluster_reads_deleting_then_is_gone(clients):
    elasticache = clients.client("elasticache")
    cluster = unique("cc")
    elasticache.create_cache_cluster(CacheClusterId=cluster, CacheNodeType="cache.t3.micro", Engine="redis")
    status = elasticache.delete_cache_cluster(CacheClusterId=cluster)["CacheCluster"]["CacheClusterStatus"]
    assert status == "deleting"
    wait_gone(elasticache.describe_cache_clusters, timeout=DELETION_SECONDS + 3, CacheClusterId=cluster)


def test_a_subnet_group_is_deleted_once_no_cluster_uses_it(clients):
    elasticache = clients.client("elasticache")
    name = make_subnet_group(fresh_lab(), clients)
    group = unique("rg")
    elasticache.create_replication_group(
        ReplicationGroupId=group,
        ReplicationGroupDescription="test",
        CacheNodeType="cache.t3.micro",
        CacheSubnetGroupName=name,
    )
    with pytest.raises(botocore.exceptions.ClientError) as in_use:
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
    assert in_use.value.response["Error"]["Code"] == "CacheSubnetGroupInUse"
    elasticache.delete_replication_group(ReplicationGroupId=group)
    with pytest.raises(botocore.exceptions.ClientError) as still_in_use:  # a group being deleted still uses it
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
    assert still_in_use.value.response["Error"]["Code"] == "CacheSubnetGroupInUse"
    wait_gone(elasticache.describe_replication_groups, ReplicationGroupId=group)
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
    with pytest.raises(elasticache.exceptions.CacheSubnetGroupNotFoundFault):
        elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=name)
    with pytest.raises(elasticache.exceptions.CacheSubnetGroupNotFoundFault):
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
