"""The grader's DynamoDB endpoint in front of the real one: what the student's module calls, and where its calls
are counted.

The module gets `AWS_ENDPOINT_URL=http://127.0.0.1:<port>` and throwaway credentials that sign nothing anywhere
else. Each request is counted (its `X-Amz-Target` operation; a PartiQL statement is a read when it is a SELECT),
then signed again with the grader's own credentials (SigV4, botocore's signer) and forwarded over a pooled
connection: HTTPS to DynamoDB on AWS, the sandbox's endpoint locally. The grader's credentials never enter the
student's process, and the count is taken where the module cannot reach it.

Only DynamoDB's data-plane operations (and DescribeTable) on the lab's table are forwarded: the module holds the
grader's authority only for what the lab asks of it.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

TARGET_PREFIX = "DynamoDB_20120810."
# The data-plane reads of DynamoDB. PartiQL statements are reads when they are SELECTs.
READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
PARTIQL_OPERATIONS = frozenset({"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"})
KEY_READS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems", "ExecuteStatement"})
FORWARDED = (
    READ_OPERATIONS
    | PARTIQL_OPERATIONS
    | {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "DescribeTable",
    }
)
MAX_BODY = 16 * 1024 * 1024
MAX_REFUSALS_KEPT = 100
# Answer headers passed back to botocore (it checks x-amz-crc32 against the body, which is forwarded untouched).
ANSWER_HEADERS = ("content-type", "x-amzn-requestid", "x-amz-crc32", "x-amz-id-2")

CredentialSource = Callable[[], ReadOnlyCredentials]


@dataclass(frozen=True)
class Call:
    operation: str
    read: bool


def throwaway_credentials() -> tuple[str, str]:
    """Credentials for the student's process: well-formed, random, valid nowhere (the grader re-signs)."""
    return "LGTHROWAWAY" + secrets.token_hex(5).upper(), secrets.token_urlsafe(30)


def is_read(operation: str, params: dict[str, Any]) -> bool:
    if operation in READ_OPERATIONS:
        return True
    if operation == "ExecuteStatement":
        return str(params.get("Statement", "")).lstrip().upper().startswith("SELECT")
    if operation in PARTIQL_OPERATIONS:
        statements = params.get("Statements") or params.get("TransactStatements") or []
        return any(
            isinstance(s, dict) and str(s.get("Statement", "")).lstrip().upper().startswith("SELECT")
            for s in statements
        )
    return False


# The table a PartiQL statement works on: after FROM (SELECT, DELETE), INTO (INSERT) or UPDATE; quoted ("T",
# "T"."index") or not. DynamoDB's PartiQL has no joins or subqueries: one table per statement.
_PARTIQL_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+("(?:[^"]|"")+"|[A-Za-z0-9_.-]+)', re.IGNORECASE)
UNREADABLE_STATEMENT = "(a statement naming no table labgrader can read)"


def _statement_tables(statement: object, table: str) -> set[str]:
    names: set[str] = set()
    for token in _PARTIQL_TABLE.findall(str(statement)):
        if token.startswith('"'):
            names.add(token[1:-1].replace('""', '"'))
        else:  # unquoted "T.index": the table, then its index
            names.add(table if token.startswith(f"{table}.") else token)
    return names or {UNREADABLE_STATEMENT}


def _tables(params: dict[str, Any], table: str = "") -> set[str]:
    """The table names a request names: at its top level (TableName, RequestItems, TransactItems) and in its
    PartiQL statements (`table`: the lab's, to tell "T.index" from a table named so)."""
    names: set[str] = set()
    statements = [params["Statement"]] if "Statement" in params else []
    for entry in [*(params.get("Statements") or []), *(params.get("TransactStatements") or [])]:
        statements.append(entry.get("Statement") if isinstance(entry, dict) else entry)
    for statement in statements:
        names |= _statement_tables(statement, table)
    if isinstance(params.get("TableName"), str):
        names.add(params["TableName"])
    if isinstance(params.get("RequestItems"), dict):
        names.update(str(k) for k in params["RequestItems"])
    for entry in params.get("TransactItems") or []:
        if isinstance(entry, dict):
            for action in entry.values():
                if isinstance(action, dict) and isinstance(action.get("TableName"), str):
                    names.add(action["TableName"])
    return names


class DynamoDBProxy:
    """A threaded HTTP server on 127.0.0.1 that counts and forwards DynamoDB calls; `calls` grows as they come."""

    def __init__(self, upstream: str, region: str, credentials: CredentialSource, table: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.region = region
        self.table = table
        self._credentials = credentials
        self._pool = urllib3.PoolManager(maxsize=8, retries=False, timeout=urllib3.Timeout(connect=5, read=30))
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.refused: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        # A short poll: close() (shutdown) waits for the loop to notice, and the run waits for close().
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="labgrader-dynamodb-proxy", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def mark(self) -> int:
        """A position in `calls`: `since(mark)` is what came after it."""
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        with self._lock:
            return self.calls[mark:]

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def forward(self, target: str, body: bytes, content_type: str) -> tuple[int, dict[str, str], bytes]:
        request = AWSRequest(
            method="POST",
            url=self.upstream + "/",
            data=body,
            headers={"Content-Type": content_type, "X-Amz-Target": target, "Accept-Encoding": "identity"},
        )
        SigV4Auth(self._credentials(), "dynamodb", self.region).add_auth(request)
        prepared = request.prepare()
        answer = self._pool.urlopen(
            "POST", prepared.url, body=prepared.body, headers=dict(prepared.headers.items()), preload_content=True
        )
        headers = {k: v for k, v in answer.headers.items() if k.lower() in ANSWER_HEADERS}
        return answer.status, headers, answer.data

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)
        self._pool.clear()


def _handler(proxy: DynamoDBProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses its connection, as it would with DynamoDB
        # Headers and body go out as two writes: with Nagle's algorithm on, the body waits for the client's delayed
        # ACK of the headers (≈ 40 ms on Linux), which the latency checks would time as DynamoDB's.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _refuse(self, status: int, kind: str, message: str) -> None:
            if len(proxy.refused) < MAX_REFUSALS_KEPT:
                proxy.refused.append(message)
            body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message}).encode()
            self._answer(status, {"Content-Type": "application/x-amz-json-1.0"}, body)

        def do_GET(self) -> None:
            self._refuse(400, "ValidationException", "labgrader's DynamoDB endpoint answers DynamoDB's POST API only")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                self._refuse(413, "ValidationException", "request body too large")
                return
            body = self.rfile.read(length)
            target = self.headers.get("X-Amz-Target", "")
            operation = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = None
            if not isinstance(params, dict):
                self._refuse(400, "SerializationException", "the request body is not a JSON object")
                return
            if operation not in FORWARDED:
                self._refuse(
                    400,
                    "AccessDeniedException",
                    f"labgrader's endpoint forwards DynamoDB item operations only, not {target or 'this request'}",
                )
                return
            foreign = sorted(_tables(params, proxy.table) - {proxy.table})
            if foreign:
                self._refuse(400, "AccessDeniedException", f"labgrader's endpoint serves table {proxy.table} only")
                return
            proxy.record(Call(operation, is_read(operation, params)))
            content_type = self.headers.get("Content-Type", "application/x-amz-json-1.0")
            try:
                status, headers, answer = proxy.forward(target, body, content_type)
            except Exception as exc:  # noqa: BLE001 - no credentials, no network: the module sees a server error
                self._refuse(502, "InternalServerError", f"labgrader could not reach DynamoDB: {type(exc).__name__}")
                return
            with contextlib.suppress(OSError):
                self._answer(status, headers, answer)

    return Handler
