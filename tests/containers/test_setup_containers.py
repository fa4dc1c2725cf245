"""`labgrader grade --target containers --setup SCRIPT`: fresh containers (the locally built test images, started by
testcontainers without its reaper), the reference script, full marks minus the skipped ElastiCache/EC2 checks, and
no container left afterwards, also after Ctrl-C. Measured here: the reference run end to end 10 to 23 s."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from labgrader.setup_script import CONTAINER_LABEL
from tests.containers import images
from tests.setup.helpers import (
    REFERENCE_MODULE,
    REFERENCE_SCRIPT,
    command,
    grade,
    grader_environment,
    interrupt,
    processes_mentioning,
)

pytestmark = pytest.mark.slow


def _setup_containers() -> list[str]:
    """Every container (running or not) a `grade --setup` run labelled."""
    listed = subprocess.run(
        ["docker", "ps", "-a", "-q", "--filter", f"label={CONTAINER_LABEL}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return listed.stdout.split()


def _images(built: images.Images) -> dict[str, str]:
    return {"LABGRADER_REDIS_IMAGE": built.redis, "LABGRADER_DYNAMODB_IMAGE": built.dynamodb}


def test_the_reference_script_on_fresh_containers_earns_every_point_there_is(
    built_images: images.Images, tmp_path: Path
) -> None:
    before = set(_setup_containers())
    run = grade(
        REFERENCE_SCRIPT,
        tmp_path / "out",
        tmp_path / "tmp",
        "--target",
        "containers",
        "--solution",
        str(REFERENCE_MODULE),
        env=_images(built_images),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    results = run.results
    assert results["score"] == results["max_score"] > 0
    assert results["setup"]["failed_commands"] == []
    assert results["setup"]["exit_code"] == 0
    skipped = {c["id"] for c in results["checks"] if c["status"] == "skip"}
    assert {c["id"] for c in results["checks"] if c["status"] not in ("pass", "skip")} == set()
    # Only what has no container (ElastiCache, EC2) or needs a second node is skipped.
    assert all(i.startswith("elasticache_") or i in ("redis_replication_healthy", "redis_failover_recovers")
               for i in skipped), skipped  # fmt: skip
    assert "setup: starting fresh containers" in run.stdout
    assert set(_setup_containers()) == before
    assert not processes_mentioning(str(tmp_path / "tmp"))


def test_ctrl_c_during_the_script_leaves_no_container(built_images: images.Images, tmp_path: Path) -> None:
    marker = f"lg-sigint-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "submission"
    folder.mkdir()
    script = folder / "setup.sh"
    script.write_text(f"exec -a {marker} sleep 600\n", encoding="utf-8")
    before = set(_setup_containers())
    proc = subprocess.Popen(
        command(script, tmp_path / "out", "--target", "containers"),
        env=grader_environment(tmp_path / "tmp", _images(built_images)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    code, output = interrupt(proc, lambda: bool(processes_mentioning(marker)))
    assert code == 130, output
    assert set(_setup_containers()) == before
    assert not processes_mentioning(marker, str(tmp_path / "tmp"))


def test_ctrl_c_while_the_containers_start_leaves_none(built_images: images.Images, tmp_path: Path) -> None:
    """Interrupted as soon as the engine has a first container of the run (created, perhaps not yet started)."""
    before = set(_setup_containers())
    proc = subprocess.Popen(
        command(REFERENCE_SCRIPT, tmp_path / "out", "--target", "containers"),
        env=grader_environment(tmp_path / "tmp", _images(built_images)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    code, output = interrupt(proc, lambda: bool(set(_setup_containers()) - before))
    assert code == 130, output
    assert set(_setup_containers()) == before
