"""Corrections to moto's server so the sandbox behaves like AWS where the lab needs it, one module per service:

- dynamodb.py: DynamoDB (and Streams) answering as AWS does;
- elasticache.py: ElastiCache answering as AWS does (with AWS's checks of EC2 subnets and security groups), plus
  the APIs moto lacks: parameter_groups.py (cache parameter groups) and events.py (DescribeEvents, TestFailover);
- data_plane.py one level up: where the ElastiCache corrections reach the sandbox's real Redis nodes.

`apply()` installs them all, in the process that runs moto's server only (sandbox/moto_server.py, and the test
suite's DynamoDB container): nothing here imports moto until then. Whatever these modules import must stay inside
moto, the standard library and labgrader/sandbox (tests/containers/images.py copies exactly those files).
"""

from __future__ import annotations

from labgrader.sandbox.moto import dynamodb, elasticache

_APPLIED = False


def apply() -> None:
    """Install every correction, once (patching a library is process-global by nature)."""
    global _APPLIED  # noqa: PLW0603 - one set of corrections per process
    if _APPLIED:
        return
    dynamodb.apply()
    elasticache.apply()
    _APPLIED = True


def applied() -> bool:
    """Whether this process runs moto with the corrections (the upstream-moto tests make sure it does not)."""
    return _APPLIED
