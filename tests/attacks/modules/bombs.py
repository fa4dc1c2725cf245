"""Hostile: a correct cache, except in three checks' scenarios (told apart by the scratch item's sku): a memory
bomb (cache_aside_miss_populates), an output bomb of 24 MiB (cache_aside_hit_skips_db, on the second call), a fork
bomb of sleeping processes (cache_aside_ttl_set). Honest verdict: those three fail with the reason, the others
pass; the output is bounded, and no process it forked survives."""

import os
import sys

import _cache

MARKER = "{{MARKER}}"
MAX_FORKS = 300  # bounded even where the grader has no process limit, so a failing test cannot hurt the machine
_calls = 0


def _fork_bomb():
    started = 0
    try:
        while started < MAX_FORKS:
            if os.fork() == 0:
                os.execv("/bin/sleep", ["sleep", f"30.{MARKER}"])
            started += 1
    except OSError as exc:
        raise RuntimeError(f"fork bomb stopped after {started} processes: {exc}") from exc
    raise RuntimeError(f"fork bomb stopped after {started} processes: the module's own bound")


def get_product(category, sku):
    global _calls
    _calls += 1
    if sku.endswith("CA-MISS"):
        hoard = [bytearray(256 * 1024 * 1024) for _ in range(16)]  # 4 GiB
        return {"hoarded": len(hoard)}
    if sku.endswith("CA-HIT") and _calls == 2:
        chunk = "x" * 1023 + "\n"
        for _ in range(24 * 1024):
            sys.stdout.write(chunk)
        sys.stdout.flush()
        raise RuntimeError("printed 24 MiB")
    if sku.endswith("CA-TTL"):
        _fork_bomb()
    return _cache.get_product(category, sku)


update_product = _cache.update_product
