"""Hostile: writes on the grader's channel (every Unix socket among its file descriptors) during each call: a
forged answer with a guessed token, then bytes that are no message at all, then returns normally. Honest verdict:
every scenario check fails, naming what the module wrote; the run completes."""

import json
import os
import socket
import stat
import struct

import _cache


def _unix_sockets():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        with probe:
            if probe.family == socket.AF_UNIX:
                yield fd


def _scribble():
    forged = json.dumps({"token": "0" * 16, "returned": {"$map": {"forged": True}}}).encode()
    for fd in _unix_sockets():
        try:
            os.write(fd, struct.pack(">I", len(forged)) + forged)
            os.write(fd, b"\xff\xfe not a message " * 64)
        except OSError:
            pass


def get_product(category, sku):
    _scribble()
    return _cache.get_product(category, sku)


def update_product(category, sku, changes):
    _scribble()
    return _cache.update_product(category, sku, changes)
