"""The fixtures of the ElastiCache checks (registered by the grading session): each resource is described once per
run, whatever the number of checks (ElastiCache, and Redis on AWS) judging it. See lookups.Lookups."""

from __future__ import annotations

import pytest

from labgrader.engine.verdict import not_applicable
from labgrader.services.elasticache import lookups
from labgrader.services.elasticache.lookups import Lookups
from labgrader.spec import LabSpec
from labgrader.targets.base import Target
from labgrader.targets.clients import AwsClients


@pytest.fixture(scope="session")
def elasticache_lookups(request: pytest.FixtureRequest, aws: AwsClients, lab: LabSpec, target: Target) -> Lookups:
    """The ElastiCache API view of the lab. The plugin skips ElastiCache checks of labs without [elasticache] and
    on targets without the API; a Redis check judged from the API (ElastiCache refuses CONFIG and BGSAVE) reaches
    the two guards below."""
    if lab.elasticache is None:
        not_applicable(
            f"ElastiCache refuses CONFIG and BGSAVE, so on the {target.name} target this is judged from the "
            "ElastiCache API, and the lab spec has no [elasticache] section to judge it from"
        )
    if not target.provides("elasticache"):
        not_applicable(f"not possible on the {target.name} target: {target.unavailable['elasticache']}")
    return lookups.for_run(request.config, aws, lab)
