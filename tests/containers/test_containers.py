"""`labgrader grade --target containers` on real containers: the student's DynamoDB + Redis pair (the locally built
images standing in for DynamoDB Local and redis:7), graded where it answers; and the fresh-containers path.

Every address is loopback: the containers publish on 127.0.0.1 and the grader is always given their URLs (never
the machine's own Redis on 6379).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
import yaml

from labgrader import paths
from labgrader.engine import catalog, runner
from labgrader.spec import load_spec
from labgrader.targets import containers, open_target
from labgrader.targets.base import TargetError
from tests.conftest import closed_port
from tests.containers import images
from tests.containers.conftest import (
    Stack,
    containers_labelled,
    loopback_container,
    redis_answers,
    remove_labelled,
    wait_until,
)

REFERENCE_SOLUTION = paths.reference_solution()
NO_CONTAINER_FOR = {"redis_replication_healthy", "redis_failover_recovers"}  # one Redis, no replica, no sentinel


def grade_cli(stack: Stack, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "labgrader",
            "grade",
            "--target",
            "containers",
            "--endpoint-url",
            stack.endpoint_url,
            "--redis-url",
            stack.redis_url,
            "--out",
            str(out),
            "--format",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_environment(),
    )


def _environment() -> dict[str, str]:
    # The grader must find nothing of the machine's own AWS or Redis settings.
    drop = ("REDIS_URL", "AWS_ENDPOINT_URL", "AWS_PROFILE", "DOCKER_HOST")
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_a_students_stack_grades_with_real_verdicts(student_stack: Stack, tmp_path: Path) -> None:
    started = time.monotonic()
    graded = grade_cli(student_stack, tmp_path, "--solution", str(REFERENCE_SOLUTION))
    elapsed = time.monotonic() - started
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr
    first_line = graded.stdout.splitlines()[0]
    assert f"container {student_stack.dynamodb_name}" in first_line
    assert f"container {student_stack.redis_name}" in first_line
    results = json.loads((tmp_path / "results.json").read_text())
    by_id = {check["id"]: check for check in results["checks"]}
    graded_here = [
        check_id
        for check_id, entry in catalog.BY_ID.items()
        if entry.section in ("dynamodb", "redis", "cache_aside", "latency") and check_id not in NO_CONTAINER_FOR
    ]
    assert graded_here
    assert {check_id: by_id[check_id]["status"] for check_id in graded_here} == dict.fromkeys(graded_here, "pass")
    for check_id, entry in catalog.BY_ID.items():
        if entry.section == "elasticache":
            assert by_id[check_id]["status"] == "skip"
            assert "ElastiCache's control plane has no container image" in by_id[check_id]["message"]
    assert results["score"] == results["max_score"] > 0
    print(f"containers grading run end to end: {elapsed:.1f} s")


def test_an_empty_stack_fails_naming_what_is_missing(fresh_stack: Stack, tmp_path: Path) -> None:
    """Nothing set up: the student's misses are `fail` with their fix, never `error`."""
    spec = load_spec(paths.default_lab_spec())
    target = containers.attach(fresh_stack.endpoint_url, fresh_stack.redis_url, "us-east-1")
    only = {"dynamodb_table_exists", "redis_exercise_state", "redis_eviction_policy", "redis_reachable"}
    run = runner.grade(spec, target, out_dir=tmp_path, only=frozenset(only))
    assert run.get("redis_reachable").status == "pass"
    missing_table = run.get("dynamodb_table_exists")
    assert missing_table.status == "fail"
    assert "LabProducts" in missing_table.message
    assert "aws dynamodb create-table" in (missing_table.hint or "")
    assert run.get("redis_exercise_state").status == "fail"
    assert run.get("redis_eviction_policy").status == "fail"


def test_a_dynamodb_only_lab_grades_dynamodb_local_alone(fresh_stack: Stack, tmp_path: Path) -> None:
    """The FCJ Music lab has no Redis: only the DynamoDB endpoint is needed (no default Redis is looked at)."""
    spec = load_spec(paths.labs_dir() / "fcj-music.toml")
    with open_target("containers", spec, endpoint_url=fresh_stack.endpoint_url) as target:
        assert target.redis_url is None
        run = runner.grade(spec, target, out_dir=tmp_path)
    assert run.get("dynamodb_table_exists").status == "fail"
    assert "Music" in run.get("dynamodb_table_exists").message
    statuses = {check.id: check.status for check in run.checks}
    assert "error" not in statuses.values(), statuses
    for check in run.checks:
        if check.section in ("redis", "cache_aside", "latency", "elasticache"):
            assert check.status == "skip", (check.id, check.status)


def test_a_broken_cache_aside_module_fails_on_the_containers(student_stack: Stack, tmp_path: Path) -> None:
    module = paths.fixtures_dir() / "solutions" / "broken" / "no_invalidation.py"
    spec = load_spec(paths.default_lab_spec())
    target = containers.attach(student_stack.endpoint_url, student_stack.redis_url, "us-east-1")
    ids = frozenset(i for i, e in catalog.BY_ID.items() if e.section == "cache_aside")
    run = runner.grade(spec, target, out_dir=tmp_path, solution=module, only=ids)
    statuses = {check.id: check.status for check in run.checks if check.id in ids}
    assert statuses["cache_aside_write_invalidates"] == "fail", statuses
    assert "error" not in statuses.values(), statuses


def test_the_scorecard_names_the_endpoints_when_no_engine_answers(student_stack: Stack, tmp_path: Path) -> None:
    target = containers.attach(student_stack.endpoint_url, student_stack.redis_url, "us-east-1")
    assert target.endpoint_owners["redis"].startswith(f"container {student_stack.redis_name} (labgrader-test/redis")
    assert containers.published_ports(str(tmp_path / "no-engine.sock")) == {}
    bare = containers.containers_target(student_stack.endpoint_url, student_stack.redis_url, "us-east-1")
    assert bare.describe() == (
        f"containers (DynamoDB at {student_stack.endpoint_url}, Redis at {student_stack.redis_url}; region us-east-1)"
    )


def test_a_missing_endpoint_is_one_line_and_exit_3_naming_the_start_command(tmp_path: Path) -> None:
    for endpoint, redis_url, missing in (
        (f"http://127.0.0.1:{closed_port()}", f"redis://127.0.0.1:{closed_port()}/0", "DynamoDB endpoint"),
    ):
        started = time.monotonic()
        with pytest.raises(TargetError) as caught:
            containers.attach(endpoint, redis_url, "us-east-1")
        assert time.monotonic() - started < 3.0
        assert caught.value.exit_code == 3
        assert f"no {missing} at {endpoint}" in str(caught.value)
        assert f"`docker compose -f {paths.compose_file()} up -d`" in str(caught.value)
    graded = subprocess.run(
        [
            *(sys.executable, "-m", "labgrader", "grade", "--target", "containers", "--out", str(tmp_path / "out")),
            *(
                "--endpoint-url",
                f"http://127.0.0.1:{closed_port()}",
                "--redis-url",
                f"redis://127.0.0.1:{closed_port()}",
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_environment(),
    )
    assert graded.returncode == 3
    assert graded.stderr.count("\n") == 1
    assert f"docker compose -f {paths.compose_file()} up -d" in graded.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_redis_is_named_when_dynamodb_answers(student_stack: Stack) -> None:
    redis_url = f"redis://127.0.0.1:{closed_port()}/0"
    with pytest.raises(TargetError) as caught:
        containers.attach(student_stack.endpoint_url, redis_url, "us-east-1")
    assert f"no Redis at {redis_url}" in str(caught.value)
    assert "--redis-url" in str(caught.value)


def test_interrupting_an_attached_run_leaves_the_students_containers_as_they_were(
    student_stack: Stack, tmp_path: Path
) -> None:
    before = set(containers_labelled())
    grading = subprocess.Popen(
        [
            *(sys.executable, "-m", "labgrader", "grade", "--target", "containers", "--format", "json"),
            *("--endpoint-url", student_stack.endpoint_url, "--redis-url", student_stack.redis_url),
            *("--solution", str(REFERENCE_SOLUTION), "--out", str(tmp_path)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    assert grading.stdout is not None
    grading.stdout.readline()  # the first line: grading has begun
    time.sleep(1.0)
    grading.send_signal(signal.SIGINT)
    _, stderr = grading.communicate(timeout=60)
    # An interrupted run is reported as such (exit 3: not everything could be looked at), or exits 130 when the
    # interrupt came before grading.
    assert grading.returncode in (3, 130), stderr
    assert set(containers_labelled()) == before
    # The student's data is still there, and the grader's scratch keys are not.
    client = redis.Redis.from_url(student_stack.redis_url, decode_responses=True)
    try:
        assert client.get("lab:hello") == "world"
    finally:
        client.close()


FRESH_RUN = textwrap.dedent(
    """
    import sys, time
    from labgrader.targets import containers
    with containers.started("us-east-1") as target:
        print(target.redis_url, target.endpoint_url, flush=True)
        time.sleep(120)
    """
)


def _fresh_run_environment(built: images.Images) -> dict[str, str]:
    return _environment() | {
        "LABGRADER_REDIS_IMAGE": built.redis,
        "LABGRADER_DYNAMODB_IMAGE": built.dynamodb,
        "TESTCONTAINERS_RYUK_DISABLED": "true",
        "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
        "TC_HOST": "127.0.0.1",
    }


def _containers_of(built: images.Images) -> set[str]:
    """The fresh path's containers: started from the test images by testcontainers, not by this module's fixtures."""
    found: set[str] = set()
    for image in (built.redis, built.dynamodb):
        listed = subprocess.run(
            [
                "docker",
                "ps",
                "-a",
                "-q",
                "--no-trunc",
                "--filter",
                f"ancestor={image}",
                "--filter",
                "label=org.testcontainers=true",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        found.update(listed.stdout.split())
    return found - set(containers_labelled())


def test_fresh_containers_start_answer_and_are_gone_after_ctrl_c(built_images: images.Images) -> None:
    fresh = subprocess.Popen(
        [sys.executable, "-c", FRESH_RUN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_fresh_run_environment(built_images),
    )
    try:
        assert fresh.stdout is not None
        redis_url, endpoint = fresh.stdout.readline().split()
        assert redis_url.startswith("redis://127.0.0.1:")
        assert endpoint.startswith("http://127.0.0.1:")
        assert len(_containers_of(built_images)) == 2
        client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    assert client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        finally:
            client.close()
        fresh.send_signal(signal.SIGINT)
        fresh.communicate(timeout=60)
    finally:
        if fresh.poll() is None:
            fresh.kill()
            fresh.wait()
    assert fresh.returncode != 0  # interrupted
    assert _containers_of(built_images) == set()


COMPOSE = yaml.safe_load(paths.compose_file().read_text())


def test_the_compose_file_publishes_what_the_grader_looks_for_by_default() -> None:
    services = COMPOSE["services"]
    assert services["dynamodb"]["image"].startswith("amazon/dynamodb-local")
    assert "-sharedDb" in services["dynamodb"]["command"]  # the grader's credentials see the student's tables
    assert services["redis"]["image"] == "redis:7"
    published = {name: service["ports"] for name, service in services.items()}
    assert published == {
        "dynamodb": [f"127.0.0.1:{containers.DYNAMODB_PORT}:8000"],
        "redis": [f"127.0.0.1:{containers.REDIS_PORT}:6379"],
    }
    assert containers.DEFAULT_DYNAMODB_ENDPOINT.endswith(f":{containers.DYNAMODB_PORT}")
    assert f":{containers.REDIS_PORT}/" in containers.DEFAULT_REDIS_URL


def test_the_compose_files_redis_command_has_rdb_on(built_images: images.Images, tmp_path: Path) -> None:
    """The compose file's own Redis command, run on the test Redis image: the persistence check passes on it."""
    with ExitStack() as stack:
        label = uuid.uuid4().hex[:10]
        stack.callback(remove_labelled, label)
        container = loopback_container(built_images.redis, images.REDIS_PORT, f"lab-compose-redis-{label}", label)
        # The official redis image is built with protected mode off; Debian's binary has it on, so it is said here.
        container.with_command([*COMPOSE["services"]["redis"]["command"], "--protected-mode", "no"])
        container.start()
        stack.callback(container.stop)
        redis_url = f"redis://127.0.0.1:{container.get_exposed_port(images.REDIS_PORT)}/0"
        wait_until(lambda: redis_answers(redis_url), "the compose file's Redis")
        target = containers.containers_target(f"http://127.0.0.1:{closed_port()}", redis_url, "us-east-1")
        run = runner.grade(
            load_spec(paths.default_lab_spec()),
            target,
            out_dir=tmp_path,
            only=frozenset({"redis_persistence_configured"}),
        )
    assert run.get("redis_persistence_configured").status == "pass", run.get("redis_persistence_configured").message


def test_images_are_reused_by_content_hash(built_images: images.Images) -> None:
    started = time.monotonic()
    again = images.build_all()
    assert again == built_images
    print(f"cached image build: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-n0", "-q"]))
