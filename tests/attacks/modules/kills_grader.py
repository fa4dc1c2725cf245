"""Hostile: on every call, kills its parent (where the grader used to be) and every process whose command line
mentions labgrader or pytest, then waits. Honest verdict: every scenario check fails (its scenario ended without
an answer); the grader lives on and writes a complete results.json."""

import os
import signal
import time

import _cache


def _kill_the_grader():
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                words = cmdline.read()
            if b"labgrader" in words or b"pytest" in words:
                os.kill(int(name), signal.SIGKILL)
        except OSError:
            pass
    time.sleep(2)


def get_product(category, sku):
    _kill_the_grader()
    return _cache.get_product(category, sku)


def update_product(category, sku, changes):
    _kill_the_grader()
    return _cache.update_product(category, sku, changes)
