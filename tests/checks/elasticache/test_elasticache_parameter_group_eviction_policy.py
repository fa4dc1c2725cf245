"""The parameter group check, graded on the sandbox (its moto server has cache parameter groups: see
src/labgrader/sandbox/moto/parameter_groups.py), and on AWS's documented answers of DescribeReplicationGroups,
DescribeCacheClusters, DescribeCacheParameterGroups and DescribeCacheParameters, the last split into two pages with
a Marker, as AWS pages a group's ~100 parameters."""

from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.services.elasticache.lookups import Lookups
from tests.checks.elasticache.aws_docs import AWS_TARGET, StubbedClients, cli_output
from tests.conftest import load_check, replace_section, unique

CHECK = "elasticache_parameter_group_eviction_policy"
MARKER = "AAEAAQAAAAM"  # an opaque Marker, as DescribeCacheParameters returns when more pages follow


@pytest.mark.sandbox
def test_passes_on_the_sandbox_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK, "redis_eviction_policy"})
    graded = result.get(CHECK)
    assert graded.status == "pass", graded.message
    assert graded.message == (
        "ElastiCache replication group lab-redis runs with parameter group lab-redis-params (redis7) whose "
        "maxmemory-policy is allkeys-lru."
    )
    assert graded.points == graded.max_points == 2
    assert result.get("redis_eviction_policy").status == "pass"  # the parameter group set it on the nodes


@pytest.mark.sandbox
def test_fails_on_the_sandbox_when_the_policy_is_not_the_labs(clients, local_target, grade, lab_setup, run_hint):
    built = lab_setup()
    params = unique("lab-redis-params")
    elasticache = clients.client("elasticache")
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName=params, CacheParameterGroupFamily="redis7", Description="wrong policy"
    )
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=params,
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "volatile-ttl"}],
    )
    group = built.spec.elasticache.replication_group
    elasticache.modify_replication_group(
        ReplicationGroupId=group, CacheParameterGroupName=params, ApplyImmediately=True
    )
    spec = replace_section(built.spec, "elasticache", parameter_group=params)
    failed = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert failed.status == "fail"
    assert failed.message == f"Cache parameter group {params} has maxmemory-policy volatile-ttl; expected allkeys-lru."
    assert failed.hint == (
        f"aws elasticache modify-cache-parameter-group --cache-parameter-group-name {params} "
        "--parameter-name-values ParameterName=maxmemory-policy,ParameterValue=allkeys-lru"
    )
    run_hint(failed)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


@pytest.mark.sandbox
def test_fails_on_the_sandbox_when_the_nodes_run_the_default_group(clients, local_target, grade, lab_setup, run_hint):
    built = lab_setup()
    group = built.spec.elasticache.replication_group
    clients.client("elasticache").modify_replication_group(
        ReplicationGroupId=group, CacheParameterGroupName="default.redis7", ApplyImmediately=True
    )
    failed = grade(built.spec, local_target, only={CHECK}).get(CHECK)
    assert failed.status == "fail"
    assert failed.message == (
        f"ElastiCache replication group {group} runs with parameter group default.redis7 (a default group: its "
        "maxmemory-policy is volatile-lru and cannot be modified), not the lab's lab-redis-params."
    )
    # lab-redis-params exists (the reference solution made it): the hint attaches it instead of creating it again.
    assert "create-cache-parameter-group" not in failed.hint
    run_hint(failed)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def documents(*, group_in_use: str = "mygroup", policy: str = "volatile-lru", apply_status: str = "in-sync"):
    clusters = cli_output("elasticache", "describe-cache-clusters")
    member = clusters["CacheClusters"][0]
    # Changed fields: the group the nodes run with and its apply status (the document's is default.redis5.0).
    member["CacheParameterGroup"] |= {"CacheParameterGroupName": group_in_use, "ParameterApplyStatus": apply_status}
    parameters = cli_output("elasticache", "describe-cache-parameters")["Parameters"]
    where = next(i for i, p in enumerate(parameters) if p["ParameterName"] == "maxmemory-policy")
    parameters[where]["ParameterValue"] = policy
    # maxmemory-policy sits on the second page: a grader reading only the first one cannot see it.
    pages = [{"Parameters": parameters[:where], "Marker": MARKER}, {"Parameters": parameters[where:]}]
    return clusters, pages


def run(solved, *, clients: StubbedClients, **spec_changes):
    changes = {
        "replication_group": "my-cluster",
        "parameter_group": "mygroup",
        "parameter_group_families": ["redis5.0"],
        "eviction_policy": "allkeys-lru",
    }
    spec = replace_section(solved, "elasticache", **(changes | spec_changes))
    with clients.active():
        return load_check(CHECK)(elasticache_lookups=Lookups(clients, spec), target=AWS_TARGET)


def stub(clients: StubbedClients, clusters, pages=None, *, family_group="mygroup"):
    clients.add(
        "elasticache",
        "describe_replication_groups",
        cli_output("elasticache", "describe-replication-groups"),
        {"ReplicationGroupId": "my-cluster"},
    )
    clients.add("elasticache", "describe_cache_clusters", clusters, {})
    if pages is None:
        return
    groups = cli_output("elasticache", "describe-cache-parameter-groups")
    clients.add("elasticache", "describe_cache_parameter_groups", groups, {"CacheParameterGroupName": family_group})
    clients.add("elasticache", "describe_cache_parameters", pages[0], {"CacheParameterGroupName": "mygroup"})
    clients.add(
        "elasticache", "describe_cache_parameters", pages[1], {"CacheParameterGroupName": "mygroup", "Marker": MARKER}
    )


def test_passes_when_the_second_page_holds_the_labs_policy(solved):
    clients = StubbedClients()
    clusters, pages = documents(policy="allkeys-lru")
    stub(clients, clusters, pages)
    outcome = run(solved, clients=clients)
    assert outcome.message == (
        "ElastiCache replication group my-cluster runs with parameter group mygroup (redis5.0) whose maxmemory-policy "
        "is allkeys-lru."
    )


def test_fails_when_the_policy_is_left_at_the_default(solved):
    """No hint is run: AWS's documented answers, stubbed; the sandbox's parameter group misses run their hints above."""
    clients = StubbedClients()
    clusters, pages = documents(policy="volatile-lru")
    stub(clients, clusters, pages)
    with pytest.raises(CheckFailed, match="mygroup has maxmemory-policy volatile-lru; expected allkeys-lru") as raised:
        run(solved, clients=clients)
    assert raised.value.hint.text() == (
        "aws elasticache modify-cache-parameter-group --cache-parameter-group-name mygroup "
        "--parameter-name-values ParameterName=maxmemory-policy,ParameterValue=allkeys-lru"
    )


def test_fails_when_the_nodes_run_with_the_default_group(solved):
    """No hint is run: AWS's documented answers, stubbed; the sandbox's parameter group misses run their hints above."""
    clients = StubbedClients()
    stub(clients, cli_output("elasticache", "describe-cache-clusters"))  # as documented: default.redis5.0
    clients.add_error(
        "elasticache",
        "describe_cache_parameter_groups",
        "CacheParameterGroupNotFound",
        {"CacheParameterGroupName": "mygroup"},
    )
    with pytest.raises(CheckFailed) as raised:
        run(solved, clients=clients)
    assert raised.value.message == (
        "ElastiCache replication group my-cluster runs with parameter group default.redis5.0 (a default group: its "
        "maxmemory-policy is volatile-lru and cannot be modified), not the lab's mygroup."
    )
    assert "create-cache-parameter-group --cache-parameter-group-name mygroup" in raised.value.hint.text()
    assert "modify-replication-group --replication-group-id my-cluster --cache-parameter-group-name mygroup" in (
        raised.value.hint.text()
    )


def test_fails_with_a_family_the_lab_does_not_allow(solved):
    """No hint is run: AWS's documented answers, stubbed; the sandbox's parameter group misses run their hints above."""
    clients = StubbedClients()
    clusters, _pages = documents(policy="allkeys-lru")
    stub(clients, clusters)
    groups = cli_output("elasticache", "describe-cache-parameter-groups")
    clients.add("elasticache", "describe_cache_parameter_groups", groups, {"CacheParameterGroupName": "mygroup"})
    with pytest.raises(CheckFailed, match=r"mygroup has family redis5\.0; the lab expects one of redis7, valkey7"):
        run(solved, clients=clients, parameter_group_families=["redis7", "valkey7"])


def test_a_change_still_applying_is_pending(solved):
    clients = StubbedClients()
    clusters, pages = documents(policy="allkeys-lru", apply_status="applying")
    stub(clients, clusters, pages)
    with pytest.raises(CheckPending, match="the nodes are still applying; expected in-sync"):
        run(solved, clients=clients)


def test_fails_when_the_parameter_group_does_not_exist(solved):
    """No hint is run: AWS's documented answers, stubbed; the sandbox's parameter group misses run their hints above."""
    clients = StubbedClients()
    clusters, _pages = documents()
    stub(clients, clusters)
    clients.add_error(
        "elasticache",
        "describe_cache_parameter_groups",
        "CacheParameterGroupNotFound",
        {"CacheParameterGroupName": "mygroup"},
    )
    with pytest.raises(
        CheckFailed, match="Cache parameter group mygroup \\(named by the replication group's nodes\\) was not"
    ):
        run(solved, clients=clients)


def test_access_denied_is_an_error_not_a_fail(solved, tmp_path):
    from labgrader.engine.errors import classify

    clients = StubbedClients()
    clients.add_error(
        "elasticache", "describe_replication_groups", "AccessDenied", {"ReplicationGroupId": "my-cluster"}
    )
    with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever botocore raises, classify must say "error"
        run(solved, clients=clients)
    verdict = classify(raised.value)
    assert verdict.status == "error"
    assert "AWS denied the grader DescribeReplicationGroups (AccessDenied)" in verdict.message
