"""`--target aws`: real AWS with the credential chain's region and profile, or, with `--endpoint-url`, an
AWS-compatible emulator (LocalStack, moto, ...)."""

from __future__ import annotations

import os

import boto3
import botocore.exceptions

from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from labgrader.spec import LabSpec
from labgrader.targets.base import AWS_REGION_NAME, Target, TargetError, check_endpoint_url


def aws_target(
    spec: LabSpec, region: str | None, profile: str | None, redis_url: str | None, endpoint_url: str | None = None
) -> Target:
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except botocore.exceptions.ProfileNotFound:
        raise TargetError(f"AWS profile {profile!r} not found: check `aws configure list-profiles`.") from None
    if endpoint_url is not None:
        return emulator_target(
            spec, session, endpoint_url=endpoint_url, region=region, profile=profile, redis_url=redis_url
        )
    region, source = _region(spec, session, region, fallback=None)
    return Target(
        name="aws",
        region=region,
        region_source=source,
        profile=profile,
        redis_url=redis_url or os.environ.get("REDIS_URL") or None,
        unavailable={
            "redis-admin": "ElastiCache refuses CONFIG/BGSAVE: this objective is judged from the AWS API there",
            "sentinel": "ElastiCache fails over with TestFailover, not sentinel",
        },
    )


def emulator_target(
    spec: LabSpec,
    session: boto3.Session,
    *,
    endpoint_url: str,
    region: str | None,
    profile: str | None,
    redis_url: str | None,
) -> Target:
    """`--target aws --endpoint-url URL`: every AWS API at the student's emulator (LocalStack, moto, ...). The
    emulator's Redis is self-hosted, so CONFIG/BGSAVE are allowed; emulators accept any credentials, so the chain's
    are used when there are some and placeholders otherwise."""
    check_endpoint_url(endpoint_url)
    region, source = _region(spec, session, region, fallback="us-east-1")
    has_credentials = profile is not None or session.get_credentials() is not None
    return Target(
        name="aws",
        region=region,
        region_source=source,
        endpoint_url=endpoint_url,
        profile=profile,
        static_credentials=None if has_credentials else (SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
        student_endpoint=True,
        redis_url=redis_url or os.environ.get("REDIS_URL") or None,
        unavailable={"sentinel": "an emulator's Redis has no sentinel: failover is graded on the sandbox or AWS"},
    )


def _region(spec: LabSpec, session: boto3.Session, region: str | None, *, fallback: str | None) -> tuple[str, str]:
    """The region and where it came from: --region, the AWS config/environment, the lab spec, else `fallback` (an
    emulator's default; on AWS labgrader never guesses a region)."""
    if region and not AWS_REGION_NAME.fullmatch(region):
        raise TargetError(f"--region {region!r} is not an AWS region name (like us-east-1 or ap-southeast-1).")
    if region:
        return region, "--region"
    if session.region_name:
        return session.region_name, "AWS config/environment"
    if spec.lab.region:
        return spec.lab.region, "lab spec"
    if fallback is None:
        raise TargetError("no AWS region: pass --region R or set AWS_REGION (labgrader never guesses a region).")
    return fallback, "emulator default"
