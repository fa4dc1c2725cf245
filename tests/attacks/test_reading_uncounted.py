"""DynamoDB calls the grader does not count: the sandbox's moto server answers anyone on its loopback port, with
any credentials. The module's network namespace reaches only its endpoint and Redis, so every DynamoDB call it makes
goes through the grader's endpoint and is counted."""

from __future__ import annotations

from tests.attacks.conftest import assert_contained


def test_a_module_cannot_read_dynamodb_past_the_graders_endpoint(attack):
    run = attack("reads_moto_directly")
    assert_contained(run)
    update = run.check("cache_aside_write_invalidates")
    assert update["status"] == "fail"
    assert "direct read from moto: EndpointConnectionError" in update["message"], update["message"]
    # The honest path was graded: its hit made zero reads at the grader's endpoint.
    assert run.check("cache_aside_hit_skips_db")["status"] == "pass"
