"""labgrader's exit codes, the same for every command (README, "Exit codes")."""

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_COULD_NOT_LOOK = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C
