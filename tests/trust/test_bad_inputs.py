"""The bad-input matrix: every wrong input is one clear line naming the cause and the fix, the right exit code,
within a few seconds — never a traceback, never a hang. Endpoints are loopback only (a closed port, a listener that
accepts and never answers)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.sandbox import manager
from labgrader.sandbox import state as sandbox_state
from tests.conftest import closed_port
from tests.trust.fake_endpoints import silent_listener

WEEK8 = paths.default_lab_spec()


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def line(self) -> str:
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


def labgrader(*args: str, env: dict[str, str] | None = None, home: Path, timeout: float = 90) -> Outcome:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
    clean.update(
        {
            "LABGRADER_HOME": str(home),
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            **(env or {}),
        }
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "labgrader", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    outcome = Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    assert "Traceback" not in done.stdout + done.stderr
    return outcome


def _spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "lab.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


WEEK8_TEXT = WEEK8.read_text(encoding="utf-8").replace(
    'path = "../data/batch"', f'path = "{paths.fixtures_dir() / "data" / "batch"}"'
)

SPEC_CASES = {
    "malformed": ("[lab\nname='x'", "not valid TOML"),
    "partial": ("[dynamodb]\ntable = 'T'\n", "lab: required field is missing"),
    "contradictory": (
        WEEK8_TEXT.replace("automatic_failover = true", "automatic_failover = false"),
        "multi_az = true needs automatic_failover = true",
    ),
    "wrong type": (
        WEEK8_TEXT.replace("min_replicas = 1\nautomatic", "min_replicas = 'one'\nautomatic"),
        "elasticache.min_replicas",
    ),
}


@pytest.mark.parametrize("case", sorted(SPEC_CASES))
def test_bad_specs(tmp_path: Path, case: str) -> None:
    text, words = SPEC_CASES[case]
    done = labgrader("grade", "--lab", _spec(tmp_path, text), home=tmp_path)
    assert done.code == 2
    assert words in done.line
    assert done.seconds < 10


def test_a_solution_that_does_not_exist(tmp_path: Path) -> None:
    done = labgrader("grade", "--solution", str(tmp_path / "mine.py"), home=tmp_path)
    assert done.code == 2
    assert "no such file (give the path to your cache-aside module .py)" in done.line


def test_an_unknown_target(tmp_path: Path) -> None:
    done = labgrader("grade", "--target", "gcp", home=tmp_path)
    assert done.code == 2
    assert "invalid choice: 'gcp' (choose from 'local', 'aws', 'containers')" in done.line


def test_a_malformed_region(tmp_path: Path) -> None:
    done = labgrader("grade", "--target", "aws", "--region", "us-east-one", home=tmp_path)
    assert done.code == 2
    assert (
        done.line == "labgrader: --region 'us-east-one' is not an AWS region name (like us-east-1 or ap-southeast-1)."
    )


def test_no_sandbox_for_the_local_target(tmp_path: Path) -> None:
    done = labgrader("grade", "--target", "local", home=tmp_path)
    assert done.code == 3
    assert "the sandbox is not running: start it with `labgrader sandbox up --detach`" in done.line


FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "fake/secret/key/for/tests"}


def test_a_closed_aws_endpoint(tmp_path: Path) -> None:
    env = {**FAKE_KEYS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}
    done = labgrader("grade", "--target", "aws", "--region", "us-east-1", env=env, home=tmp_path)
    assert done.code == 3
    assert "did not answer within 3 s" in done.line
    assert done.seconds < 15


def test_an_aws_endpoint_that_accepts_and_never_answers(tmp_path: Path) -> None:
    with silent_listener() as port:
        env = {**FAKE_KEYS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
        done = labgrader("grade", "--target", "aws", "--region", "us-east-1", env=env, home=tmp_path)
    assert done.code == 3
    assert "did not answer within 3 s" in done.line
    assert done.seconds < 15


def test_no_aws_credentials(tmp_path: Path) -> None:
    done = labgrader(
        "grade", "--target", "aws", "--region", "us-east-1", env={"AWS_EC2_METADATA_DISABLED": "true"}, home=tmp_path
    )
    assert done.code == 3
    assert done.line.startswith("labgrader: no AWS credentials found: run `aws configure`")
    assert done.seconds < 10


@pytest.fixture
def graded_sandbox(sandbox, sandbox_home: Path, solved) -> Path:  # type: ignore[no-untyped-def]
    """The shared sandbox's home, with the reference solution applied."""
    return sandbox_home


@pytest.mark.sandbox
def test_a_wrong_region_fails_naming_where_the_table_is(graded_sandbox: Path, sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**FAKE_KEYS, "AWS_ENDPOINT_URL": sandbox.moto_url}
    done = labgrader(
        "grade",
        "--target",
        "aws",
        "--region",
        "eu-west-3",
        "--redis-url",
        sandbox.redis_url,
        "--out",
        str(tmp_path / "out"),
        "--format",
        "json",
        "--",
        "-k",
        "dynamodb_table_exists",
        env=env,
        home=tmp_path,
    )
    assert done.code == 1
    assert "DynamoDB table LabProducts was not found in eu-west-3" in done.stdout
    assert "us-east-1" in done.stdout


@pytest.mark.sandbox
def test_a_redis_url_with_a_bad_password(graded_sandbox: Path, redis_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = redis_server("--requirepass", "the-right-one")
    bad = url.replace("redis://", "redis://:not-the-password@")
    done = labgrader(
        "grade",
        "--target",
        "local",
        "--redis-url",
        bad,
        "--out",
        str(tmp_path / "out"),
        "--format",
        "json",
        "--",
        "-k",
        "redis_reachable or redis_exercise_state",
        home=graded_sandbox,
    )
    assert done.code == 3
    assert "refused the grader's credentials: fix the password in --redis-url or REDIS_PASSWORD" in done.line
    assert "not-the-password" not in done.stdout + done.stderr
    assert done.seconds < 30


@pytest.mark.sandbox
@pytest.mark.slow  # waits out the grader's Redis timeouts: ≈ 15 s
def test_a_redis_that_accepts_and_never_answers(graded_sandbox: Path, tmp_path: Path) -> None:
    with silent_listener() as port:
        done = labgrader(
            "grade", "--target", "local", "--redis-url", f"redis://127.0.0.1:{port}/0", "--solution",
            str(paths.reference_solution()), "--out", str(tmp_path / "out"), "--format", "json",
            "--", "-k", "redis_ or cache_aside", home=graded_sandbox,
        )  # fmt: skip
    assert done.code == 3, done.stdout
    assert "did not answer (Timeout" in done.line
    assert done.seconds < 40


@pytest.mark.sandbox
def test_a_solution_that_does_not_import(graded_sandbox: Path, tmp_path: Path) -> None:
    module = tmp_path / "broken.py"
    module.write_text("import no_such_module_anywhere\n", encoding="utf-8")
    done = labgrader(
        "grade",
        "--target",
        "local",
        "--solution",
        str(module),
        "--out",
        str(tmp_path / "out"),
        "--format",
        "json",
        "--",
        "-k",
        "cache_aside_miss",
        home=graded_sandbox,
    )
    assert done.code == 1
    assert "No module named 'no_such_module_anywhere'" in done.stdout


# --- odd inputs: files, folders, pipes, Ctrl-C (issue 18) ------------------------------------------------------
# Each asserts the exact line, the exit code, and that nothing was left: no new file under the test's folder (so
# no partial report, no `.partial-…`/`results.tmp…`) and no sandbox process of the test's home.

RESULTS_FIXTURE = Path(__file__).parents[1] / "reports" / "results.json"


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if not p.is_dir()}


def _assert_nothing_left(root: Path, before: set[Path], home: Path) -> None:
    assert _files(root) - before == set(), "files were left behind"
    assert not [p for p in root.rglob("*") if ".partial-" in p.name or ".tmp" in p.name]
    assert sandbox_state.find_processes(home) == {}, "a sandbox process was left running"


def _odd(tmp_path: Path, *args: str, code: int, line: str) -> Outcome:
    before = _files(tmp_path)
    done = labgrader(*args, home=tmp_path / "home", timeout=30)
    assert done.code == code, done.stderr
    assert done.line == line
    assert done.seconds < 15
    _assert_nothing_left(tmp_path, before, tmp_path / "home")
    return done


def test_out_naming_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("mine")
    _odd(
        tmp_path,
        "grade",
        "--out",
        str(tmp_path / "report.txt"),
        code=2,
        line=f"labgrader: --out {tmp_path}/report.txt: it is a file, not a folder: give a folder for the reports.",
    )
    assert (tmp_path / "report.txt").read_text() == "mine"


def test_out_under_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("mine")
    out = tmp_path / "report.txt" / "run1"
    _odd(
        tmp_path,
        "cleanup",
        "--out",
        str(out),
        code=2,
        line=f"labgrader: --out {out}: {tmp_path}/report.txt is a file, so the folder cannot be made there.",
    )


def test_gradebook_out_naming_a_folder(tmp_path: Path) -> None:
    _odd(
        tmp_path,
        "gradebook",
        str(RESULTS_FIXTURE),
        "--out",
        str(tmp_path),
        code=2,
        line=f"labgrader: --out {tmp_path}: it is a folder: give the CSV file to write (like gradebook.csv).",
    )


@contextmanager
def _tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at `path` (root only): the real read-only or full file system, not a simulation."""
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root (the in-process ENOSPC test covers a full disk without it)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_a_read_only_out(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as read_only:
        _odd(
            tmp_path,
            "grade",
            "--out",
            str(read_only / "run"),
            code=3,
            line=f"labgrader: --out {read_only}/run: {read_only} is not writable (read-only or no permission).",
        )


def test_a_full_disk_under_out(tmp_path: Path) -> None:
    """results.json (24 KB) fits, report.html does not: one line, exit 3, results.json whole, no partial file."""
    with _tmpfs(tmp_path / "full", "size=48k") as full:
        done = labgrader("report", str(RESULTS_FIXTURE), "--out", str(full), "--format", "all", home=tmp_path)
        assert done.code == 3
        assert done.line == f"labgrader: cannot write {full}/report.html: No space left on device."
        assert {p.name for p in full.iterdir()} == {"results.json"}
        assert json.loads((full / "results.json").read_text()) == json.loads(RESULTS_FIXTURE.read_text())


def test_a_full_disk_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without root: every write stops half-way with ENOSPC; nothing partial is left."""
    from labgrader import reports
    from labgrader.engine.outdir import OutputError
    from labgrader.reports.model import run_from_dict

    real_write_text = Path.write_text

    def half_then_enospc(self: Path, data: str, *args: object, **kwargs: object) -> int:
        real_write_text(self, data[: len(data) // 2], encoding="utf-8")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", half_then_enospc)
    run = run_from_dict(json.loads(RESULTS_FIXTURE.read_text()))
    with pytest.raises(OutputError) as raised:
        reports.write_reports(run, tmp_path / "out", ["html", "gradescope"])
    assert str(raised.value) == f"cannot write {tmp_path}/out/results.json: No space left on device."
    assert raised.value.exit_code == 3
    assert _files(tmp_path) == set()


def test_policy_template_out_dev_full(tmp_path: Path) -> None:
    _odd(
        tmp_path,
        "policy",
        "--role-for",
        "123456789012",
        "--template-out",
        "/dev/full",
        code=3,
        line="labgrader: cannot write /dev/full: No space left on device.",
    )
    assert Path("/dev/full").is_char_device()  # written in place, never replaced by a file


def test_policy_template_out_on_a_full_disk(tmp_path: Path) -> None:
    """A real full file system: one line, exit 3, no template and no partial file left."""
    with _tmpfs(tmp_path / "full", "size=4k") as full:
        (full / "filler").write_bytes(b"x" * 4096)
        before = {p.name for p in full.iterdir()}
        done = labgrader(
            "policy", "--role-for", "123456789012", "--template-out", str(full / "role.json"), home=tmp_path
        )
        assert done.code == 3
        assert done.line == f"labgrader: cannot write {full}/role.json: No space left on device."
        assert {p.name for p in full.iterdir()} == before


def test_solution_dev_zero(tmp_path: Path) -> None:
    _odd(
        tmp_path,
        "grade",
        "--solution",
        "/dev/zero",
        code=2,
        line="labgrader: --solution /dev/zero: not a regular file (a device, FIFO or socket) (give the path to your "
        "cache-aside module .py).",
    )


def test_lab_dev_zero(tmp_path: Path) -> None:
    _odd(
        tmp_path,
        "grade",
        "--lab",
        "/dev/zero",
        code=2,
        line="labgrader: invalid lab spec /dev/zero: cannot read "
        "the file (not a regular file (a device, FIFO or socket))",
    )


def test_lab_a_fifo_that_nobody_writes(tmp_path: Path) -> None:
    fifo = tmp_path / "lab.toml"
    os.mkfifo(fifo)
    _odd(
        tmp_path,
        "grade",
        "--lab",
        str(fifo),
        code=2,
        line=f"labgrader: invalid lab spec {fifo}: cannot read "
        "the file (not a regular file (a device, FIFO or socket))",
    )


def test_lab_a_directory(tmp_path: Path) -> None:
    _odd(
        tmp_path,
        "grade",
        "--lab",
        str(tmp_path),
        code=2,
        line=f"labgrader: invalid lab spec {tmp_path}: cannot read the file (it is a directory, not a file)",
    )


def test_roster_dev_zero(tmp_path: Path) -> None:
    _odd(
        tmp_path,
        "grade",
        "--target",
        "aws",
        "--roster",
        "/dev/zero",
        code=2,
        line="labgrader: --roster /dev/zero: cannot be read (not a regular file (a device, FIFO or socket)).",
    )


def test_roster_a_fifo_that_nobody_writes(tmp_path: Path) -> None:
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    _odd(
        tmp_path,
        "cleanup",
        "--target",
        "aws",
        "--roster",
        str(fifo),
        code=2,
        line=f"labgrader: --roster {fifo}: cannot be read (not a regular file (a device, FIFO or socket)).",
    )


def test_roster_a_directory(tmp_path: Path) -> None:
    _odd(
        tmp_path,
        "grade",
        "--target",
        "aws",
        "--roster",
        str(tmp_path),
        code=2,
        line=f"labgrader: --roster {tmp_path}: it is a directory, not a file: give the roster CSV file.",
    )


def test_roster_cleanup_out_naming_a_file(tmp_path: Path) -> None:
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("student_id,role_arn\nalice,arn:aws:iam::123456789012:role/grader\n")
    (tmp_path / "sweep.txt").write_text("mine")
    _odd(
        tmp_path,
        "cleanup",
        "--target",
        "aws",
        "--roster",
        str(roster_file),
        "--out",
        str(tmp_path / "sweep.txt"),
        code=2,
        line=f"labgrader: --out {tmp_path}/sweep.txt: it is a file, not a folder: give a folder for the reports.",
    )
    assert (tmp_path / "sweep.txt").read_text() == "mine"


def test_lab_of_several_megabytes(tmp_path: Path) -> None:
    big = tmp_path / "lab.toml"
    big.write_text(WEEK8_TEXT + "# padding\n" * 400_000)
    size = big.stat().st_size
    _odd(
        tmp_path,
        "grade",
        "--lab",
        str(big),
        code=2,
        line=f"labgrader: invalid lab spec {big}: cannot read the file ({size:,} bytes, over the 1,048,576-byte limit)",
    )


def test_lab_with_non_utf8_bytes(tmp_path: Path) -> None:
    bad = tmp_path / "lab.toml"
    bad.write_bytes(WEEK8_TEXT.encode().replace(b'name = "', b'name = "\xff\xfe', 1))
    offset = WEEK8_TEXT.encode().index(b'name = "') + len('name = "')
    _odd(
        tmp_path,
        "grade",
        "--lab",
        str(bad),
        code=2,
        line=f"labgrader: invalid lab spec {bad}: cannot read the file (not UTF-8 text (byte {offset}))",
    )


def test_a_dataset_folder_holding_other_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(paths.fixtures_dir() / "data" / "batch", data)
    (data / "package.json").write_text('{"name": "my-lab", "version": "1.0.0"}')
    spec = tmp_path / "lab.toml"
    spec.write_text(WEEK8_TEXT.replace(str(paths.fixtures_dir() / "data" / "batch"), str(data)))
    _odd(
        tmp_path,
        "grade",
        "--lab",
        str(spec),
        code=2,
        line=f"labgrader: invalid lab spec {spec}: dynamodb.dataset.path: dataset file {data}/package.json is not a "
        "batch-write-item document: 'name' should hold a list of requests",
    )


def _with_closed_pipe(home: Path, *args: str, close_stderr: bool = False) -> subprocess.CompletedProcess[str]:
    """Run with stdout (and maybe stderr) a pipe whose reader is already gone, as after `| head -1` has exited."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))} | {"LABGRADER_HOME": str(home)}
    try:
        return subprocess.run(
            [sys.executable, "-m", "labgrader", *args],
            stdout=write_end,
            stderr=write_end if close_stderr else subprocess.PIPE,
            env=env,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.sandbox
def test_sandbox_up_detach_piped_into_a_reader_that_left(tmp_path: Path) -> None:
    """`labgrader sandbox up --detach | head -1`: no BrokenPipeError, exit 0, and the sandbox really is up."""
    home = tmp_path / "home"
    try:
        done = _with_closed_pipe(home, "sandbox", "up", "--detach")
        assert (done.returncode, done.stderr) == (0, "")
        state = sandbox_state.read(home)
        assert state is not None
        assert state.alive()
        for args in (("sandbox", "env"), ("sandbox", "status"), ("sandbox", "down")):
            piped = _with_closed_pipe(home, *args)
            assert (piped.returncode, piped.stderr) == (0, ""), args
    finally:
        manager.down(home)
    assert sandbox_state.find_processes(home) == {}
    assert sandbox_state.data_folders(home) == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("policy",), 0),
        (("--help",), 0),
        (("report", str(RESULTS_FIXTURE), "--out", "{tmp}/out", "--format", "json"), 0),
        (("gradebook", str(RESULTS_FIXTURE), "--out", "-"), 0),
        (("grade", "--target", "local"), 3),  # the one line goes to a closed stderr too: still no traceback
    ],
)
def test_every_command_piped_into_a_reader_that_left(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    done = _with_closed_pipe(tmp_path / "home", *args, close_stderr=True)
    assert done.returncode == code


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("solve",), 0),  # the reference solution, already applied by `solved`: applied again, idempotent
        (("cleanup", "--out", "{tmp}/out", "--format", "json,html"), 1),  # the solved lab's leftovers
    ],
)
def test_solve_and_cleanup_piped_into_a_reader_that_left(
    tmp_path: Path, sandbox_home: Path, solved: object, args: tuple[str, ...], code: int
) -> None:
    """`labgrader solve | head -1`: the work still finishes, its exit code holds, no traceback, nothing partial.
    (`demo` is the same code path and would start a whole sandbox of its own: not repeated here.)"""
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    running = sandbox_state.find_processes(sandbox_home)
    done = _with_closed_pipe(sandbox_home, *args)
    assert (done.returncode, done.stderr) == (code, "")
    assert sandbox_state.find_processes(sandbox_home) == running  # the sandbox is untouched
    assert not [p for p in tmp_path.rglob("*") if ".partial-" in p.name or ".tmp" in p.name]
    if args[0] == "cleanup":
        assert json.loads((tmp_path / "out" / "results.json").read_text())["phase"] == "cleanup"
        assert (tmp_path / "out" / "report.html").read_text().rstrip().endswith("</html>")


def _interrupt_after(delay: float, home: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))} | {"LABGRADER_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "labgrader", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in out + err
    return proc.returncode, out, err


NO_SANDBOX = "the sandbox is not running: start it with `labgrader sandbox up --detach`, then grade again."


@pytest.mark.parametrize("delay", [0.3, 0.6, 1.0])
def test_ctrl_c_during_start_up(tmp_path: Path, delay: float) -> None:
    """While the modules import (the first second) or after: one line, 130 — or, had it finished, its own answer."""
    code, out, err = _interrupt_after(delay, tmp_path / "home", "grade", "--target", "local")
    assert (code, out, err.strip()) in {
        (130, "", "labgrader: interrupted."),
        (3, "", f"labgrader: {NO_SANDBOX}"),
    }


@pytest.mark.sandbox
@pytest.mark.parametrize("delay", [0.5, 1.0, 1.5, 2.5])
def test_ctrl_c_at_any_moment_of_a_foreground_sandbox(tmp_path: Path, delay: float) -> None:
    """Importing, starting the processes, or up and waiting: one line (or the normal stop), nothing left running."""
    home = tmp_path / "home"
    try:
        code, out, err = _interrupt_after(delay, home, "sandbox", "up")
    finally:
        manager.down(home)
    if code == 0:  # it was up: Ctrl-C is its normal stop
        assert out.splitlines()[-1].startswith("sandbox: stopped sentinel")
        assert err == ""
    else:
        assert (code, err.strip()) == (130, "labgrader: interrupted.")
    assert sandbox_state.find_processes(home) == {}
    assert sandbox_state.data_folders(home) == []
    assert not (home / sandbox_state.STATE_FILE).exists()


@pytest.mark.parametrize("action", ["up", "down"])
def test_a_sandbox_home_that_is_a_file(tmp_path: Path, action: str) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    before = _files(tmp_path)
    done = labgrader("sandbox", action, home=home, timeout=30)
    assert done.code == 3
    assert done.line == f"labgrader: the sandbox home {home} is a file, not a folder: set LABGRADER_HOME to a folder."
    assert _files(tmp_path) == before
    assert home.read_text() == "not a folder"


def test_a_read_only_sandbox_home(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", "ro,size=64k") as read_only:
        done = labgrader("sandbox", "up", "--detach", home=read_only, timeout=30)
        assert done.code == 3
        assert done.line == (
            f"labgrader: cannot write in the sandbox home {read_only} (Read-only file system): "
            "set LABGRADER_HOME to a writable folder."
        )
        assert sandbox_state.find_processes(read_only) == {}


def test_an_out_with_no_room_left_is_refused_before_grading(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "tiny", "size=8k") as tiny:
        free = os.statvfs(tiny).f_bavail * os.statvfs(tiny).f_frsize
        _odd(tmp_path, "grade", "--out", str(tiny), code=3,
             line=f"labgrader: --out {tiny}: no space left there ({free:,} bytes free).")  # fmt: skip


def test_ctrl_c_while_a_report_is_written_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labgrader import reports
    from labgrader.reports.model import run_from_dict

    real_write_text = Path.write_text

    def half_then_ctrl_c(self: Path, data: str, *args: object, **kwargs: object) -> int:
        real_write_text(self, data[: len(data) // 2], encoding="utf-8")
        raise KeyboardInterrupt

    run = run_from_dict(json.loads(RESULTS_FIXTURE.read_text()))
    reports.write_reports(run, tmp_path / "out", ["html"])
    before = {p: p.read_bytes() for p in _files(tmp_path)}
    monkeypatch.setattr(Path, "write_text", half_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        reports.write_reports(run, tmp_path / "out", ["html"])
    assert {p: p.read_bytes() for p in _files(tmp_path)} == before  # the previous reports, whole; nothing else
