"""The setup script runner on its own (no sandbox): each failing command with its line, exit code and its own last line
of output (not a neighbour's), in order; the output bounded; the trap's marks never shown."""

from __future__ import annotations

import textwrap
from pathlib import Path

from labgrader.setup_script import OUTPUT_TAIL_LINES, run_script


def _run(tmp_path: Path, body: str, timeout: float = 30.0) -> dict[str, object]:
    folder = tmp_path / "submission"
    folder.mkdir()
    script = folder / "setup.sh"
    script.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return run_script(script, {}, target_name="local", timeout=timeout).to_dict()


def test_each_failure_gets_its_own_last_line(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
        echo ACTIVE
        false
        ls /no/such/folder
        echo "printed after the failure"
        X=$(echo "inside a substitution" >&2; exit 3)
        printf 'no newline at the end' >&2; (exit 5)
        echo "the end"
        """,
    )
    failures = [(f["line"], f["exit_code"], f["command"], f["last_output"]) for f in result["failed_commands"]]
    assert failures == [
        (2, 1, "false", ""),  # it printed nothing: not the line before it
        (3, 2, "ls /no/such/folder", "ls: cannot access '/no/such/folder': No such file or directory"),
        (5, 3, 'X=$(echo "inside a substitution" 1>&2; exit 3)', "inside a substitution"),
        (6, 5, "( exit 5 )", "no newline at the end"),  # a line without its newline counts
    ]
    assert result["exit_code"] == 0
    assert result["output_tail"][-1] == "the end"
    assert not any("\x1f" in line for line in result["output_tail"])


def test_output_is_bounded_and_failures_are_counted_past_the_limit(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
        for i in $(seq 1 40); do false; done
        head -c 3000000 /dev/zero | tr '\\0' 'x'
        echo; echo last
        """,
    )
    assert len(result["failed_commands"]) == 20
    assert result["more_failed_commands"] == 20
    assert len(result["output_tail"]) <= OUTPUT_TAIL_LINES
    assert all(len(line) <= 300 for line in result["output_tail"])
    assert result["output_tail"][-1] == "last"
