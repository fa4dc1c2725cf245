"""Turning what a check raised into a status: the line between "the lab is wrong" and "the grader could not look".

A false FAIL costs trust: anything that means the grader could not see (connection refused, timeout, missing
credentials, AccessDenied, throttling after retries, a grader bug) is `error`, with a message saying what to fix
on the grader's side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import botocore.exceptions
import redis.exceptions

from labgrader.engine.verdict import Evidence, Hint, Status, Verdict

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
# Answers that describe the student's resources as they are, not the grader's access: the lab is wrong there, a
# `fail` naming the check that judges the prerequisite (never "the grader could not look").
STUDENT_SIDE: dict[str, tuple[str, str]] = {
    "ResourceNotFoundException": ("the resource it names does not exist", "dynamodb_table_exists"),
    "TableNotFoundException": ("the table does not exist", "dynamodb_table_exists"),
    "ValidationException": (
        "the request does not fit the lab's resources as they are (key names, key or index types)",
        "dynamodb_table_keys_match",
    ),
    "ConditionalCheckFailedException": (
        "an item it expected is missing or differs",
        "dynamodb_exercise_state",
    ),
    "ReplicationGroupNotFoundFault": (
        "the replication group does not exist",
        "elasticache_replication_group_available",
    ),
    "InvalidReplicationGroupState": (
        "the replication group is not available",
        "elasticache_replication_group_available",
    ),
    "CacheSubnetGroupNotFoundFault": ("the cache subnet group does not exist", "elasticache_subnet_group_multi_az"),
    "CacheParameterGroupNotFound": (
        "the cache parameter group does not exist",
        "elasticache_parameter_group_eviction_policy",
    ),
    "InvalidGroup.NotFound": ("the security group does not exist", "elasticache_security_group_restricted"),
}

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
    hint: Hint | None = None


GRADER_BUG_HINT = "Report it to the labgrader maintainers; the other checks are unaffected."
CREDENTIALS_HINT = "Fix the Redis password in --redis-url or set REDIS_PASSWORD (and REDIS_USERNAME for an RBAC user)."


def classify(exc: BaseException) -> Classified:
    """The status, one-sentence message and fix for an exception raised while a check ran.

    A `None` hint means "the grader could not reach an endpoint": the target then says where to look."""
    if isinstance(exc, Verdict):
        return Classified(exc.status, exc.message, exc.evidence, exc.hint)
    if isinstance(exc, AssertionError):
        first_line = (str(exc).strip().splitlines() or ["the check's assertion did not hold"])[0]
        return Classified("fail", first_line, Evidence())
    student = students_own(exc)
    if student is not None:
        return student
    message, advice = explain_could_not_look(exc)
    hint = Hint(note=advice) if advice is not None else None
    return Classified("error", message, Evidence(extra={"exception": type(exc).__name__}), hint)


def students_own(exc: BaseException) -> Classified | None:
    """A `fail` naming the prerequisite when AWS's answer describes the student's resources (a missing table, a
    request its keys reject), else None."""
    if not isinstance(exc, botocore.exceptions.ClientError):
        return None
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    if code not in STUDENT_SIDE:
        return None
    why, prerequisite = STUDENT_SIDE[code]
    detail = str(error.get("Message", "")).strip().rstrip(".")
    message = (
        f"AWS refused {exc.operation_name} with {code}"
        + (f" ({detail})" if detail else "")
        + f": {why}, so this objective cannot be graded (prerequisite: {prerequisite})."
    )
    hint = Hint(note=f"Fix what {prerequisite} reports first, then grade again.")
    return Classified("fail", message, Evidence(call=exc.operation_name, observed=code), hint)


def access_denied_action(exc: botocore.exceptions.ClientError) -> str:
    """The IAM action AWS names in an AccessDenied message, else service:Operation from the request."""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    named = re.search(r"perform: ([a-z0-9-]+:[A-Za-z0-9]+)", message)
    if named:
        return named.group(1)
    service = exc.response.get("ResponseMetadata", {}).get("ServiceName") or ""
    return f"{service}:{exc.operation_name}" if service else exc.operation_name


def describe_could_not_look(exc: BaseException) -> str:
    """One line: what kept the grader from looking, and the fix when there is a specific one."""
    message, hint = explain_could_not_look(exc)
    return f"{message} {hint}" if hint and hint != GRADER_BUG_HINT else message


def explain_could_not_look(exc: BaseException) -> tuple[str, str | None]:
    """(message, hint) for an exception that means the grader could not look."""
    if isinstance(exc, _UNREACHABLE):
        return f"The grader could not reach the AWS endpoint: {exc}.", None
    if isinstance(exc, _NO_CREDENTIALS):
        return (
            f"The grader has no usable AWS credentials ({exc}).",
            "Configure them: aws configure, AWS_PROFILE or --profile.",
        )
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return "The grader has no AWS region.", "Pass --region or set AWS_REGION."
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "?"))
        operation = exc.operation_name
        if code in ACCESS_DENIED:
            action = access_denied_action(exc)
            return (
                f"AWS denied the grader {operation} ({code}), so it could not look.",
                f"Grant the grader's credentials {action} (see `labgrader policy`).",
            )
        if code in THROTTLED:
            return (f"AWS throttled {operation} beyond the retry budget ({code}).", "Grade again in a minute.")
        if code in UNAVAILABLE:
            return (f"AWS answered {operation} with {code}, a service-side problem.", "Grade again later.")
        detail = str(error.get("Message", "")).strip()
        return f"AWS answered {operation} with {code}" + (f": {detail}" if detail else "") + ".", GRADER_BUG_HINT
    if isinstance(exc, redis.exceptions.AuthenticationError):
        return "Redis refused the grader's credentials.", CREDENTIALS_HINT
    if isinstance(exc, redis.exceptions.TimeoutError):
        return f"Redis did not answer in time: {exc}.", None
    if isinstance(exc, redis.exceptions.ConnectionError):
        return f"The grader could not reach Redis: {exc}", None
    if isinstance(exc, redis.exceptions.ResponseError) and str(exc).startswith(("NOAUTH", "WRONGPASS", "NOPERM")):
        return f"Redis refused the grader ({str(exc).split(' ', 1)[0]}).", CREDENTIALS_HINT
    return f"labgrader hit an unexpected {type(exc).__name__} while grading: {exc}", GRADER_BUG_HINT
