"""The grader's own writes: scratch DynamoDB items and Redis keys under a reserved prefix, unique per run.

Nothing outside this prefix is ever written by a check; two runs at once use different run IDs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

SCRATCH_PREFIX = "__labgrader__"
# How long a scratch write cut short by Ctrl-C is given to land (the server had the request) before the final
# delete and read-back.
WRITE_SETTLE_S = 0.5


def new_run_id() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True)
class Scratch:
    run_id: str = field(default_factory=new_run_id)

    @property
    def prefix(self) -> str:
        return f"{SCRATCH_PREFIX}{self.run_id}"

    def partition_value(self, purpose: str) -> str:
        """A partition-key value for scratch items (IAM can pin writes to it with dynamodb:LeadingKeys)."""
        return f"{self.prefix}#{purpose}"

    def redis_key(self, purpose: str) -> str:
        return f"{SCRATCH_PREFIX}:{self.run_id}:{purpose}"

    def redis_patterns(self) -> tuple[str, ...]:
        """SCAN patterns of every Redis key this run may leave: its own keys, and the cache keys the student's
        module writes for its scratch items (`product:__labgrader__<run>#cache-aside:CA-MISS`); no other run's."""
        return (f"{SCRATCH_PREFIX}:{self.run_id}:*", f"*{self.prefix}#*")


def is_scratch_value(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SCRATCH_PREFIX)
