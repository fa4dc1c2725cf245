"""The grader's secrets never reach the student's process, so no encoding of them reaches any output: not the
reports, not results.json, not the terminal."""

from __future__ import annotations

from tests.attacks.conftest import PLANTED, assert_contained, secret_forms


def test_planted_secrets_are_absent_from_every_output_file_and_the_terminal(attack):
    run = attack("reads_environment")
    assert_contained(run)
    update = run.check("cache_aside_write_invalidates")
    assert update["status"] == "fail"
    # The harvest ran and saw only the module's own environment (names are not secrets; values would be).
    assert "harvest: names=[" in update["message"]
    for name in ("GITHUB_TOKEN", "AWS_SESSION_TOKEN", "REDIS_PASSWORD", "COURSE_DEPLOY_KEY", "LABGRADER_HOME"):
        assert f"'{name}'" not in update["message"], update["message"]
    outputs = {**run.files, "<terminal>": run.terminal.encode()}
    assert set(run.files) >= {"results.json", "report.html", "summary.md", "junit.xml"}
    for secret in PLANTED.values():
        for form in secret_forms(secret):
            leaked = [name for name, data in outputs.items() if form in data]
            assert not leaked, (secret, leaked)


def test_the_module_gets_throwaway_credentials_and_the_graders_endpoint(attack):
    run = attack("reads_environment")
    message = run.check("cache_aside_write_invalidates")["message"]
    assert "'AWS_ENDPOINT_URL'" in message
    assert "'AWS_SECRET_ACCESS_KEY'" in message
    assert b"labgrader/labgrader" not in b"".join(run.files.values())
