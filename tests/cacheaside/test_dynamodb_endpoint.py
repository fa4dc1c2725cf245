"""DynamoDB calls are counted at the grader's endpoint, outside the student's process, whatever way the module
makes its clients; the endpoint re-signs with the grader's credentials and forwards nothing but the lab's table."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.credentials import ReadOnlyCredentials

from labgrader.cacheaside.harness import module_environment
from labgrader.cacheaside.protocol import ScenarioRequest, call
from labgrader.cacheaside.proxy import DynamoDBProxy, throwaway_credentials
from labgrader.cacheaside.runner import ScenarioRunner

pytestmark = pytest.mark.sandbox

KEY = "{'category': category, 'sku': sku}"
LOW_KEY = "{'category': {'S': category}, 'sku': {'S': sku}}"
STYLES = {
    "client-at-import": (
        f"""
        import boto3, os
        client = boto3.client("dynamodb")
        def get_product(category, sku):
            return client.get_item(TableName=os.environ["LAB_TABLE"], Key={LOW_KEY}).get("Item")
        """,
        ["GetItem"],
    ),
    "resource-per-call": (
        f"""
        import boto3, os
        def get_product(category, sku):
            return boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"]).get_item(Key={KEY}).get("Item")
        """,
        ["GetItem"],
    ),
    "own-session": (
        f"""
        import boto3, os
        def get_product(category, sku):
            table = boto3.Session().resource("dynamodb").Table(os.environ["LAB_TABLE"])
            return table.get_item(Key={KEY}).get("Item")
        """,
        ["GetItem"],
    ),
    "botocore-session": (
        f"""
        import botocore.session, os
        client = botocore.session.get_session().create_client("dynamodb")
        def get_product(category, sku):
            return client.get_item(TableName=os.environ["LAB_TABLE"], Key={LOW_KEY}).get("Item")
        """,
        ["GetItem"],
    ),
    "query": (
        """
        import boto3, os
        from boto3.dynamodb.conditions import Key
        table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])
        def get_product(category, sku):
            items = table.query(KeyConditionExpression=Key("category").eq(category) & Key("sku").eq(sku))["Items"]
            return items[0] if items else None
        """,
        ["Query"],
    ),
    "scan": (
        """
        import boto3, os
        from boto3.dynamodb.conditions import Attr
        table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])
        def get_product(category, sku):
            items = table.scan(FilterExpression=Attr("sku").eq(sku))["Items"]
            return items[0] if items else None
        """,
        ["Scan"],
    ),
    "batch-get": (
        f"""
        import boto3, os
        resource = boto3.resource("dynamodb")
        def get_product(category, sku):
            table = os.environ["LAB_TABLE"]
            return resource.batch_get_item(RequestItems={{table: {{"Keys": [{KEY}]}}}})["Responses"][table][0]
        """,
        ["BatchGetItem"],
    ),
    "partiql-select": (
        """
        import boto3, os
        client = boto3.client("dynamodb")
        def get_product(category, sku):
            statement = f'SELECT * FROM "{os.environ["LAB_TABLE"]}" WHERE category = ? AND sku = ?'
            items = client.execute_statement(Statement=statement, Parameters=[{"S": category}, {"S": sku}])["Items"]
            return items[0] if items else None
        """,
        ["ExecuteStatement"],
    ),
    "thread-pool": (
        f"""
        import boto3, os
        from concurrent.futures import ThreadPoolExecutor
        table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])
        def get_product(category, sku):
            with ThreadPoolExecutor(2) as pool:
                return pool.submit(lambda: table.get_item(Key={KEY}).get("Item")).result()
        """,
        ["GetItem"],
    ),
    "import-time-read-not-counted": (
        f"""
        import boto3, os
        table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])
        WARM = table.get_item(Key={{"category": "books", "sku": "BK-0001"}})
        table.load()  # DescribeTable, not a read of data
        def get_product(category, sku):
            return table.get_item(Key={KEY}).get("Item")
        """,
        ["GetItem"],
    ),
    "writes-are-not-reads": (
        """
        import boto3, os
        table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])
        def get_product(category, sku):
            key = {"category": "__labgrader__endpoint", "sku": sku}
            table.put_item(Item={**key, "name": "x"})
            table.delete_item(Key=key)
            return {"category": category, "sku": sku}
        """,
        [],
    ),
}


@pytest.fixture(scope="module")
def runner() -> Iterator[ScenarioRunner]:
    scenario_runner = ScenarioRunner()
    yield scenario_runner
    scenario_runner.close()


@pytest.fixture(scope="module")
def endpoint(local_target) -> Iterator[DynamoDBProxy]:
    key, secret = local_target.static_credentials
    proxy = DynamoDBProxy(
        local_target.endpoint_url, local_target.region, lambda: ReadOnlyCredentials(key, secret, None), "LabProducts"
    )
    yield proxy
    proxy.close()


@pytest.fixture
def run_module(runner, endpoint, local_target, tmp_path: Path):
    """run_module(source, table=...): the outcome of get_product('books', 'BK-0003') on a module from `source`."""

    def run(source: str, table: str = "LabProducts"):
        return _run(runner, endpoint, local_target, tmp_path / "products.py", source=source, table=table)

    return run


def _run(runner, endpoint, target, path: Path, *, source: str, table: str):
    path.write_text(textwrap.dedent(source) + "\ndef update_product(category, sku, changes):\n    pass\n", "utf-8")
    env = module_environment(target, table, target.redis_url, endpoint.url, throwaway_credentials())
    request = ScenarioRequest(
        module=str(path), env=env, steps=[call("get_product", "books", "BK-0003")], timeout_s=10, dynamodb=endpoint
    )
    return runner.run(request)


@pytest.mark.parametrize("style", list(STYLES))
def test_reads_are_counted_however_the_module_makes_its_clients(style, solved, run_module):
    source, reads = STYLES[style]
    outcome = run_module(source, solved.dynamodb.table)
    assert outcome.status == "ok", outcome.error
    (step,) = outcome.steps
    assert list(step.reads) == reads
    if reads:
        assert step.value["sku"] in ("BK-0003", {"S": "BK-0003"})  # low-level clients answer in DynamoDB JSON
    if style == "writes-are-not-reads":
        assert list(step.operations) == ["PutItem", "DeleteItem"]


def test_the_module_holds_no_working_credentials_and_only_the_lab_table_is_served(run_module, endpoint):
    outcome = run_module(
        """
        import boto3, os
        def get_product(category, sku):
            client = boto3.client("dynamodb")
            answers = {"key": os.environ["AWS_ACCESS_KEY_ID"], "endpoint": os.environ["AWS_ENDPOINT_URL"]}
            for name, call in {
                "list_tables": lambda: client.list_tables(),
                "other_table": lambda: client.get_item(TableName="Other", Key={"k": {"S": "x"}}),
                "delete_table": lambda: client.delete_table(TableName=os.environ["LAB_TABLE"]),
            }.items():
                try:
                    call()
                    answers[name] = "allowed"
                except Exception as exc:
                    answers[name] = type(exc).__name__ + ": " + str(exc)
            return answers
        """,
    )
    assert outcome.status == "ok", outcome.error
    answers = outcome.steps[0].value
    assert answers["key"].startswith("LGTHROWAWAY")  # never the grader's (sandbox or AWS) key
    assert answers["endpoint"] == endpoint.url
    for name in ("list_tables", "other_table", "delete_table"):
        assert "AccessDeniedException" in answers[name], answers
    assert "only" in answers["delete_table"]
