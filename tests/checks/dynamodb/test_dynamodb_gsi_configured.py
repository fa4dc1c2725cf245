from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from labgrader.spec import KeyAttribute, SecondaryIndex
from tests.checks.dynamodb import aws_answers
from tests.conftest import load_check

CHECK = "dynamodb_gsi_configured"
pytestmark = pytest.mark.sandbox

BRAND = KeyAttribute(name="brand", type="S")
PRICE = KeyAttribute(name="price", type="N")


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 3
    assert "brand-price-index (brand (S) HASH, price (N) RANGE, projection ALL, ACTIVE)" in result.message


def test_fails_when_the_gsi_is_missing_and_its_hint_fixes_it(local_target, lab_table, grade, run_fix):
    spec = lab_table(gsi=[])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "GSI brand-price-index is missing" in result.message
    assert result.hint.startswith(
        f"aws dynamodb update-table --table-name {spec.dynamodb.table} --attribute-definitions "
        "AttributeName=brand,AttributeType=S AttributeName=price,AttributeType=N --global-secondary-index-updates"
    )
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_on_the_wrong_projection_and_its_hint_replaces_the_index(local_target, lab_table, grade, run_fix):
    spec = lab_table(
        gsi=[SecondaryIndex(name="brand-price-index", partition_key=BRAND, sort_key=PRICE, projection="KEYS_ONLY")]
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "GSI brand-price-index: projection is KEYS_ONLY, expected ALL" in result.message
    assert '"Delete":{"IndexName":"brand-price-index"}' in result.hint_commands[0]
    assert result.hint_commands[1].startswith("until ")  # waits until the index is gone, then creates it again
    assert "cannot change" in result.hint_note
    run_fix(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_on_the_wrong_sort_key(local_target, lab_table, grade):
    """A mismatched GSI prints gsi_replace_hint of the lab's index, whatever differs: the commands
    test_fails_on_the_wrong_projection_and_its_hint_replaces_the_index runs as printed; not run again here."""
    rating = KeyAttribute(name="rating", type="N")
    spec = lab_table(gsi=[SecondaryIndex(name="brand-price-index", partition_key=BRAND, sort_key=rating)])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "GSI brand-price-index: sort key is rating (N), expected price (N)" in result.message


def test_fails_on_the_wrong_partition_key_type(local_target, lab_table, grade):
    """Its hint is gsi_replace_hint, as for the wrong projection (whose test runs it as printed). Run here too, it also
    fixed this table (brand N → S in AttributeDefinitions once the old index is gone), but it costs ~8 s of the suite
    (each GSI replacement polls describe-table through the aws CLI), so it is not kept."""
    spec = lab_table(
        data=False,
        gsi=[
            SecondaryIndex(name="brand-price-index", partition_key=KeyAttribute(name="brand", type="N"), sort_key=PRICE)
        ],
    )
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "partition key brand has type N, expected S" in result.message


def test_fails_on_a_gsi_under_another_name(local_target, lab_table, grade):
    """The lab's GSI is missing: its hint is gsi_create_commands, the commands
    test_fails_when_the_gsi_is_missing_and_its_hint_fixes_it runs as printed (the other index may stay: the check
    ignores it); not run again here."""
    spec = lab_table(gsi=[SecondaryIndex(name="brand-index", partition_key=BRAND, sort_key=PRICE)])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "GSI brand-price-index is missing" in result.message
    assert "brand-index" not in str(result.evidence["expected"])


def test_a_gsi_being_created_is_pending(solved):
    check = load_check(CHECK)
    with pytest.raises(CheckPending, match=r"GSI brand-price-index is .*CREATING"):
        check(
            gsi_specs=solved.dynamodb.gsi,
            ddb=solved.dynamodb,
            existing_table=aws_answers.gsi_being_created(backfilling=False),
        )


def test_a_backfilling_gsi_is_pending(solved):
    check = load_check(CHECK)
    with pytest.raises(CheckPending, match=r"CREATING \(backfilling\)"):
        check(
            gsi_specs=solved.dynamodb.gsi,
            ddb=solved.dynamodb,
            existing_table=aws_answers.gsi_being_created(backfilling=True),
        )


def test_a_gsi_being_created_with_the_wrong_projection_fails_at_once(solved):
    table = aws_answers.gsi_being_created(backfilling=True)
    table["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    check = load_check(CHECK)
    with pytest.raises(CheckFailed, match="projection is KEYS_ONLY, expected ALL"):
        check(gsi_specs=solved.dynamodb.gsi, ddb=solved.dynamodb, existing_table=table)


def test_the_create_hint_carries_throughput_on_a_provisioned_table(solved):
    table = aws_answers.provisioned_without_billing_summary(5, 5, (5, 5))
    del table["GlobalSecondaryIndexes"]
    check = load_check(CHECK)
    with pytest.raises(CheckFailed) as failed:
        check(gsi_specs=solved.dynamodb.gsi, ddb=solved.dynamodb, existing_table=table)
    assert '"ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}' in str(failed.value.hint)
