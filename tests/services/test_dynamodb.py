"""labgrader.services.dynamodb.evaluation: API answers shaped like the AWS API reference in, findings out (no
endpoint)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from labgrader import paths
from labgrader.dataset import expected_table
from labgrader.services.dynamodb import evaluation as ev
from labgrader.services.dynamodb import scratch as dynamodb_scratch
from labgrader.spec import CapacitySpec, KeyAttribute, load_spec
from tests.checks.dynamodb import aws_answers


@pytest.fixture(scope="module")
def spec():
    return load_spec(paths.default_lab_spec()).dynamodb


def test_key_schema_matches_the_reference_answer(spec):
    assert ev.key_schema_mismatches(aws_answers.describe_table(), spec) == []
    assert ev.actual_keys(aws_answers.describe_table()) == (ev.TableKey("category", "S"), ev.TableKey("sku", "S"))


def test_index_finding_ok_missing_mismatch_pending(spec):
    table = aws_answers.describe_table()
    gsi, lsi = spec.gsi[0], spec.lsi[0]
    assert ev.index_finding(table, spec, gsi, "GSI").state == "ok"
    assert ev.index_finding(table, spec, lsi, "LSI").state == "ok"
    assert ev.index_finding(table, spec, gsi, "LSI").state == "missing"
    assert ev.index_finding(aws_answers.gsi_being_created(backfilling=True), spec, gsi, "GSI").state == "pending"
    assert ev.index_finding(aws_answers.gsi_being_created(backfilling=False), spec, gsi, "GSI").state == "pending"
    table["GlobalSecondaryIndexes"][0]["IndexStatus"] = "DELETING"
    deleting = ev.index_finding(table, spec, gsi, "GSI")
    assert (deleting.state, deleting.problems) == ("mismatch", ("it is being deleted",))


def test_an_index_with_a_wrong_key_type_names_it(spec):
    table = aws_answers.describe_table()
    table["AttributeDefinitions"] = [
        {**a, "AttributeType": "S"} if a["AttributeName"] == "price" else a for a in table["AttributeDefinitions"]
    ]
    finding = ev.index_finding(table, spec, spec.gsi[0], "GSI")
    assert finding.problems == ("sort key price has type S, expected N",)


def test_a_gsi_made_as_lsi_is_reported_as_the_other_kind(spec):
    table = aws_answers.describe_table()
    table["LocalSecondaryIndexes"][0]["IndexName"] = "brand-price-index"
    missing = ev.index_finding({**table, "GlobalSecondaryIndexes": []}, spec, spec.gsi[0], "GSI")
    assert missing.state == "missing"
    assert missing.other_kind


def test_lsi_without_partition_key_in_spec_uses_the_table_s(spec):
    assert ev.expected_index(spec, spec.lsi[0]) == "category (S) HASH, rating (N) RANGE, projection ALL"


@pytest.mark.parametrize(
    ("table", "mode", "ok"),
    [
        (aws_answers.describe_table(), "PAY_PER_REQUEST", True),
        (aws_answers.provisioned_without_billing_summary(25, 25, (0, 0)), "PROVISIONED", False),  # GSI at 0
        (aws_answers.provisioned_without_billing_summary(20, 5, (5, 5)), "PROVISIONED", True),
        (aws_answers.provisioned_without_billing_summary(21, 5, (5, 5)), "PROVISIONED", False),
        (aws_answers.provisioned_without_billing_summary(1, 1, (1, 1)), "PROVISIONED", True),
    ],
)
def test_capacity_finding(table, mode, ok):
    finding = ev.capacity_finding(table, CapacitySpec())
    assert finding.mode == mode
    assert (finding.problems == ()) is ok, finding.problems


def test_capacity_bounds_are_the_spec_s():
    table = aws_answers.provisioned_without_billing_summary(8, 8, (2, 2))
    finding = ev.capacity_finding(table, CapacitySpec(min_units=3, max_read_units=9, max_write_units=50))
    assert finding.problems == (
        "GSI brand-price-index has 2 RCU, below the lab's minimum of 3",
        "GSI brand-price-index has 2 WCU, below the lab's minimum of 3",
        "table 8/8 + GSI brand-price-index 2/2 provisions 10 RCU in total, above the lab's 9",
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"N": "2051308800"}, None),
        ({"N": "1700000000.5"}, None),
        ({"S": "2051308800"}, "a String ('2051308800')"),
        ({"N": "2051308800000"}, "2051308800000, which looks like epoch milliseconds, not seconds"),
        ({"N": "3600"}, "3600, which is not an epoch time in seconds"),
        ({"BOOL": True}, "a Boolean (True)"),
    ],
)
def test_epoch_seconds(value, problem):
    assert ev.epoch_seconds_problem(value) == problem


def test_item_type_problems_name_each_attribute():
    items = [
        {"category": {"S": "books"}, "sku": {"S": "BK-1"}, "price": {"N": "1"}, "stock": {"S": "3"}},
        {"category": {"S": "books"}, "sku": {"S": "BK-2"}, "price": {"N": "1"}, "stock": {"N": "3"}},
    ]
    problems = ev.item_type_problems(items, {"price": "N", "stock": "N", "name": "S"}, ["category", "sku"])
    assert problems == {
        ("books", "BK-1"): ["stock is a String, expected a Number", "name missing"],
        ("books", "BK-2"): ["name missing"],
    }


def test_scratch_items_of_any_run_are_left_out():
    items = [{"category": {"S": "__labgrader__abcd1234#x"}}, {"category": {"S": "books"}}, {"category": {"N": "1"}}]
    assert dynamodb_scratch.without_scratch(items, "category") == items[1:]


def test_exercise_mismatches(spec):
    bk7, gm13 = ("books", "BK-0007"), ("games", "GM-0013")
    updated = {bk7: {"price": Decimal("24.99")}}
    assert ev.exercise_mismatches(spec, {bk7: {"price": Decimal("24.990")}, gm13: None}, updated, [gm13]) == []
    assert ev.exercise_mismatches(spec, {bk7: {"price": "24.99"}, gm13: {"sku": "GM-0013"}}, updated, [gm13]) == [
        "books/BK-0007 has price '24.99' (a String), expected 24.99",
        "games/GM-0013 still exists, expected it deleted",
    ]
    assert ev.exercise_mismatches(spec, {bk7: None, gm13: None}, updated, [gm13]) == [
        "books/BK-0007 is missing, expected it with price 24.99"
    ]


def test_between_query_predicts_the_middle_third_in_order(spec):
    expected = expected_table(spec)
    query = ev.between_query(
        expected, partition_name="category", partition_value="games", sort_name="sku", key_names=["category", "sku"],
        ignored=set(),
    )  # fmt: skip
    # games has 24 items after the exercises (GM-0013 deleted): the middle third is the 9th to the 16th.
    assert (query.low, query.high) == ("GM-0009", "GM-0017")
    assert [k[1] for k in query.expected] == [f"GM-{n:04d}" for n in range(9, 18) if n != 13]


def test_sort_tokens_order_like_dynamodb():
    assert ev.is_ascending([Decimal("2"), Decimal("10")])
    assert not ev.is_ascending(["b", "a"])
    assert ev.is_ascending(["Z", "a"])  # by UTF-8 bytes, as DynamoDB orders String keys


def test_key_set_difference_ignores_exercise_keys():
    missing, unexpected = ev.key_set_difference([("a", 1), ("x", 9)], [("a", 1), ("b", 2)], ignored={("x", 9)})
    assert (missing, unexpected) == ({("b", 2)}, set())


def test_scratch_item_shape(spec):
    item = dynamodb_scratch.scratch_item(spec, "__labgrader__r#c", 3, 2000000000)
    assert item["category"] == {"S": "__labgrader__r#c"}
    assert item["sku"] == {"S": "item-0003"}
    assert item["brand"] == {"S": "__labgrader__r#c"}  # no dataset or index query can match it
    assert item["price"] == {"N": "-3"}
    assert item["expires_at"] == {"N": "2000000000"}
    assert set(item) == {"category", "sku", "name", "brand", "price", "rating", "stock", "expires_at"}


def test_scratch_item_for_a_numeric_sort_key(spec):
    numeric = spec.model_copy(
        update={"sort_key": KeyAttribute(name="sku", type="N"), "gsi": [], "lsi": [], "dataset": None, "ttl": None}
    )
    assert dynamodb_scratch.scratch_item(numeric, "__labgrader__r#c", 2, 0) == {
        "category": {"S": "__labgrader__r#c"},
        "sku": {"N": "2"},
    }


@pytest.mark.parametrize(
    ("view_type", "problems"),
    [
        ("NEW_AND_OLD_IMAGES", []),
        ("NEW_IMAGE", ["it carries a OldImage, which NEW_IMAGE does not"]),
        (
            "KEYS_ONLY",
            ["it carries a NewImage, which KEYS_ONLY does not", "it carries a OldImage, which KEYS_ONLY does not"],
        ),
    ],
)
def test_stream_record_problems_against_a_new_and_old_images_record(view_type, problems):
    keys = {"category": {"S": "c"}, "sku": {"S": "s"}}
    new, old = {**keys, "p": {"N": "2"}}, {**keys, "p": {"N": "1"}}
    record = {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": keys, "NewImage": new, "OldImage": old, "SequenceNumber": "1", "SizeBytes": 40},
    }
    assert ev.stream_record_problems(record, view_type, keys, new, old) == problems


def test_stream_record_problems_name_a_different_image():
    keys = {"k": {"S": "1"}}
    record = {"dynamodb": {"Keys": keys, "NewImage": {"k": {"S": "1"}}, "StreamViewType": "NEW_IMAGE"}}
    assert ev.stream_record_problems(record, "NEW_IMAGE", keys, {"k": {"S": "1"}, "p": {"N": "1"}}, None) == [
        "its NewImage differs from the item written"
    ]


def test_near_matches():
    assert ev.near_matches("LabProducts", ["labproducts", "LabProduct", "Other"]) == ["labproducts", "LabProduct"]
