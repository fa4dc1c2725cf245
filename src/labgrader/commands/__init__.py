"""One module per `labgrader` command: each has `register(subparsers)` and `run(args, extra) -> exit code`."""
