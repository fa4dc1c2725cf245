"""The README's Gradescope recipe, run for real: `labgrader grade --out /autograder` on the sandbox, with the
autograder's and the student's files (containing the word labgrader and a planted token) and a symbolic link pointing
outside in that folder. They stay byte-identical, results.json has no `***`, and the planted tokens of the grader's
environment appear in no output, in any form."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine.results import RESULTS_FILE
from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState

pytestmark = pytest.mark.sandbox

SESSION_TOKEN = "FAKEsessionTOKEN9999zzzz8888yyyy7777"
GITHUB_TOKEN = "ghp_FAKEgithubTOKEN0000aaaa1111bbbb2222"
PLANTED = (SESSION_TOKEN, GITHUB_TOKEN)


def forms(secret: str) -> list[str]:
    """Plain, reversed, and the base64 text that encodes only the secret's bytes at each of the three alignments."""
    found = [secret, secret[::-1]]
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + secret.encode() + b"tail").decode()
        found.append(encoded[4 if prefix else 0 : 4 * ((len(prefix) + len(secret)) // 3)])
    return found


def leaks(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    return [form for secret in PLANTED for form in forms(secret) if form in text]


def test_gradescope_recipe_leaves_foreign_files_alone(
    sandbox: SandboxState, sandbox_home: Path, solved: object, tmp_path: Path
) -> None:
    autograder = tmp_path / "autograder"
    outside = tmp_path / "instructor-notes.txt"
    outside.write_text(f"labgrader notes, token {GITHUB_TOKEN}\n")
    module = paths.reference_solution().read_text(encoding="utf-8")
    foreign = {
        autograder / "source" / "run_autograder": f"#!/bin/sh\nlabgrader grade --out /autograder # {GITHUB_TOKEN}\n",
        autograder / "source" / "setup.sh": "pip install labgrader\n",
        autograder / "submission" / "cache_aside.py": f"# labgrader lab; {SESSION_TOKEN}\n{module}",
        autograder / "submission_metadata.json": json.dumps({"labgrader_version": "x", "token": GITHUB_TOKEN}),
    }
    for path, text in foreign.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    link = autograder / "source" / "notes-link.txt"
    link.symlink_to(outside)
    # A junit.xml planted as a link out of --out: pytest must not write through it (it opens its file itself).
    ci_file = tmp_path / "ci-config.xml"
    ci_file.write_text("<config>the instructor's</config>\n")
    (autograder / "junit.xml").symlink_to(ci_file)
    # Likewise a latency picture's name planted as a link: the grader's picture replaces the link.
    picture_target = tmp_path / "instructor-logo.svg"
    picture_target.write_text("<svg>the instructor's</svg>\n")
    (autograder / "latency-hit-vs-miss.svg").symlink_to(picture_target)
    before = {path: path.read_bytes() for path in [*foreign, outside, ci_file, picture_target]}

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_", "GITHUB_"))}
    env |= manager.env_exports(sandbox)  # eval "$(labgrader sandbox env)": the public labgrader/labgrader keys
    env |= {
        "LABGRADER_HOME": str(sandbox_home),
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", "grade", "--target", "local",
         "--solution", str(autograder / "submission" / "cache_aside.py"),
         "--format", "all", "--out", str(autograder)],
        env=env, capture_output=True, timeout=300, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert {path: path.read_bytes() for path in before} == before  # byte-identical, the link's target too
    assert link.is_symlink()
    assert link.readlink() == outside
    junit_file = autograder / "junit.xml"
    assert not junit_file.is_symlink()  # the grader's own file replaced the link
    assert junit_file.is_file()
    assert not list(autograder.glob(".labgrader-pytest-junit-*"))  # pytest's private copy is gone
    picture = autograder / "latency-hit-vs-miss.svg"
    assert not picture.is_symlink()
    assert picture.read_text(encoding="utf-8").startswith("<svg")
    results_text = (autograder / RESULTS_FILE).read_text(encoding="utf-8")
    assert "***" not in results_text
    results = json.loads(results_text)
    assert results["labgrader_version"]  # the key itself survives: no "***_version"
    assert all(check["status"] in ("pass", "skip") for check in results["checks"])
    written = [p for p in autograder.rglob("*") if p.is_file() and not p.is_symlink() and p not in before]
    written += [tmp_path / "github-output", tmp_path / "step-summary.md"]
    assert {autograder / "results" / "results.json", autograder / "report.html", autograder / "junit.xml"} <= set(
        written
    )
    for path in written:
        assert leaks(path.read_bytes()) == [], path
        assert b"***" not in path.read_bytes(), path  # nothing masked: the word labgrader is not a secret
    assert leaks(done.stdout + done.stderr) == []
    assert b"***" not in done.stdout
