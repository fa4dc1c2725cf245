"""Throttling beyond the retry budget is `error` for the throttled check only; the run goes on, and the number of
attempts is bounded by the client configuration."""

from __future__ import annotations

import dataclasses
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from labgrader.targets.clients import CLIENT_CONFIG

pytestmark = pytest.mark.sandbox

THROTTLED_OPERATION = "DynamoDB_20120810.DescribeTimeToLive"


@contextmanager
def throttling_proxy(upstream: str) -> Iterator[tuple[str, list[str]]]:
    """Forwards every request to `upstream`, except THROTTLED_OPERATION, answered with ThrottlingException."""
    throttled: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("X-Amz-Target") == THROTTLED_OPERATION:
                throttled.append(THROTTLED_OPERATION)
                payload = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}'
                self.send_response(400)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
            else:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                request = urllib.request.Request(  # noqa: S310 - upstream is the sandbox's loopback moto URL
                    upstream + self.path, data=body, headers=headers, method="POST"
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback moto
                        payload, status, content_type = answer.read(), answer.status, answer.headers["Content-Type"]
                except urllib.error.HTTPError as error:
                    payload, status, content_type = error.read(), error.code, error.headers["Content-Type"]
                self.send_response(status)
                self.send_header("Content-Type", content_type or "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", throttled
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_throttled_call_is_error_for_its_check_only(solved, local_target, grade) -> None:  # type: ignore[no-untyped-def]
    wanted = {"dynamodb_ttl_enabled", "dynamodb_table_exists", "dynamodb_stream_enabled", "dynamodb_gsi_configured"}
    with throttling_proxy(local_target.endpoint_url) as (url, throttled):
        run = grade(solved, dataclasses.replace(local_target, endpoint_url=url), only=wanted)
    ttl = run.get("dynamodb_ttl_enabled")
    assert ttl.status == "error"
    assert ttl.message == "AWS throttled DescribeTimeToLive beyond the retry budget (ThrottlingException)."
    assert ttl.hint == "Grade again in a minute."
    assert {run.get(i).status for i in wanted - {"dynamodb_ttl_enabled"}} == {"pass"}
    assert len(throttled) == CLIENT_CONFIG.retries["total_max_attempts"]
    assert run.exit_code == 3
