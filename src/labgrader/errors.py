"""Turning what a check raised into a status: the line between "the lab is wrong" and "the grader could not look".

A false FAIL costs trust: anything that means the grader could not see (connection refused, timeout, missing
credentials, AccessDenied, throttling after retries, a grader bug) is `error`, with a message saying what to fix
on the grader's side.
"""

from __future__ import annotations

from dataclasses import dataclass

import botocore.exceptions
import redis.exceptions

from labgrader.verdict import Evidence, Status, Verdict

ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "AuthFailure",
        "MissingAuthenticationToken",
    }
)
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "SlowDown",
        "LimitExceededException",
    }
)
UNAVAILABLE = frozenset({"ServiceUnavailable", "InternalError", "InternalFailure", "InternalServerError"})

_UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
)
_NO_CREDENTIALS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.CredentialRetrievalError,
    botocore.exceptions.TokenRetrievalError,
    botocore.exceptions.SSOError,
)


@dataclass(frozen=True)
class Classified:
    status: Status
    message: str
    evidence: Evidence
    hint: str | None = None


def classify(exc: BaseException) -> Classified:
    """The status and one-sentence message for an exception raised while a check ran."""
    if isinstance(exc, Verdict):
        return Classified(exc.status, exc.message, exc.evidence, exc.hint)
    if isinstance(exc, AssertionError):
        first_line = (str(exc).strip().splitlines() or ["the check's assertion did not hold"])[0]
        return Classified("fail", first_line, Evidence())
    return Classified("error", describe_could_not_look(exc), Evidence(extra={"exception": type(exc).__name__}))


def describe_could_not_look(exc: BaseException) -> str:
    if isinstance(exc, _UNREACHABLE):
        return f"The grader could not reach the AWS endpoint: {exc}."
    if isinstance(exc, _NO_CREDENTIALS):
        return f"The grader has no usable AWS credentials ({exc}); configure them (aws configure / AWS_PROFILE)."
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return "The grader has no AWS region: pass --region or set AWS_REGION."
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        operation = exc.operation_name
        if code in ACCESS_DENIED:
            return f"AWS denied the grader {operation} ({code}): grant the grader's credentials this action."
        if code in THROTTLED:
            return f"AWS throttled {operation} beyond the retry budget ({code}): grade again in a minute."
        if code in UNAVAILABLE:
            return f"AWS answered {operation} with {code}: a service-side problem, grade again later."
        return f"AWS answered {operation} with {code}: {error.get('Message', '')}".rstrip(": ") + "."
    if isinstance(exc, redis.exceptions.AuthenticationError):
        return "Redis refused the grader's credentials: set REDIS_PASSWORD (AUTH token) and REDIS_USERNAME if used."
    if isinstance(exc, redis.exceptions.TimeoutError):
        return f"Redis did not answer in time: {exc}."
    if isinstance(exc, redis.exceptions.ConnectionError):
        return f"The grader could not reach Redis: {exc}"
    if isinstance(exc, redis.exceptions.ResponseError) and str(exc).startswith(("NOAUTH", "WRONGPASS", "NOPERM")):
        return f"Redis refused the grader ({str(exc).split(' ', 1)[0]}): set REDIS_PASSWORD / REDIS_USERNAME."
    return f"labgrader hit an unexpected {type(exc).__name__} while grading: {exc}"
