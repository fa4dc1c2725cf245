"""JUnit XML: pytest's own --junitxml reconciled with results.json; validated with junitparser."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase

from labgrader.reports import junit
from labgrader.reports.model import display_counts, is_advice
from labgrader.engine.results import RunResult


def cases(path: Path) -> dict[str, TestCase]:
    xml = JUnitXml.fromfile(str(path))
    found: dict[str, TestCase] = {}
    for suite in xml:
        for case in suite:
            assert case.name not in found, f"two testcases for {case.name}"
            found[case.name] = case
    return found


def outcome(case: TestCase) -> tuple[str, str]:
    results = case.result
    if not results:
        return "pass", ""
    assert len(results) == 1
    (result,) = results
    kind = {Failure: "fail", Error: "error", Skipped: "skipped"}[type(result)]
    return kind, result.message or ""


def assert_matches_results(path: Path, run: RunResult) -> None:
    found = cases(path)
    assert set(found) == {c.id for c in run.checks}  # one testcase per check ID, named by it
    expected = {"pass": "pass", "fail": "fail", "error": "error", "skip": "skipped", "pending": "skipped"}
    for check in run.checks:
        kind, message = outcome(found[check.id])
        # An advisory miss is advice, not a failure: skipped with its message, so the CI job does not turn red.
        assert kind == ("skipped" if is_advice(check) else expected[check.status]), check.id
        assert found[check.id].classname == f"labgrader.{check.section}"
        if check.status != "pass":
            assert check.message in message
    suite = next(iter(JUnitXml.fromfile(str(path))))
    assert suite.name == f"labgrader.{run.lab}"
    counts = display_counts(run)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
        len(run.checks),
        counts.get("fail", 0),
        counts.get("error", 0),
        counts.get("skip", 0) + counts.get("pending", 0) + counts.get("advice", 0),
    )


def test_built_from_results_json_alone(tmp_path: Path, fixture_run: RunResult) -> None:
    path = junit.write(fixture_run, tmp_path)
    assert path == tmp_path / "junit.xml"
    assert_matches_results(path, fixture_run)
    failure = cases(path)["dynamodb_ttl_enabled"].result[0]
    ttl = fixture_run.get("dynamodb_ttl_enabled")
    assert f"Fix: {ttl.hint}" in failure.text
    assert '"call": "dynamodb.describe_time_to_live"' in failure.text  # evidence: CI logs are staff detail
    pending = cases(path)["dynamodb_gsi_configured"].result[0]
    assert pending.message.startswith("pending: DynamoDB GSI brand-price-index")


def test_pytests_own_file_is_reconciled(tmp_path: Path, fixture_run: RunResult) -> None:
    """A real pytest --junitxml file (a check failing with a traceback, an error reported as a failure, a setup
    skip, a teardown error) comes out with one outcome per check as results.json says, pytest's text kept."""
    module = tmp_path / "checks_demo.py"
    module.write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def broken_teardown():
                yield
                raise RuntimeError("teardown trouble")

            def dynamodb_table_exists():
                pass

            def dynamodb_ttl_enabled():
                assert "DISABLED" == "ENABLED"

            def redis_failover_recovers():
                raise ConnectionRefusedError(111, "Connection refused")

            def elasticache_parameter_group_eviction_policy():
                pytest.skip("not possible on the local target")

            def dynamodb_gsi_configured(broken_teardown):
                pass
            """
        )
    )
    path = tmp_path / "pytest.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "python_functions=dynamodb_* redis_* elasticache_*",
            "-o",
            "python_files=checks_*.py",
            "--rootdir",
            str(tmp_path),
            "-c",
            "/dev/null",
            f"--junitxml={path}",
            str(module),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    before = cases(path)
    assert outcome(before["redis_failover_recovers"])[0] == "fail"  # what pytest alone says
    assert len(before["dynamodb_gsi_configured"].result) == 1  # pytest: passed call + teardown error
    junit.finalize(fixture_run, path)
    assert_matches_results(path, fixture_run)
    after = cases(path)
    error = after["redis_failover_recovers"].result[0]
    assert isinstance(error, Error)
    assert "ConnectionRefusedError" in error.text  # pytest's own detail kept after ours
    assert error.message.startswith("The grader could not look: Redis sentinel")


def test_the_junitxml_path_a_user_gave_is_used() -> None:
    assert junit.junit_path_in(["-k", "x", "--junitxml=out/j.xml"]) == Path("out/j.xml")
    assert junit.junit_path_in(["--junit-xml", "j.xml"]) == Path("j.xml")
    assert junit.junit_path_in(["-k", "junitxml"]) is None


def test_illegal_xml_characters_are_replaced(tmp_path: Path, fixture_run: RunResult) -> None:
    import dataclasses

    checks = [
        dataclasses.replace(c, message="bad \x00 byte \x1b[31m") if c.id == "dynamodb_ttl_enabled" else c
        for c in fixture_run.checks
    ]
    path = junit.write(dataclasses.replace(fixture_run, checks=checks), tmp_path)
    assert outcome(cases(path)["dynamodb_ttl_enabled"]) == ("fail", "bad ? byte ?[31m")
