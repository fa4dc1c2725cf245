from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, api_output, cli_output, group_of
from tests.conftest import load_check, replace_section

CHECK = "elasticache_cluster_mode_matches"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "cluster mode disabled (primary master.lab-redis." in result.message


def check_with(document: dict, solved, mode: str):
    name = document["ReplicationGroups"][0]["ReplicationGroupId"]
    spec = replace_section(solved, "elasticache", replication_group=name, cluster_mode=mode)
    clients = StubbedClients()
    clients.add("elasticache", "describe_replication_groups", document, {"ReplicationGroupId": name})
    with clients.active():
        return load_check(CHECK)(elasticache_lookups=Lookups(clients, spec), target=AWS_TARGET)


def test_a_cluster_mode_enabled_group_fails_a_disabled_lab(solved):
    document = group_of(cli_output("elasticache", "test-failover"))
    with pytest.raises(CheckFailed, match="cluster mode is enabled, expected disabled; it has no PrimaryEndpoint"):
        check_with(document, solved, "disabled")


def test_a_cluster_mode_enabled_group_passes_an_enabled_lab(solved):
    outcome = check_with(group_of(cli_output("elasticache", "test-failover")), solved, "enabled")
    assert "configuration mycluster.xxxxih.clustercfg.usw2.cache.amazonaws.com:6379" in outcome.message


def test_the_documented_disabled_group_shows_primary_and_reader(solved):
    outcome = check_with(cli_output("elasticache", "describe-replication-groups"), solved, "disabled")
    assert "primary my-cluster.xxxxih.ng.0001.usw2.cache.amazonaws.com:6379" in outcome.message
    assert "reader my-cluster-ro.xxxxih.ng.0001.usw2.cache.amazonaws.com:6379" in outcome.message


def test_endpoints_appear_only_once_created(solved):
    with pytest.raises(CheckPending, match="still creating"):
        check_with(group_of(api_output("CreateReplicationGroup", 1)), solved, "enabled")


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
