"""Ctrl-C during a class run: queued accounts are cancelled and the workers stopped before `labgrader:
interrupted.` is printed, so nothing is graded or written after that line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.trust.fake_endpoints import silent_listener

ARN = "arn:aws:iam::{:012d}:role/labgrader-grader"


def _marked(marker: str) -> list[int]:
    """PIDs whose environment carries `marker` (the CLI, its forkserver and its workers inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                environ = (entry / "environ").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
            except OSError:
                continue
            if marker.encode() in environ and state != "Z":
                found.append(int(entry.name))
    return found


def test_ctrl_c_stops_the_workers_before_the_interrupted_line(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,role_arn\n" + "".join(f"s{i},{ARN.format(i)}\n" for i in range(1, 5)))
    out = tmp_path / "out"
    token = uuid.uuid4().hex
    marker = f"LABGRADER_TEST_RUN={token}"
    with silent_listener() as port:  # STS never answers: every account would wait ~40 s in AssumeRole
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_"))}
        env |= {
            "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "LABGRADER_HOME": str(tmp_path / "home"),
            "LABGRADER_TEST_RUN": token,
        }  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-m", "labgrader", "grade", "--target", "aws", "--roster", str(roster), "--jobs", "2",
             "--out", str(out), "--format", "json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(_marked(marker)) < 3:  # the CLI, the forkserver, a worker
                time.sleep(0.1)
            time.sleep(1.0)  # the workers are in AssumeRole
            interrupted = time.monotonic()
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=30)
            stopped_in = time.monotonic() - interrupted
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            for pid in _marked(marker):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "labgrader: interrupted.", err
    assert "Traceback" not in err
    assert stopped_in < 5
    time.sleep(0.5)
    assert _marked(marker) == [], "a grading worker outlived the interrupted run"
    assert not out.exists() or not [p for p in out.iterdir() if p.is_dir()], "an account was written after Ctrl-C"
