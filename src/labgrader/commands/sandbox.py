"""`labgrader sandbox up [--detach] | env | status | down [--home DIR]`: the embedded local stack.

One sandbox per home (`--home`, else `$LABGRADER_HOME`, else ~/.labgrader): a second sandbox is a second home.
`env` also exports LABGRADER_HOME, so `labgrader grade --target local` after `eval "$(labgrader sandbox env)"`
grades the sandbox those exports point at.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import threading
from pathlib import Path

from labgrader.commands.common import complain, say
from labgrader.engine.exit_codes import EXIT_OK
from labgrader.sandbox import manager
from labgrader.sandbox import state as sandbox_state

NOT_RUNNING = 1


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("sandbox", help="the embedded local stack (moto + redis primary/replica/sentinel)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="start it (foreground until Ctrl-C, or --detach)")
    up.add_argument("--detach", action="store_true", help="return once it is up; stop it with `sandbox down`")
    up.add_argument("--region", default="us-east-1")
    env = actions.add_parser("env", help='print exports: eval "$(labgrader sandbox env)"')
    status = actions.add_parser("status", help="what runs, on which ports")
    down = actions.add_parser("down", help="stop every sandbox process and remove its data")
    for action in (up, env, status, down):
        action.add_argument(
            "--home",
            metavar="DIR",
            help="the sandbox's home (default $LABGRADER_HOME, else ~/.labgrader): one sandbox per home",
        )


def _use_home(home: str | None) -> None:
    """`--home DIR` is `LABGRADER_HOME=DIR` for this command (every part of the sandbox reads that variable)."""
    if home:
        os.environ["LABGRADER_HOME"] = str(Path(home).expanduser().absolute())


def run(args: argparse.Namespace, extra: list[str]) -> int:
    _use_home(args.home)
    if args.action == "up":
        return _up(args.detach, args.region, args.home)
    if args.action == "env":
        current = sandbox_state.read()
        if current is None or not current.alive():
            problem, running = manager.strays() if current is None else ("", {})
            if running:
                where = sandbox_state.state_path()
                complain(f"the sandbox's state file {where} is {problem}, so its ports are unknown: restart it with "
                         "`labgrader sandbox down` then `labgrader sandbox up --detach`.")  # fmt: skip
            else:
                complain("the sandbox is not running: start it with `labgrader sandbox up --detach`.")
            return NOT_RUNNING
        exports = {**manager.env_exports(current), "LABGRADER_HOME": str(sandbox_state.default_home().absolute())}
        for key, value in exports.items():
            print(f"export {key}={shlex.quote(value)}")
        return EXIT_OK
    if args.action == "status":
        found, lines = manager.status()
        if found is None:
            problem, running = manager.strays()
            if running:
                listed = ", ".join(f"{role} pid {pid}" for pid, role in sorted(running.items()))
                say(f"sandbox: its state file {sandbox_state.state_path()} is {problem}, but these sandbox processes "
                    f"run: {listed}. Stop them with `labgrader sandbox down`.")  # fmt: skip
                return NOT_RUNNING
            say("sandbox: not running")
            return NOT_RUNNING
        say(f"sandbox: home {found.home}, data {found.data_dir}, started {found.started_at}")
        for role, line in lines.items():
            say(f"  {role:<9}{line}")
        if found.alive():
            return EXIT_OK
        impostors = found.impostors()
        if impostors:
            listed = ", ".join(str(pid) for pid in impostors)
            where = sandbox_state.state_path()
            say(f"sandbox: not running: its state file {where} is stale or forged (pid {listed} is not a process "
                "of this sandbox); `labgrader sandbox down` removes it and leaves that pid alone.")  # fmt: skip
        return NOT_RUNNING
    stopped = manager.down(warn=complain)
    say(f"sandbox: stopped {', '.join(stopped)}" if stopped else "sandbox: nothing was running")
    return EXIT_OK


def _up(detach: bool, region: str, home: str | None) -> int:
    state = manager.up(region=region)
    say(f"sandbox: up (moto {state.moto_url}, redis {state.redis_url}, sentinel port {state.sentinel_port})")
    home_option = f" --home {shlex.quote(os.environ['LABGRADER_HOME'])}" if home else ""
    say(f'use it with: eval "$(labgrader sandbox env{home_option})"')
    if detach:
        return EXIT_OK
    say("press Ctrl-C to stop it")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    say(f"sandbox: stopped {', '.join(manager.down()) or 'nothing'}")
    return EXIT_OK
