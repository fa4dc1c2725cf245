"""`labgrader grade --target containers --setup SCRIPT`: fresh containers (the locally built test images, started by
testcontainers without its reaper), the reference script, full marks minus the skipped ElastiCache/EC2 checks, and
no container left afterwards, also after Ctrl-C; a script failing half-way and one that hangs, each shown in the
report, the checks they broke failing, nothing left. Measured here: the reference run end to end 10 to 23 s."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.setup_script import CONTAINER_LABEL
from tests.containers import images
from tests.setup.helpers import (
    REFERENCE_MODULE,
    REFERENCE_SCRIPT,
    Run,
    command,
    grade,
    grader_environment,
    interrupt,
    processes_mentioning,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def run_images(built_images: images.Images) -> Iterator[dict[str, str]]:
    """The test images under references of this test's own (LABGRADER_*_IMAGE): the containers its runs start are
    told apart from those of any other `grade --setup` run on the same engine (another test session's carry the same
    label). Untagged afterwards (the images stay under their content-hash tags)."""
    suffix = f"run-{uuid.uuid4().hex[:12]}"
    refs = {
        "LABGRADER_REDIS_IMAGE": f"{built_images.redis.rsplit(':', 1)[0]}:{suffix}",
        "LABGRADER_DYNAMODB_IMAGE": f"{built_images.dynamodb.rsplit(':', 1)[0]}:{suffix}",
    }
    for source, ref in ((built_images.redis, refs["LABGRADER_REDIS_IMAGE"]),
                        (built_images.dynamodb, refs["LABGRADER_DYNAMODB_IMAGE"])):  # fmt: skip
        subprocess.run(["docker", "tag", source, ref], capture_output=True, timeout=30, check=True)
    yield refs
    subprocess.run(["docker", "rmi", *refs.values()], capture_output=True, timeout=60, check=False)


def _setup_containers(refs: dict[str, str]) -> set[str]:
    """Every container (running or not) a `grade --setup` run labelled, started from this test's image references."""
    listed = subprocess.run(
        ["docker", "ps", "-a", "--no-trunc", "--filter", f"label={CONTAINER_LABEL}", "--format", "{{.ID}} {{.Image}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    ours = set(refs.values())
    return {line.split()[0] for line in listed.stdout.splitlines() if line.split()[1:] and line.split()[1] in ours}


def test_the_reference_script_on_fresh_containers_earns_every_point_there_is(
    run_images: dict[str, str], tmp_path: Path
) -> None:
    before = _setup_containers(run_images)
    run = grade(
        REFERENCE_SCRIPT,
        tmp_path / "out",
        tmp_path / "tmp",
        "--target",
        "containers",
        "--solution",
        str(REFERENCE_MODULE),
        env=run_images,
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
    assert _setup_containers(run_images) == before
    assert not processes_mentioning(str(tmp_path / "tmp"))


def test_ctrl_c_during_the_script_leaves_no_container(run_images: dict[str, str], tmp_path: Path) -> None:
    marker = f"lg-sigint-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "submission"
    folder.mkdir()
    script = folder / "setup.sh"
    script.write_text(f"exec -a {marker} sleep 600\n", encoding="utf-8")
    before = _setup_containers(run_images)
    proc = subprocess.Popen(
        command(script, tmp_path / "out", "--target", "containers"),
        env=grader_environment(tmp_path / "tmp", run_images),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    code, output = interrupt(proc, lambda: bool(processes_mentioning(marker)))
    assert code == 130, output
    assert _setup_containers(run_images) == before
    assert not processes_mentioning(marker, str(tmp_path / "tmp"))


def test_ctrl_c_while_the_containers_start_leaves_none(run_images: dict[str, str], tmp_path: Path) -> None:
    """Interrupted as soon as the engine has a first container of the run (created, perhaps not yet started)."""
    before = _setup_containers(run_images)
    proc = subprocess.Popen(
        command(REFERENCE_SCRIPT, tmp_path / "out", "--target", "containers"),
        env=grader_environment(tmp_path / "tmp", run_images),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    code, output = interrupt(proc, lambda: bool(_setup_containers(run_images) - before))
    assert code == 130, output
    assert _setup_containers(run_images) == before


def _script(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "setup.sh"
    script.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return script


# The checks these failure tests judge (the reference test above grades everything): a third of the run's time.
ONLY_WHAT_IS_ASSERTED = ("--", "-k", "dynamodb_table_exists or dynamodb_dataset_imported or redis_exercise_state")


def _grade_on_containers(run_images: dict[str, str], script: Path, tmp_path: Path, *options: str) -> Run:
    """`grade --setup SCRIPT --target containers`; the run must leave no container and no process behind."""
    before = _setup_containers(run_images)
    run = grade(script, tmp_path / "out", tmp_path / "tmp", "--target", "containers", *options, env=run_images)
    assert _setup_containers(run_images) == before
    return run


def test_a_script_failing_half_way_on_containers_shows_the_command_and_the_checks_it_broke_fail(
    run_images: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(paths.fixtures_dir() / "data" / "batch" / "books.json", folder / "books.json")
    script = _script(
        folder,
        """
        set -euo pipefail
        aws dynamodb create-table --table-name LabProducts \\
            --attribute-definitions AttributeName=category,AttributeType=S AttributeName=sku,AttributeType=S \\
            --key-schema AttributeName=category,KeyType=HASH AttributeName=sku,KeyType=RANGE \\
            --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus --output text
        aws dynamodb batch-write-item --request-items file://books.json --output text
        aws dynamodb batch-write-item --request-items file://games.json --output text
        redis-cli -u "$REDIS_URL" SET lab:hello world
        """,
    )
    run = _grade_on_containers(run_images, script, tmp_path, *ONLY_WHAT_IS_ASSERTED)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    setup = run.results["setup"]
    assert setup["exit_code"] == 255
    (failed,) = setup["failed_commands"]
    assert (failed["line"], failed["exit_code"]) == (7, 255)
    assert failed["command"] == "aws dynamodb batch-write-item --request-items file://games.json --output text"
    assert "games.json" in failed["last_output"]
    assert "No such file" in failed["last_output"]
    shown = "line 7: `aws dynamodb batch-write-item --request-items file://games.json --output text` exited 255: "
    assert shown in run.stdout
    # What ran before the failure counts (the table, 25 books); what it never reached fails.
    assert run.status("dynamodb_table_exists") == "pass"
    assert run.status("dynamodb_dataset_imported") == "fail"
    assert run.status("redis_exercise_state") == "fail"
    assert not processes_mentioning(str(tmp_path / "tmp"))


def test_a_hanging_script_on_containers_is_killed_at_the_timeout(run_images: dict[str, str], tmp_path: Path) -> None:
    marker = f"lg-hang-{uuid.uuid4().hex[:8]}"
    script = _script(
        tmp_path / "submission",
        f"""
        echo "waiting for a table that never comes"
        ( exec -a {marker} sleep 600 ) &
        exec -a {marker} sleep 600
        """,
    )
    run = _grade_on_containers(run_images, script, tmp_path, "--setup-timeout", "2", *ONLY_WHAT_IS_ASSERTED)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    setup = run.results["setup"]
    assert (setup["timed_out"], setup["exit_code"]) == (True, None)
    assert 2 <= setup["duration_s"] < 10
    assert "still running at the 2.0 s timeout: killed (whole process tree)" in run.stdout
    assert "last output: waiting for a table that never comes" in run.stdout
    # Nothing was set up: the checks it never reached fail (graded, not `error`).
    assert run.status("dynamodb_table_exists") == "fail"
    assert run.status("redis_exercise_state") == "fail"
    assert not processes_mentioning(marker, str(tmp_path / "tmp"))
