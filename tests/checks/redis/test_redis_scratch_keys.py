"""Scratch Redis keys: every removal is read back; a key still there is reported with the command that removes it."""

from __future__ import annotations

import pytest
import redis

from labgrader.engine.scratch import Scratch
from labgrader.engine.verdict import CouldNotLook
from labgrader.services.redis.scratch import ScratchKeys


class KeyStore:
    """A Redis stand-in holding keys in a dict; `sticky` keys survive DEL (a replica-only node, a proxy that drops
    writes: what the read-back is for)."""

    def __init__(self, sticky: frozenset[str] = frozenset()) -> None:
        self.data: dict[str, str] = {}
        self.sticky = sticky

    def set(self, key: str, value: str) -> None:
        self.data[key] = value

    def delete(self, *keys: str) -> int:
        gone = [key for key in keys if key in self.data and key not in self.sticky]
        for key in gone:
            del self.data[key]
        return len(gone)

    def exists(self, key: str) -> int:
        return int(key in self.data)


def test_removed_keys_are_gone_and_nothing_is_reported():
    store = KeyStore()
    keys = ScratchKeys(store, Scratch("abcd1234").redis_key)
    store.set(keys("a"), "1")
    store.set(keys("b"), "2")
    keys.remove()
    assert store.data == {}


def test_a_key_that_survives_del_is_reported_with_the_exact_command():
    scratch = Scratch("abcd1234")
    store = KeyStore(sticky=frozenset({scratch.redis_key("stuck")}))
    keys = ScratchKeys(store, scratch.redis_key)
    store.set(keys("stuck"), "1")
    store.set(keys("fine"), "2")
    with pytest.raises(CouldNotLook) as raised:
        keys.remove()
    assert raised.value.message == (
        "Grader scratch key(s) __labgrader__:abcd1234:stuck are still in Redis after DEL; remove them with: "
        'redis-cli -u "$REDIS_URL" DEL __labgrader__:abcd1234:stuck.'
    )
    assert list(store.data) == ["__labgrader__:abcd1234:stuck"]


def test_a_connection_error_during_removal_is_reported_with_the_exact_command():
    class Gone(KeyStore):
        def delete(self, *keys: str) -> int:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:16379. Connection refused.")

    scratch = Scratch("abcd1234")
    store = Gone()
    keys = ScratchKeys(store, scratch.redis_key)
    store.set(keys("a"), "1")
    store.set(keys("b"), "2")
    with pytest.raises(CouldNotLook) as raised:
        keys.remove()
    assert raised.value.status == "error"
    assert raised.value.message == (
        "Grader scratch key(s) __labgrader__:abcd1234:a, __labgrader__:abcd1234:b may still be in Redis: the grader "
        "could not delete them or read them back (Error 111 connecting to 127.0.0.1:16379. Connection refused); "
        'remove them with: redis-cli -u "$REDIS_URL" DEL __labgrader__:abcd1234:a __labgrader__:abcd1234:b.'
    )
