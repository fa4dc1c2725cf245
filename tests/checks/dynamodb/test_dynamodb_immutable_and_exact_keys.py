"""Immutable properties and exact names, judged on AWS-shaped DescribeTable answers (tests/checks/dynamodb/
aws_answers.py): an LSI can never change, so a wrong one on a table still CREATING fails at once; key names are
compared exactly; a key attribute the answer gives no AttributeDefinition for has an unknown type, never an assumed
one."""

from __future__ import annotations

import pytest

from labgrader.engine.verdict import CheckFailed, CheckPending
from tests.checks.dynamodb import aws_answers
from tests.checks.elasticache.aws_docs import AWS_TARGET
from tests.conftest import load_check


def creating_table():
    table = aws_answers.describe_table()
    table["TableStatus"] = "CREATING"
    return table


def test_a_creating_table_with_the_lab_s_lsi_is_pending(week8):
    # The control: with the lab's LSI, CREATING is only not finished yet.
    with pytest.raises(CheckPending, match="is CREATING"):
        load_check("dynamodb_lsi_configured")(
            lsi_specs=week8.dynamodb.lsi, ddb=week8.dynamodb, existing_table=creating_table()
        )


def test_a_wrong_lsi_sort_key_on_a_creating_table_fails_at_once(week8):
    table = creating_table()
    table["AttributeDefinitions"].append({"AttributeName": "price", "AttributeType": "N"})
    table["LocalSecondaryIndexes"][0]["KeySchema"][1]["AttributeName"] = "price"
    with pytest.raises(CheckFailed) as failed:
        load_check("dynamodb_lsi_configured")(lsi_specs=week8.dynamodb.lsi, ddb=week8.dynamodb, existing_table=table)
    assert failed.value.status == "fail"
    assert failed.value.message.startswith("DynamoDB table LabProducts: LSI category-rating-index: ")
    assert "price" in failed.value.message


def test_a_wrong_lsi_projection_on_a_creating_table_fails_at_once(week8):
    table = creating_table()
    table["LocalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    with pytest.raises(CheckFailed) as failed:
        load_check("dynamodb_lsi_configured")(lsi_specs=week8.dynamodb.lsi, ddb=week8.dynamodb, existing_table=table)
    assert failed.value.status == "fail"
    assert "projection is KEYS_ONLY, expected ALL" in failed.value.message


def test_a_key_name_with_a_trailing_space_does_not_match(week8):
    table = aws_answers.describe_table()
    table["KeySchema"][1]["AttributeName"] = "sku "
    table["AttributeDefinitions"] = [
        {**d, "AttributeName": "sku "} if d["AttributeName"] == "sku" else d for d in table["AttributeDefinitions"]
    ]
    with pytest.raises(CheckFailed) as failed:
        load_check("dynamodb_table_keys_match")(table_description=table, ddb=week8.dynamodb, target=AWS_TARGET)
    assert failed.value.message == "DynamoDB table LabProducts: sort key is sku  (S), expected sku (S)."
    assert failed.value.evidence.observed == "partition category (S), sort sku  (S)"


def test_a_key_without_an_attribute_definition_has_an_unknown_type(week8):
    table = aws_answers.describe_table()
    table["AttributeDefinitions"] = [d for d in table["AttributeDefinitions"] if d["AttributeName"] != "sku"]
    with pytest.raises(CheckFailed) as failed:
        load_check("dynamodb_table_keys_match")(table_description=table, ddb=week8.dynamodb, target=AWS_TARGET)
    assert failed.value.message == (
        "DynamoDB table LabProducts: sort key sku has no attribute definition (type unknown), expected S."
    )
    assert failed.value.evidence.observed == (
        "partition category (S), sort sku (type unknown: no attribute definition)"
    )
