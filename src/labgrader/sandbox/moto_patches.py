"""Corrections to moto's ElastiCache model, applied inside the sandbox's moto server only.

Each correction makes moto answer the way AWS does for a request a student really sends; none invents state.
tests/sandbox/test_moto_patches.py proves each one against the sandbox, and tests/sandbox/test_moto_upstream.py
fails (strict xfail → XPASS) as soon as upstream moto fixes the bug itself, so the correction can be dropped.
"""

from __future__ import annotations

import functools
from typing import Any

_APPLIED = False


def apply() -> None:
    global _APPLIED  # noqa: PLW0603 - patching a library is process-global by nature; apply once
    if _APPLIED:
        return
    from moto.elasticache import models  # noqa: PLC0415 - moto is imported only inside the sandbox server

    _honour_num_cache_clusters(models)
    _subnet_group_availability_zones(models)
    _APPLIED = True


def _honour_num_cache_clusters(models: Any) -> None:
    """moto issue #8932: cluster mode disabled ignores NumCacheClusters and always builds one member.

    AWS builds NumCacheClusters members: one primary and NumCacheClusters - 1 replicas. moto derives the count from
    ReplicasPerNodeGroup only, so we pass it the equivalent replica count when that parameter was not given.
    """
    original = models.ReplicationGroup._set_node_members_clusters_disabled

    @functools.wraps(original)
    def set_members(self: Any, *args: Any, **kwargs: Any) -> Any:
        requested = kwargs.get("num_cache_clusters") or 1
        if not kwargs.get("replicas_per_node_group") and requested > 1:
            kwargs["replicas_per_node_group"] = requested - 1
        return original(self, *args, **kwargs)

    models.ReplicationGroup._set_node_members_clusters_disabled = set_members


def _subnet_group_availability_zones(models: Any) -> None:
    """moto stores each subnet's AZ as a bare string where the API shape wants {"Name": az}: DescribeCacheSubnetGroups
    then returns `SubnetAvailabilityZone: {}`. AWS always names the AZ; graders judge Multi-AZ subnet groups by it.
    """
    original_init = models.CacheSubnetGroup.__init__

    @functools.wraps(original_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for subnet in self.subnets:
            zone = subnet.get("subnet_availability_zone")
            if isinstance(zone, str):
                subnet["subnet_availability_zone"] = {"Name": zone}

    models.CacheSubnetGroup.__init__ = init
