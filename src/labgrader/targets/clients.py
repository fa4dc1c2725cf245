"""boto3 clients for a target: one session, bounded timeouts and retries, endpoints from the target.

Every AWS call of a grading run goes through `AwsClients.client`, so timeouts, retries and (later) call
recording live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import botocore.loaders
from botocore.config import Config

from labgrader.targets import emulator
from labgrader.targets.base import Target

# ≤ 3 s to connect (an unreachable endpoint is an `error` within seconds, not a hang); adaptive retries absorb
# throttling, and what is left after them becomes `error` for that check only.
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=15,
    retries={"mode": "adaptive", "total_max_attempts": 4},
    user_agent_extra="labgrader",
)


CallRecorder = Callable[[str], None]

# Service models parsed once per process, shared by every session: parsing EC2's model alone costs ~0.5 s of CPU,
# and a process that grades many accounts (`grade --roster`) opens sessions per account.
SHARED_MODELS = botocore.loaders.create_loader()


# Where a service's IAM prefix is not its SigV4 signing name.
IAM_PREFIX = {"tagging": "tag"}  # the Resource Groups Tagging API signs as `tagging`


def iam_action(model: Any) -> str:
    """The IAM action of a botocore operation model: the signing name is the IAM prefix (DynamoDB Streams signs
    as `dynamodb`) unless IAM_PREFIX says otherwise; the operation name is the action."""
    signing = model.service_model.signing_name
    return f"{IAM_PREFIX.get(signing, signing)}:{model.name}"


class AwsClients:
    def __init__(self, target: Target, config: Config = CLIENT_CONFIG, on_call: CallRecorder | None = None) -> None:
        self.target = target
        self.config = config
        if target.static_credentials:
            key, secret = target.static_credentials
            self.session = boto3.Session(
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                aws_session_token=target.session_token,
                region_name=target.region,
            )
        else:
            self.session = boto3.Session(profile_name=target.profile, region_name=target.region)
        self.session._session.register_component("data_loader", SHARED_MODELS)
        self._clients: dict[tuple[str, str], Any] = {}
        if target.emulator and target.endpoint_url is not None:
            emulator.install(self.session.events, target.endpoint_url)
        if on_call is not None:
            # Every API call of every client of this session, as the IAM action it needs (the policy test reads it).
            self.session.events.register("before-call", lambda model, **_: on_call(iam_action(model)))

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached client of `service` (in `region`, default the target's)."""
        region = region or self.target.region
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,  # type: ignore[call-overload]  # the service name is data here, not a literal
                region_name=region,
                endpoint_url=self.target.endpoint_for(service),
                config=self.config,
            )
        return self._clients[key]
