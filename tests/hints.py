"""The hint contract, tested: every hint is shell commands a student can paste as printed.

`hint_problems` is the lint (no `<placeholder>`, no prose in the commands, no relative `file://` path, valid bash);
`run_hint` runs a miss's commands verbatim with bash from a folder outside the repository, with the environment
`labgrader sandbox env` gives, as a student who pastes them would (the mutation tests then grade again), and holds
the sandbox to answering every request they make without an HTTP 5xx (its moto server's request log says).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from labgrader import paths
from labgrader.engine.results import CheckResult
from labgrader.engine.verdict import Hint
from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState

# What a hint's command may start with (after `&&`, `||`, `;`, `|` too): the lab's programs and the few shell
# words a loop or a wait needs.
PROGRAMS = frozenset(
    {"aws", "redis-cli", "labgrader", "python3", "for", "do", "done", "while", "until", "if", "then", "fi", "export"}
)
PLACEHOLDER = re.compile(r"<[A-Za-z][^<>]*>")
RELATIVE_FILE_URL = re.compile(r"file://(?![/$])")
CONTROL = frozenset({"&&", "||", ";", "|", "(", ")", ";;", "&"})
# A request line of the sandbox's moto server log (werkzeug) answered with a server error.
SERVER_ERROR = re.compile(r'"[A-Z]+ [^"]*" 5\d\d ')


def hint_problems(commands: tuple[str, ...] | list[str]) -> list[str]:
    """What keeps these commands from running as printed (empty: they run)."""
    problems: list[str] = []
    for command in commands:
        if not command.strip():
            problems.append("an empty command")
            continue
        if "\n" in command:
            problems.append(f"a command spans lines: {command!r}")
        if PLACEHOLDER.search(command):
            problems.append(f"a placeholder: {PLACEHOLDER.search(command).group(0)!r} in {command!r}")  # type: ignore[union-attr]
        if RELATIVE_FILE_URL.search(command):
            problems.append(f"a relative file:// path in {command!r}")
        try:
            lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()")
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError as exc:
            problems.append(f"unbalanced quoting ({exc}) in {command!r}")
            continue
        if "..." in tokens or "…" in command:
            problems.append(f"an ellipsis to fill in: {command!r}")
        starts = [tokens[0]] + [tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t in CONTROL]
        for word in starts:
            if word not in CONTROL and word not in PROGRAMS and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word):
                problems.append(f"{word!r} is not a program a hint runs (prose?) in {command!r}")
        checked = subprocess.run(["bash", "-n", "-c", command], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            problems.append(f"bash -n refuses {command!r}: {checked.stderr.strip()}")
    return problems


def assert_runnable(hint: Hint | CheckResult) -> None:
    commands = list(hint.commands) if isinstance(hint, Hint) else hint.hint_commands
    problems = hint_problems(commands)
    assert not problems, "\n".join(problems)


def student_env(sandbox: SandboxState, home: Path | None = None, redis_url: str | None = None) -> dict[str, str]:
    """The environment after `eval "$(labgrader sandbox env)"`: nothing of ours (AWS_*, REDIS_*) leaks in, our
    venv's `aws` and `labgrader` on PATH. `redis_url`: the student graded another Redis than the sandbox's primary
    (`export REDIS_URL=...` after the eval), so their hint's `$REDIS_URL` is that one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_", "LABGRADER_"))}
    env |= manager.env_exports(sandbox)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if home is not None:
        env["LABGRADER_HOME"] = str(home)
    return env


def run_hint(
    sandbox: SandboxState,
    result: CheckResult | Hint,
    folder: Path,
    home: Path | None = None,
    redis_url: str | None = None,
) -> None:
    """Paste the miss's commands into bash, as printed, in `folder` (outside the repository); each must succeed."""
    name = result.id if isinstance(result, CheckResult) else "the hint"
    commands = list(result.commands) if isinstance(result, Hint) else result.hint_commands
    assert commands, f"{name} printed no command to run"
    assert_runnable(result)
    assert not folder.resolve().is_relative_to(paths.project_root().resolve()), "run hints outside the repository"
    log = Path(sandbox.data_dir) / "logs" / "moto.log"
    start = log.stat().st_size if log.exists() else 0
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=folder,
            env=student_env(sandbox, home, redis_url),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"the hint of {name} failed: {command}\n{done.stderr.strip()[-2000:]}"
    if log.exists():  # gone when the hint restarted the sandbox (`sandbox down` removes its data folder)
        with log.open("rb") as answers:
            answers.seek(start)
            errors = [
                line for line in answers.read().decode("utf-8", "replace").splitlines() if SERVER_ERROR.search(line)
            ]
        assert not errors, f"the sandbox answered the hint of {name} with HTTP 5xx:\n" + "\n".join(errors[:10])
