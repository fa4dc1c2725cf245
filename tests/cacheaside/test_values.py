"""The value codec between the scenario process and the grader, and the two comparisons the checks use."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labgrader.cacheaside.values import (
    Opaque,
    decode,
    describe,
    encode,
    fidelity_problems,
    item_difference,
    same_item,
)

ITEM = {
    "category": "books",
    "sku": "BK-0007",
    "name": "Primer 7",
    "price": Decimal("24.99"),
    "stock": Decimal("7"),
    "expires_at": Decimal("2051308800"),
}


def through_json(value: object) -> object:
    return decode(json.loads(json.dumps(encode(value))))


def test_an_item_crosses_with_its_types():
    value = {**ITEM, "tags": {"a", "b"}, "sizes": {Decimal("1"), Decimal("2.5")}, "blob": b"\x00\xff", "ok": True}
    back = through_json(value)
    assert back == value
    assert type(back["price"]) is Decimal
    assert type(back["blob"]) is bytes
    assert type(back["ok"]) is bool


@pytest.mark.parametrize(
    "value",
    [24.99, "24.99", 7, Decimal("7"), (1, "a"), [1.5, None], {1: "int key"}, float("inf")],
    ids=["float", "numeric-string", "int", "decimal", "tuple", "list", "int-keys", "inf"],
)
def test_scalars_and_containers_keep_their_type(value):
    back = through_json(value)
    assert back == value
    assert type(back) is type(value)


def test_a_boto3_binary_comes_back_as_bytes():
    assert through_json(Binary(b"abc")) == b"abc"


def test_an_unknown_object_comes_back_opaque():
    class Product:
        def __repr__(self) -> str:
            return "Product(BK-0007)"

    back = through_json({"item": Product()})
    assert back == {"item": Opaque("Product", "Product(BK-0007)")}


def test_a_repr_that_raises_is_still_carried():
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    back = through_json(Broken())
    assert isinstance(back, Opaque)
    assert "RuntimeError" in back.text


def test_nan_crosses_as_a_float():
    back = through_json(float("nan"))
    assert isinstance(back, float)
    assert math.isnan(back)


values = st.recursive(
    st.none()
    | st.booleans()
    | st.text(max_size=8)
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.floats(allow_nan=False)
    | st.binary(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a shared 2-core machine is slow at times
@given(values)
def test_any_value_round_trips_exactly(value):
    back = through_json(value)
    assert back == value
    assert repr(back) == repr(value)  # same types all the way down (Decimal('1') vs 1 vs 1.0 differ in repr)


def test_decode_refuses_what_encode_never_makes():
    with pytest.raises(ValueError, match="unknown value tag"):
        decode({"$nope": 1})
    with pytest.raises(TypeError, match="not an encoded value"):
        decode(object())


# --- same_item (loose) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "price", [Decimal("24.99"), "24.99", 24.99, Decimal("24.990")], ids=["decimal", "string", "float", "scale"]
)
def test_the_same_item_whatever_the_number_type(price):
    assert same_item({**ITEM, "price": price}, ITEM)


@pytest.mark.parametrize(
    ("returned", "phrase"),
    [
        (None, "returned None"),
        ([ITEM], "returned a list"),
        ({k: v for k, v in ITEM.items() if k != "price"}, "without attribute 'price'"),
        ({**ITEM, "cached_at": 1}, "with attribute 'cached_at', which DynamoDB does not hold"),
        ({**ITEM, "price": Decimal("19.49")}, "returned price=Decimal('19.49'), while DynamoDB holds Decimal('24.99')"),
        ({**ITEM, "price": "cheap"}, "returned price='cheap'"),
        ({**ITEM, "price": True}, "returned price=True"),
        ({**ITEM, "name": "Primer 8"}, "returned name='Primer 8'"),
    ],
    ids=["none", "list", "missing", "extra", "other-price", "not-a-number", "bool", "other-name"],
)
def test_item_difference_names_the_first_difference(returned, phrase):
    difference = item_difference(returned, ITEM)
    assert difference is not None
    assert phrase in difference


def test_sets_and_lists_compare_loosely():
    expected = {"sizes": {Decimal("1"), Decimal("2.5")}, "tags": ["a", "b"]}
    assert same_item({"sizes": ["2.5", 1], "tags": ("a", "b")}, expected)
    assert not same_item({"sizes": [1], "tags": ["a", "b"]}, expected)
    assert not same_item({"sizes": {Decimal("1"), Decimal("2.5")}, "tags": ["b", "a"]}, expected)


# --- fidelity_problems (strict, Decimal semantics) ---------------------------------------------------------------


def test_decimals_ints_and_exact_floats_round_trip():
    assert fidelity_problems(dict(ITEM), ITEM) == []
    assert fidelity_problems({**ITEM, "stock": 7, "expires_at": 2051308800.0}, ITEM) == []


def test_a_float_of_another_value_is_named_with_its_exact_value():
    problems = fidelity_problems({**ITEM, "price": 24.99}, ITEM)
    assert problems == ["price came back as the float 24.99 (exactly 24.989999999999998437…), not Decimal('24.99')"]


@pytest.mark.parametrize(
    ("price", "phrase"),
    [
        ("24.99", "price came back as str '24.99' instead of the number 24.99"),
        (True, "price came back as bool True"),
        (Decimal("25"), "price came back as Decimal Decimal('25') instead of 24.99"),
        (float("inf"), "price came back as the float inf"),
    ],
    ids=["string", "bool", "other-decimal", "inf"],
)
def test_numbers_that_do_not_round_trip(price, phrase):
    (problem,) = fidelity_problems({**ITEM, "price": price}, ITEM)
    assert phrase in problem


def test_problems_follow_the_items_own_order():
    as_strings = {k: str(v) for k, v in ITEM.items()}
    problems = fidelity_problems(as_strings, ITEM)
    assert [p.split(" ", 1)[0] for p in problems] == ["price", "stock", "expires_at"]


def test_strict_comparison_of_nested_values_and_sets():
    expected = {"sizes": {Decimal("1"), Decimal("2.5")}, "dims": [Decimal("1.5")], "meta": {"w": Decimal("2")}}
    assert fidelity_problems({"sizes": {1, Decimal("2.5")}, "dims": [Decimal("1.5")], "meta": {"w": 2}}, expected) == []
    problems = fidelity_problems({"sizes": ["1", "2.5"], "dims": [1.5], "meta": {"w": "2"}}, expected)
    assert problems == [
        "sizes came back as list instead of a set",
        "meta.w came back as str '2' instead of the number 2",
    ]
    sizes, dims, meta = fidelity_problems({"sizes": {"1", "2.5"}, "dims": ["1.5"], "meta": {}}, expected)
    assert sizes.startswith("sizes came back as {")  # a set of strings: set order varies between runs
    assert sizes.endswith("instead of " + describe(expected["sizes"], 60))
    assert dims == "dims[0] came back as str '1.5' instead of the number 1.5"
    assert meta == "meta.w is missing"


def test_missing_and_extra_attributes_are_named():
    expected = {"category": "books", "sku": "BK-0007", "price": Decimal("1")}
    problems = fidelity_problems({"category": "books", "sku": "BK-0007", "x": 1}, expected)
    assert problems == ["price is missing", "x is not in DynamoDB"]


def test_describe_truncates():
    assert describe("x" * 500, 20).endswith("…")
    assert len(describe("x" * 500, 20)) == 20
