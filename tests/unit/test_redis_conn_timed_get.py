"""redis_conn.timed_get: the GET the latency check times, on a connection held out of the client's pool."""

from __future__ import annotations

import pytest
import redis

from labgrader import redis_connection as redis_conn
from tests.conftest import closed_port


def test_reads_the_key_on_every_call_and_gives_the_connection_back(redis_server):
    client = redis_conn.connect(redis_server())
    client.set("lab:latency", '{"price": 24.99}')
    with redis_conn.timed_get(client, "lab:latency") as get:
        assert [get() for _ in range(3)] == ['{"price": 24.99}'] * 3
        client.set("lab:latency", "changed")  # the client's own commands use another connection meanwhile
        assert get() == "changed"
    pool = client.connection_pool
    assert len(pool._in_use_connections) == 0
    assert len(pool._available_connections) == 2
    client.close()


def test_a_missing_key_reads_none(redis_server):
    client = redis_conn.connect(redis_server())
    with redis_conn.timed_get(client, "lab:nothing-here") as get:
        assert get() is None
    client.close()


def test_uses_the_clients_password_and_database(redis_server):
    url = redis_server("--requirepass", "s3cret-pass")
    client = redis_conn.connect(url.replace("redis://", "redis://:s3cret-pass@").replace("/0", "/3"))
    client.set("lab:db3", "three")
    with redis_conn.timed_get(client, "lab:db3") as get:
        assert get() == "three"
    client.close()


def test_a_server_that_dies_raises_a_connection_error(redis_server):
    url = redis_server()
    client = redis_conn.connect(url)
    client.set("lab:latency", "x")
    with redis_conn.timed_get(client, "lab:latency") as get:
        assert get() == "x"
        redis_conn.connect(url).shutdown(nosave=True)
        with pytest.raises(redis.ConnectionError):
            get()
    client.close()


def test_an_interrupted_get_leaves_no_stale_reply_for_the_clients_next_command(redis_server, monkeypatch):
    client = redis_conn.connect(redis_server())
    client.mset({"lab:latency": "timed", "lab:other": "asked next"})

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the GET's reply is on its way

    with pytest.raises(KeyboardInterrupt), redis_conn.timed_get(client, "lab:latency") as get:  # noqa: PT012 - patched after the connection's handshake
        monkeypatch.setattr(redis.connection.Connection, "read_response", interrupted)
        get()
    monkeypatch.undo()
    assert client.get("lab:other") == "asked next"
    client.close()


def test_a_server_that_is_down_raises_before_any_get():
    client = redis_conn.connect(f"redis://127.0.0.1:{closed_port()}/0")
    with pytest.raises(redis.ConnectionError), redis_conn.timed_get(client, "lab:latency"):
        pytest.fail("no GET can be timed without a connection")
    client.close()
