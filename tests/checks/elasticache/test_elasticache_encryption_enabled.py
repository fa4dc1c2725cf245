from __future__ import annotations

import pytest

CHECK = "elasticache_encryption_enabled"
pytestmark = pytest.mark.sandbox


def test_passes_on_the_reference_solution(elasticache_reference):
    result = elasticache_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert result.max_points == 0  # advisory
    assert result.required is False


def test_fails_as_advice_only_without_encryption(local_target, grade, lab_setup, run_hint):
    built = lab_setup(encryption=False)
    run = grade(built.spec, local_target, only={CHECK})
    result = run.get(CHECK)
    assert result.status == "fail"
    assert "at-rest encryption is off and in-transit encryption (TLS) is off" in result.message
    assert "--at-rest-encryption-enabled --transit-encryption-enabled" in result.hint
    assert result.hint_note.startswith("At-rest encryption is chosen at creation: these commands delete")
    assert result.points == result.max_points == 0
    assert run.exit_code == 0  # advisory checks never change the exit code
    run_hint(result)
    assert grade(built.spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_errors_when_the_endpoint_is_down(elasticache_unreachable):
    result = elasticache_unreachable.get(CHECK)
    assert result.status == "error"
