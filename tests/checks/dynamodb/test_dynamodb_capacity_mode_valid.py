from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.spec import CapacitySpec
from tests.checks.dynamodb import aws_answers
from tests.conftest import load_check, replace_section

CHECK = "dynamodb_capacity_mode_valid"
pytestmark = pytest.mark.sandbox


def provision(client, table: str, read: int, write: int, gsi: tuple[int, int] | None = None) -> None:
    """Switch the table to provisioned capacity, as `aws dynamodb update-table --billing-mode PROVISIONED` does."""
    updates = []
    if gsi is not None:
        updates = [
            {
                "Update": {
                    "IndexName": "brand-price-index",
                    "ProvisionedThroughput": {"ReadCapacityUnits": gsi[0], "WriteCapacityUnits": gsi[1]},
                }
            }
        ]
    client.update_table(
        TableName=table,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write},
        **({"GlobalSecondaryIndexUpdates": updates} if updates else {}),
    )


def test_passes_on_demand_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "PAY_PER_REQUEST (on-demand)" in result.message


def test_passes_provisioned_within_the_free_tier(local_target, lab_table, ddb_client, grade):
    spec = lab_table(data=False)
    provision(ddb_client, spec.dynamodb.table, 10, 10, gsi=(10, 10))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert "table 10/10 + GSI brand-price-index 10/10 = 20/20" in result.message


def test_fails_on_too_much_provisioned_capacity_and_its_hint_fixes_it(
    local_target, lab_table, ddb_client, grade, run_fix
):
    spec = lab_table(data=False)
    provision(ddb_client, spec.dynamodb.table, 30, 5, gsi=(5, 5))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "provisions 35 RCU in total, above the lab's 25" in result.message
    assert result.hint_commands == [
        f"aws dynamodb update-table --table-name {spec.dynamodb.table} --billing-mode PAY_PER_REQUEST",
        f"aws dynamodb wait table-exists --table-name {spec.dynamodb.table}",
    ]
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_gsi_pushes_the_total_over(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table(data=False)
    provision(ddb_client, spec.dynamodb.table, 20, 20, gsi=(10, 1))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "table 20/20 + GSI brand-price-index 10/1 provisions 30 RCU in total, above the lab's 25" in result.message
    assert "WCU" not in result.message.split("; ")[0] or "21 WCU" not in result.message
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_on_provisioned_when_the_lab_wants_on_demand(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table(data=False)
    spec = replace_section(spec, "dynamodb", capacity=CapacitySpec(modes=["PAY_PER_REQUEST"]))
    provision(ddb_client, spec.dynamodb.table, 5, 5, gsi=(5, 5))
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "billing mode is PROVISIONED, expected PAY_PER_REQUEST" in result.message
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_the_provisioned_hint_fits_when_on_demand_is_not_allowed(local_target, lab_table, ddb_client, grade, run_fix):
    spec = lab_table(data=False)
    spec = replace_section(
        spec, "dynamodb", capacity=CapacitySpec(modes=["PROVISIONED"], max_read_units=10, max_write_units=10)
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "billing mode is PAY_PER_REQUEST, expected PROVISIONED" in result.message
    assert "--billing-mode PROVISIONED --provisioned-throughput ReadCapacityUnits=5,WriteCapacityUnits=5" in result.hint
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_a_missing_billing_mode_summary_means_provisioned(solved):
    check = load_check(CHECK)
    check(ddb=solved.dynamodb, table=aws_answers.provisioned_without_billing_summary(10, 10, (5, 5)))  # passes
    with pytest.raises(CheckFailed, match="provisions 30 RCU in total"):
        check(ddb=solved.dynamodb, table=aws_answers.provisioned_without_billing_summary(25, 10, (5, 5)))
    on_demand_only = replace_section(solved, "dynamodb", capacity=CapacitySpec(modes=["PAY_PER_REQUEST"]))
    with pytest.raises(CheckFailed, match="billing mode is PROVISIONED"):
        check(ddb=on_demand_only.dynamodb, table=aws_answers.provisioned_without_billing_summary(1, 1, (1, 1)))


def test_an_updating_table_is_pending_while_its_capacity_is_off(solved):
    table = aws_answers.provisioned_without_billing_summary(100, 100, (5, 5))
    table["TableStatus"] = "UPDATING"
    with pytest.raises(CheckPending, match="is UPDATING"):
        load_check(CHECK)(ddb=solved.dynamodb, table=table)
