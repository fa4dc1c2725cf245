from __future__ import annotations

import pytest

from labgrader.dataset import expected_table
from labgrader.engine.verdict import CheckFailed, CouldNotLook
from labgrader.services.dynamodb.evaluation import TableAsItIs
from tests.checks.dynamodb import aws_answers
from tests.checks.dynamodb.helpers import Wrapped, dataset_items, fill
from tests.conftest import load_check

CHECK = "dynamodb_scan_filter_projection"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(solved, local_target, grade):
    result = grade(solved, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.points == 2
    assert "Scan filtered on stock < 268 returned Count 49 of ScannedCount" in result.message
    assert "with only category, sku, stock, name, consumed capacity reported" in result.message
    assert result.evidence["observed"]["Count"] == 49


def test_judges_half_the_dataset_on_the_items_there(local_target, lab_table, ddb_client, grade):
    """The missing half is dynamodb_dataset_imported's to fail, once: the Scan is judged on the 49 items there."""
    spec = lab_table(dataset=None, exercises=None)
    fill(ddb_client, spec, dataset_items(spec)[:50])
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "pass", result.message
    assert result.evidence["observed"]["ScannedCount"] == 49


def test_fails_naming_the_prerequisite_when_no_item_has_the_lab_s_types(local_target, lab_table, ddb_client, grade):
    """Hint not run here: a lab without a dataset file prints the check's default note, and the items' types are
    dynamodb_items_well_formed's to fix (its commands are run as printed in test_dynamodb_items_well_formed.py)."""
    spec = lab_table(dataset=None, exercises=None)
    items = dataset_items(spec)
    for item in items:
        item["stock"] = {"S": item["stock"]["N"]}
    fill(ddb_client, spec, items)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert "holds no item of the lab's shape (99 other item(s))" in result.message
    assert "(prerequisite: dynamodb_items_well_formed)" in result.message


def test_fails_when_attributes_outside_the_projection_come_back(solved, ddb_client):
    """An answer carrying more than ProjectionExpression asked for (AWS and the sandbox never do; the check would
    notice). No hint is run: the fault is in edited API answers, there is no sandbox state a command could fix."""

    def scan_unprojected(client, **kwargs):
        kwargs.pop("ProjectionExpression")
        names = kwargs["ExpressionAttributeNames"]
        kwargs["ExpressionAttributeNames"] = {k: v for k, v in names.items() if k in ("#f", "#scratchpk")}
        return client.scan(**kwargs)

    class Paginated(Wrapped):
        def get_paginator(self, name):
            assert name == "scan"
            outer = self

            class Pages:
                def paginate(self, **kwargs):
                    yield scan_unprojected(outer._client, **kwargs)

            return Pages()

    with pytest.raises(CheckFailed, match="attributes outside the projection \\(brand, expires_at, price, rating\\)"):
        load_check(CHECK)(
            dataset_spec=solved.dynamodb.dataset,
            ddb=solved.dynamodb,
            table=aws_answers.describe_table(),
            dynamodb=Paginated(ddb_client),
            items_as_they_are=TableAsItIs(tuple(solved.dynamodb.key_names), expected_table(solved.dynamodb)),
        )


def test_an_answer_without_consumed_capacity_is_an_error_not_a_fail(solved, ddb_client):
    class NoCapacity(Wrapped):
        def get_paginator(self, name):
            pages = self._client.get_paginator(name)

            class Pages:
                def paginate(self, **kwargs):
                    for page in pages.paginate(**kwargs):
                        page.pop("ConsumedCapacity", None)
                        yield page

            return Pages()

    with pytest.raises(CouldNotLook, match="without the ConsumedCapacity"):
        load_check(CHECK)(
            dataset_spec=solved.dynamodb.dataset,
            ddb=solved.dynamodb,
            table=aws_answers.describe_table(),
            dynamodb=NoCapacity(ddb_client),
            items_as_they_are=TableAsItIs(tuple(solved.dynamodb.key_names), expected_table(solved.dynamodb)),
        )
