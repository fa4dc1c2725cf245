"""Secrets never reach a report, a log or the terminal: recognisable fake AWS keys, a session token and a Redis
password are planted in the environment and the URL, a full run writes every format, and everything it wrote or
printed is searched for them, as such, reversed and base64-encoded."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labgrader import paths

pytestmark = pytest.mark.sandbox

SECRET_KEY = "FAKEsecretKEY0000aaaa1111bbbb2222cccc3333"
SESSION_TOKEN = "FAKEsessionTOKEN9999zzzz8888yyyy7777"
REDIS_PASSWORD = "FAKEredisPASSWORD4242"
PLANTED = (SECRET_KEY, SESSION_TOKEN, REDIS_PASSWORD)


def _files_containing(folder: Path, needle: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_no_planted_secret_appears_anywhere(sandbox, solved, redis_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = redis_server("--requirepass", REDIS_PASSWORD)
    host_port = url.removeprefix("redis://").removesuffix("/0")
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    env.update(
        {
            "LABGRADER_HOME": str(tmp_path),
            "AWS_ENDPOINT_URL": sandbox.moto_url,  # the aws target, answered by the sandbox's moto
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_SESSION_TOKEN": SESSION_TOKEN,
            "REDIS_PASSWORD": REDIS_PASSWORD,
            "GITHUB_OUTPUT": str(tmp_path / "github-output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", "grade", "--target", "aws", "--region", "us-east-1",
         "--redis-url", f"redis://:{REDIS_PASSWORD}@{host_port}/0", "--solution", str(paths.reference_solution()),
         "--format", "all", "--out", str(out), "--student-id", "s-1"],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    written = sorted(p.name for p in out.rglob("*") if p.is_file())
    assert {"results.json", "report.html", "summary.md", "junit.xml", "classroom.json"} <= set(written)
    assert done.returncode in (0, 1, 3), done.stderr
    assert "***" in done.stdout  # the Redis URL is shown, redacted
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    statuses = {c["id"]: c["status"] for c in results["checks"]}
    assert statuses["redis_reachable"] == "pass"  # the grader did use the password
    assert statuses["dynamodb_table_exists"] == "pass"  # and the planted AWS keys
    for secret in PLANTED:
        for form in forms(secret):
            assert form not in done.stdout
            assert form not in done.stderr
            assert _files_containing(out, form) == []
            assert _files_containing(tmp_path, form) == [], "a file outside --out (GitHub outputs, logs) leaks it"


def forms(secret: str) -> list[str]:
    """Plain, reversed, and the base64 text that encodes only the secret's bytes at each of the three alignments."""
    found = [secret, secret[::-1]]
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + secret.encode() + b"tail").decode()
        found.append(encoded[4 if prefix else 0 : 4 * ((len(prefix) + len(secret)) // 3)])
    return found
