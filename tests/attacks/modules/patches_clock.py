"""Hostile: a correct cache whose hits are slow (a 60 ms sleep), hidden by patching every clock of its process to
leave the sleep out. Honest verdict: every cache check passes, latency_cache_hit_faster_than_miss fails."""

import time

import _cache
import redis

HIDDEN = 0.060
_hidden = 0.0
_real = {name: getattr(time, name) for name in ("perf_counter", "monotonic", "time", "sleep")}


def _shifted(name):
    return lambda: _real[name]() - _hidden


for _name in ("perf_counter", "monotonic", "time"):
    setattr(time, _name, _shifted(_name))


def get_product(category, sku):
    global _hidden
    try:
        cached = _cache.cache.get(_cache.key(category, sku))
    except redis.RedisError:
        cached = None
    if cached is not None:
        _real["sleep"](HIDDEN)
        _hidden += HIDDEN
    return _cache.get_product(category, sku)


update_product = _cache.update_product
