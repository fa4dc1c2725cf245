from __future__ import annotations

import pytest

from labgrader.cleanup.model import Cost, Inventory, Leftover
from labgrader.engine.verdict import CheckPending
from tests.conftest import load_check

CHECK = "cleanup_no_billable_leftovers"
pytestmark = pytest.mark.sandbox


def test_passes_once_the_reference_cleanup_ran(scenario):
    cleaned = scenario("cleaned")
    result = cleaned.run.get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == result.max_points == 2
    assert result.message.startswith(f"Nothing of lab {cleaned.spec.lab.name} bills any more in us-east-1.")


def test_passes_when_only_free_leftovers_are_left(scenario):
    result = scenario("security_groups").run.get(CHECK)
    assert result.status == "pass", result.message
    assert "the 2 leftover(s) still there cost nothing" in result.message


def test_fails_on_a_running_replication_group_with_its_monthly_cost(scenario):
    """Its hint is the command cleanup_elasticache_deleted prints on the same scenario (asserted), run as printed by
    test_fails_when_the_replication_group_is_left; not run twice."""
    left = scenario("replication_group")
    result = left.run.get(CHECK)
    group = left.facts["group"]
    assert result.status == "fail"
    assert result.message == (
        f"Leftovers of lab {left.spec.lab.name} still bill about $23.36/month ($0.032/hour): replication group "
        f"{group} in us-east-1 $23.36/month; expected nothing billable."
    )
    assert result.hint == f"aws elasticache delete-replication-group --replication-group-id {group} --region us-east-1"
    assert result.evidence["monthly_usd"] == pytest.approx(23.36)
    assert result.hint_commands == left.run.get("cleanup_elasticache_deleted").hint_commands


def test_fails_on_a_snapshot_left_after_its_group(scenario):
    """Its hint (delete-snapshot) is not run here: test_fails_when_the_snapshot_outlives_its_group runs it as printed
    on the same scenario; a second copy of the scenario costs ~2 s of the suite's budget."""
    left = scenario("snapshot")
    result = left.run.get(CHECK)
    assert result.hint_commands == left.run.get("cleanup_elasticache_snapshots_deleted").hint_commands
    assert result.status == "fail"
    assert "about $0.04/month" in result.message  # size not reported by moto: bounded by the 0.5 GiB of t4g.micro
    basis = result.evidence["leftovers"][0]["cost"]["basis"]
    assert basis == "size not reported: at most 0.5 GB (cache.t4g.micro memory) at $0.085/GB-month"


def test_fails_on_a_backup_left_after_its_table(scenario):
    """Its hint (delete-backup) is not run here: test_fails_when_a_backup_outlives_its_table runs it as printed on the
    same scenario; a second copy of the scenario costs ~2 s of the suite's budget."""
    left = scenario("backup")
    result = left.run.get(CHECK)
    assert result.hint_commands == left.run.get("cleanup_dynamodb_tables_deleted").hint_commands
    assert result.status == "fail"
    assert "about <$0.01/month" in result.message


def test_a_node_type_missing_from_the_price_table_fails_as_unknown_price(scenario):
    """Its hint is not run here: it is the delete-replication-group command that
    test_fails_on_a_running_replication_group_with_its_monthly_cost runs (only the node type differs), and each run
    costs a second of the suite's budget."""
    result = scenario("unknown_price").run.get(CHECK)
    assert result.status == "fail"
    assert "plus 1 of unknown price" in result.message
    cost = result.evidence["leftovers"][0]["cost"]
    assert "unknown price" in cost["basis"]
    assert cost["monthly_usd"] is None  # never 0


def test_a_group_still_deleting_is_pending():
    group = Leftover(
        "elasticache_replication_group",
        "lab-redis",
        "us-east-1",
        "deleting",
        "named in the lab spec",
        cost=Cost(0.032, 23.36, "2 x cache.t4g.micro"),
    )
    inventory = Inventory("week8", ("lab", "week8"), ("us-east-1",), leftovers=[group])
    with pytest.raises(CheckPending, match=r"bill about \$23.36/month until AWS finishes"):
        load_check(CHECK)(cleanup_inventory=inventory)


def test_errors_when_the_endpoint_is_down(unreachable_run):
    result = unreachable_run.get(CHECK)
    assert result.status == "error"
    assert "could not reach the AWS endpoint" in result.message
    assert unreachable_run.exit_code == 3
