"""An AWS-compatible emulator (LocalStack, moto's server, DynamoDB Local) answers some APIs with "not implemented".

That is not the student's mistake and not the grader failing to look: the check concerned reports `skip`, naming
the API. The answers recognised, as these emulators send them:

- HTTP 501 (LocalStack: `InternalFailure`, "API for service 'x' not yet implemented or pro feature");
- an error whose code is `NotImplemented`/`UnknownOperationException` (DynamoDB Local), or whose message says "not
  implemented" / "not yet implemented" / "has not been implemented" / "not yet emulated";
- HTTP 500 with werkzeug's HTML error page instead of an AWS error (moto's server, on an API it lacks).
"""

from __future__ import annotations

import re
from typing import Any

from labgrader.engine.verdict import Evidence, NotApplicable

NOT_IMPLEMENTED_CODES = re.compile(rb"NotImplemented|UnknownOperationException")
NOT_IMPLEMENTED_TEXT = re.compile(rb"not (?:yet )?(?:been )?(?:implemented|emulated)", re.IGNORECASE)
HTML_SERVER_ERROR = re.compile(rb"<title>500 Internal Server Error</title>", re.IGNORECASE)
DETAIL_CHARS = 160


class ApiNotImplemented(NotApplicable):
    """The emulator does not implement the API a check needs: `skip`, naming the API."""

    def __init__(self, api: str, endpoint: str, answer: str) -> None:
        super().__init__(
            f"the emulator at {endpoint} does not implement {api} ({answer}), so this check cannot be graded there",
            Evidence(call=api, observed=answer, extra={"endpoint": endpoint}),
        )
        self.api = api


def not_implemented_answer(status: int, body: bytes) -> str | None:
    """How the answer said "not implemented" (for the message), or None when it said something else."""
    if status < 400:
        return None
    text = body[:4096]
    if status == 501:
        return f"HTTP 501{_detail(text)}"
    if NOT_IMPLEMENTED_CODES.search(text) or NOT_IMPLEMENTED_TEXT.search(text):
        return f"HTTP {status}{_detail(text)}"
    if status == 500 and HTML_SERVER_ERROR.search(text):
        return "HTTP 500 with an HTML error page instead of an AWS error: moto's answer to an API it lacks"
    return None


def _detail(text: bytes) -> str:
    message = re.search(rb'"(?:message|Message)"\s*:\s*"([^"]*)"|<Message>([^<]*)</Message>', text)
    found = (message.group(1) or message.group(2)) if message else None
    if not found:
        return ""
    shown = found.decode("utf-8", errors="replace").strip()
    return f": {shown[:DETAIL_CHARS]}" if shown else ""


def install(events: Any, endpoint: str) -> None:
    """Turn "not implemented" answers of the emulator at `endpoint` into ApiNotImplemented, before botocore tries
    to parse them (moto's HTML page is not parseable) or retries them."""

    def check_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        answer = not_implemented_answer(int(response_dict.get("status_code", 0)), response_dict.get("body") or b"")
        if answer is not None:
            service = operation_model.service_model.signing_name
            raise ApiNotImplemented(f"{service}:{operation_model.name}", endpoint, answer)

    events.register("before-parse", check_answer)
