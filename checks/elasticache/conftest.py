"""Fixtures shared by the ElastiCache checks: each resource is described once per run, whatever the number of
checks (and Redis checks, on AWS) judging it. See labgrader.services.elasticache.lookups."""

from __future__ import annotations

import pytest

from labgrader.services.clients import AwsClients
from labgrader.services.elasticache import lookups as elasticache_api
from labgrader.services.elasticache.lookups import Lookups
from labgrader.spec import LabSpec


@pytest.fixture(scope="session")
def elasticache_lookups(request: pytest.FixtureRequest, aws: AwsClients, lab: LabSpec) -> Lookups:
    assert lab.elasticache is not None  # the plugin skips ElastiCache checks of labs without [elasticache]
    return elasticache_api.for_run(request.config, aws, lab)
