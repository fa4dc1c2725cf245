"""The grader's DynamoDB endpoint without DynamoDB: a fake upstream records what reaches it. The student's
throwaway keys never leave the machine; what is forwarded is signed with the grader's own credentials."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials

from labgrader.cacheaside.proxy import DynamoDBProxy, throwaway_credentials

GRADER = ReadOnlyCredentials("AKIAGRADERKEY0000000", "grader-secret", "grader-session-token")


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Upstream(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"headers": dict(self.headers.items()), "body": json.loads(body)})
            answer = json.dumps({"Item": {"category": {"S": "books"}, "sku": {"S": "BK-1"}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_calls_are_counted_and_forwarded_signed_with_the_graders_credentials(upstream):
    url, seen = upstream
    proxy = DynamoDBProxy(url, "eu-west-1", lambda: GRADER, "LabProducts")
    key, secret = throwaway_credentials()
    try:
        client = boto3.client(
            "dynamodb",
            region_name="eu-west-1",
            endpoint_url=proxy.url,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )
        item = client.get_item(TableName="LabProducts", Key={"category": {"S": "books"}, "sku": {"S": "BK-1"}})
        client.get_item(TableName="LabProducts", Key={"category": {"S": "books"}, "sku": {"S": "BK-1"}})
    finally:
        proxy.close()
    assert item["Item"]["sku"] == {"S": "BK-1"}
    assert [(c.operation, c.read) for c in proxy.calls] == [("GetItem", True), ("GetItem", True)]
    headers = seen[0]["headers"]
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAGRADERKEY0000000/")
    assert "/eu-west-1/dynamodb/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "grader-session-token"
    assert headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert not any(key in value or secret in value for value in headers.values())
    assert seen[0]["body"]["TableName"] == "LabProducts"


def test_only_item_operations_on_the_lab_table_are_forwarded(upstream):
    url, seen = upstream
    proxy = DynamoDBProxy(url, "eu-west-1", lambda: GRADER, "LabProducts")
    key, secret = throwaway_credentials()
    client = boto3.client(
        "dynamodb", region_name="eu-west-1", endpoint_url=proxy.url, aws_access_key_id=key, aws_secret_access_key=secret
    )
    refused = []
    try:
        for call in (
            lambda: client.delete_table(TableName="LabProducts"),
            client.list_tables,
            lambda: client.get_item(TableName="Grades", Key={"k": {"S": "x"}}),
            lambda: client.batch_get_item(RequestItems={"Grades": {"Keys": [{"k": {"S": "x"}}]}}),
        ):
            with pytest.raises(client.exceptions.ClientError) as error:
                call()
            refused.append(error.value.response["Error"]["Code"])
    finally:
        proxy.close()
    assert refused == ["AccessDeniedException"] * 4
    assert seen == []  # nothing reached DynamoDB
    assert proxy.calls == []


@pytest.mark.parametrize(
    ("statement", "forwarded"),
    [
        ('SELECT * FROM "LabProducts" WHERE category = ? AND sku = ?', True),
        ('SELECT * FROM "LabProducts"."category-index" WHERE category = ?', True),
        ("select * from LabProducts where category = ?", True),
        ("SELECT * FROM LabProducts.byCategory WHERE category = ?", True),
        ("UPDATE \"LabProducts\" SET price = 5 WHERE category = 'a' AND sku = 'b'", True),
        ("INSERT INTO \"LabProducts\" VALUE {'category': 'a', 'sku': 'b'}", True),
        ('SELECT * FROM "Grades"', False),
        ("DELETE FROM Grades WHERE k = 'x'", False),
        ('SELECT * FROM "LabProducts""x"', False),  # a table named LabProducts"x (a quoted quote)
        ("EXISTS(SELECT 1)", False),  # no table labgrader can read: refused rather than guessed
    ],
)
def test_a_partiql_statement_is_forwarded_only_on_the_lab_table(upstream, statement: str, forwarded: bool):
    url, seen = upstream
    proxy = DynamoDBProxy(url, "eu-west-1", lambda: GRADER, "LabProducts")
    key, secret = throwaway_credentials()
    client = boto3.client(
        "dynamodb",
        region_name="eu-west-1",
        endpoint_url=proxy.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )
    try:
        for send in (
            lambda: client.execute_statement(Statement=statement),
            lambda: client.batch_execute_statement(Statements=[{"Statement": statement}]),
            lambda: client.execute_transaction(TransactStatements=[{"Statement": statement}]),
        ):
            if forwarded:
                send()
            else:
                with pytest.raises(client.exceptions.ClientError) as error:
                    send()
                assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    finally:
        proxy.close()
    assert len(seen) == (3 if forwarded else 0)
