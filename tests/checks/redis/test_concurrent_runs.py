"""Two grading runs of the Redis checks at once on one sandbox: each fails the sandbox over and back, and neither
run's other checks meet the read-only replica of the other's failover (they share the sandbox, the failover takes
it alone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.sandbox


def test_two_runs_at_once_both_pass(solved, sandbox_home, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    env["LABGRADER_HOME"] = str(sandbox_home)
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "labgrader",
                "grade",
                "--target",
                "local",
                "--out",
                str(tmp_path / name),
                "--",
                "-k",
                "redis_",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [run.communicate(timeout=180)[0] for run in runs]
    for name, output in zip(("a", "b"), outputs, strict=True):
        checks = json.loads((tmp_path / name / "results.json").read_text())["checks"]
        redis_checks = {c["id"]: c for c in checks if c["id"].startswith("redis_")}
        assert len(redis_checks) == 8
        failing = {k: c["message"] for k, c in redis_checks.items() if c["status"] != "pass"}
        assert failing == {}, output
