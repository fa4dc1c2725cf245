"""`--target local`: the embedded sandbox this machine runs (`labgrader sandbox up`)."""

from __future__ import annotations

from pathlib import Path

from labgrader.sandbox import state as sandbox_state
from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, SentinelInfo
from labgrader.targets.base import Target, TargetError


def local_target(region: str | None, redis_url: str | None, sandbox_home: Path | None) -> Target:
    state = sandbox_state.read(sandbox_home)
    if state is None or not state.alive():
        raise TargetError(
            "the sandbox is not running: start it with `labgrader sandbox up --detach`, then grade again.",
            exit_code=3,
        )
    return Target(
        name="local",
        region=region or state.region,
        region_source="--region" if region else "sandbox",
        endpoint_url=state.moto_url,
        static_credentials=(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
        redis_url=redis_url or state.redis_url,
        sentinel=SentinelInfo("127.0.0.1", state.sentinel_port, state.master_name),
    )
