"""Each way of leaving the lab behind makes exactly its own check fail (and the billable check when it bills);
decoys and other labs' resources make nothing fail."""

from __future__ import annotations

import pytest

from tests.cleanup.helpers import CHECKS, SCENARIOS

pytestmark = pytest.mark.sandbox


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_exactly_the_checks_of_the_leftover_fail(name, scenario):
    run = scenario(name).run
    _builder, expected = SCENARIOS[name]
    statuses = {check_id: run.get(check_id).status for check_id in CHECKS}
    assert {check_id for check_id, status in statuses.items() if status == "fail"} == expected, statuses
    assert all(statuses[check_id] == "pass" for check_id in CHECKS if check_id not in expected), statuses
    assert run.exit_code == (1 if expected else 0)
    assert run.max_score == 12


def test_a_dynamodb_only_lab_looks_for_its_tag_in_elasticache_too(own_target, tmp_path):
    from labgrader import paths
    from labgrader.engine import runner
    from labgrader.spec import load_spec

    spec = load_spec(paths.labs_dir() / "fcj-music.toml")  # no [elasticache] section: only its tag can name things
    run = runner.grade(spec, own_target, out_dir=tmp_path, phase="cleanup")
    assert {result.status for result in run.checks} == {"pass"}
    assert "(looked for table Music and its backups; tag lab=fcj-music)" in run.get(CHECKS[0]).message
    assert "(looked for tag lab=fcj-music)" in run.get(CHECKS[1]).message
