"""Before grading: can the grader look at all? One quick, strict probe per target, so that missing or expired
credentials and dead or hanging endpoints are one line and an exit code within seconds — not 40 `error` checks.

On `aws` it also records who is graded (account, ARN) and probes one read per service, so "cannot see"
(AccessDenied: the checks will say `error`, naming the action) is told apart from "does not exist" (`fail`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions
import redis
from botocore.config import Config

from labgrader import redis_connection as redis_conn
from labgrader.engine.errors import ACCESS_DENIED
from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK
from labgrader.targets.base import Target, TargetError, redact_url
from labgrader.targets.clients import AwsClients
from labgrader.targets.emulator import ApiNotImplemented

PROBE_TIMEOUT_S = 3.0

# One attempt, short timeouts: a probe must answer fast or not at all.
PROBE_CONFIG = Config(
    connect_timeout=PROBE_TIMEOUT_S, read_timeout=PROBE_TIMEOUT_S, retries={"mode": "standard", "total_max_attempts": 1}
)

# One cheap read per service the lab uses, to learn early which ones the credentials cannot see.
READ_PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "dynamodb": ("list_tables", {"Limit": 1}),
    "elasticache": ("describe_replication_groups", {"MaxRecords": 20}),
    "ec2": ("describe_security_groups", {"MaxResults": 5}),
}


@dataclass
class Preflight:
    account: str | None = None
    arn: str | None = None
    denied: dict[str, str] = field(default_factory=dict)

    def report_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.account:
            fields["account"] = self.account
            fields["caller_arn"] = self.arn
        if self.denied:
            fields["denied_actions"] = self.denied
        return fields


def run(target: Target, services: tuple[str, ...] = ("dynamodb", "elasticache", "ec2")) -> Preflight:
    clients = AwsClients(target, config=PROBE_CONFIG)
    result = Preflight()
    if target.name == "aws":
        identity = _call(target, clients, "sts", "get_caller_identity", {})
        result.account, result.arn = identity.get("Account"), identity.get("Arn")
    elif target.endpoint_url:
        _call(target, clients, "dynamodb", "list_tables", {"Limit": 1})
        return result
    for service in services:
        if not target.provides(service) or service not in READ_PROBES:
            continue
        operation, params = READ_PROBES[service]
        try:
            _call(target, clients, service, operation, params)
        except _Denied as denied:
            result.denied[service] = denied.action
    return result


class _Denied(Exception):  # noqa: N818 - a probe outcome, not an error of the grader
    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def _call(target: Target, clients: AwsClients, service: str, operation: str, params: dict[str, Any]) -> Any:
    client = clients.client(service)
    where = f"AWS {service} at {client.meta.endpoint_url}"
    try:
        return getattr(client, operation)(**params)
    except ApiNotImplemented:
        return {}  # an emulator without this API: the checks that need it report `skip`, naming it
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError):
        raise TargetError(
            "no AWS credentials found: run `aws configure`, set AWS_PROFILE or pass --profile "
            "(labgrader uses boto3's default credential chain).",
            exit_code=EXIT_COULD_NOT_LOOK,
        ) from None
    except (
        botocore.exceptions.CredentialRetrievalError,
        botocore.exceptions.TokenRetrievalError,
        botocore.exceptions.SSOError,
    ) as exc:
        raise TargetError(
            f"AWS credentials could not be loaded ({type(exc).__name__}): refresh them (e.g. `aws sso login`).",
            exit_code=EXIT_COULD_NOT_LOOK,
        ) from None
    except (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ReadTimeoutError,
        botocore.exceptions.ConnectionClosedError,
    ):
        advice = target.unreachable_advice(service)
        raise TargetError(f"{where} did not answer within 3 s: {advice}", exit_code=EXIT_COULD_NOT_LOOK) from None
    except botocore.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
            "AuthFailure",
        }:
            raise TargetError(
                f"AWS rejected the credentials ({code}): refresh or fix them (aws configure / aws sso login).",
                exit_code=EXIT_COULD_NOT_LOOK,
            ) from None
        if code in ACCESS_DENIED and service != "sts":
            action = client.meta.method_to_api_mapping[operation]
            raise _Denied(f"{client.meta.service_model.signing_name}:{action}") from None
        raise


def redis_problem(target: Target) -> str | None:
    """One line on why the grader cannot use the lab's Redis (down, silent, refused credentials), or None.

    Not fatal: DynamoDB and the control plane are still graded; the Redis checks will report `error`."""
    url = target.redis_url
    if not url or not target.provides("redis"):
        return None
    client = redis_conn.connect(url, timeout=PROBE_TIMEOUT_S, connect_timeout=PROBE_TIMEOUT_S)
    where = f"Redis at {redact_url(url)}"
    try:
        client.ping()
    except redis.AuthenticationError:
        return f"{where} refused the grader's credentials: fix the password in --redis-url or REDIS_PASSWORD."
    except redis.ResponseError as exc:
        if str(exc).startswith(("NOAUTH", "WRONGPASS", "NOPERM")):
            return f"{where} refused the grader ({str(exc).split(' ', 1)[0]}): set REDIS_PASSWORD / REDIS_USERNAME."
        return None
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        detail = str(exc).strip().rstrip(".") or type(exc).__name__
        return f"{where} did not answer ({detail}): {target.unreachable_advice('redis')}"
    finally:
        client.close()
    return None
