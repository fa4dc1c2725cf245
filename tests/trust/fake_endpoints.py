"""Loopback stand-ins for endpoints that misbehave: one that accepts and never answers, and a tiny AWS-shaped
HTTP server whose answers a test chooses per service (from the request's SigV4 credential scope)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@contextmanager
def silent_listener() -> Iterator[int]:
    """A loopback port that accepts connections and never sends a byte."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


@contextmanager
def fake_aws(answers: dict[str, tuple[int, str, str]]) -> Iterator[str]:
    """An HTTP endpoint answering each service (SigV4 scope name: sts, dynamodb, elasticache, ec2) with the given
    (status, content type, body); unknown services get a 500."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            match = SCOPE.search(self.headers.get("Authorization", ""))
            status, content_type, body = answers.get(match.group(1) if match else "", (500, "text/plain", "?"))
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on a free loopback port answering with `handler`; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def query_error(code: str, message: str, status: int = 403) -> tuple[int, str, str]:
    """An error in the query protocol's shape (STS, ElastiCache, EC2 use <ErrorResponse>)."""
    body = (
        f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
    return status, "text/xml", body


def json_error(code: str, message: str, status: int = 400) -> tuple[int, str, str]:
    """An error in DynamoDB's JSON protocol shape."""
    return (
        status,
        "application/x-amz-json-1.0",
        f'{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"{message}"}}',
    )


STS_IDENTITY = (
    200,
    "text/xml",
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/student</Arn><UserId>AID</UserId>"
    "<Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r"
    "</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
)
