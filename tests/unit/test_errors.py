"""What AWS answers about the student's own resources is the student's `fail` naming the prerequisite; only what
keeps the grader from looking is an `error`."""

from __future__ import annotations

import botocore.exceptions
import pytest

from labgrader.engine.errors import GRADER_BUG_HINT, classify


def client_error(code: str, message: str = "", operation: str = "PutItem") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize(
    ("code", "prerequisite"),
    [
        ("ValidationException", "dynamodb_table_keys_match"),
        ("ResourceNotFoundException", "dynamodb_table_exists"),
        ("ConditionalCheckFailedException", "dynamodb_exercise_state"),
        ("ReplicationGroupNotFoundFault", "elasticache_replication_group_available"),
        ("CacheSubnetGroupNotFoundFault", "elasticache_subnet_group_multi_az"),
        ("InvalidGroup.NotFound", "elasticache_security_group_restricted"),
    ],
)
def test_an_answer_about_the_students_resources_is_a_fail_naming_the_prerequisite(code, prerequisite):
    verdict = classify(client_error(code, "One or more parameter values were invalid."))
    assert verdict.status == "fail"
    assert verdict.message.startswith(f"AWS refused PutItem with {code} (One or more parameter values were invalid)")
    assert verdict.message.endswith(f"(prerequisite: {prerequisite}).")
    assert "maintainers" not in verdict.message
    assert verdict.hint is not None
    assert "maintainers" not in verdict.hint.text()
    assert verdict.evidence.observed == code


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException", "InternalServerError"])
def test_what_keeps_the_grader_from_looking_stays_an_error(code):
    verdict = classify(client_error(code))
    assert verdict.status == "error"


def test_an_unknown_answer_is_still_the_graders_error_to_report():
    verdict = classify(client_error("SomethingNew"))
    assert verdict.status == "error"
    assert verdict.hint is not None
    assert verdict.hint.note == GRADER_BUG_HINT
