"""The fresh containers' readiness probe keeps its deadline even against a container that accepts connections and
never answers (botocore's defaults alone would wait 60 s per read, with retries)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from labgrader import setup_script
from labgrader.targets import containers

DEADLINE_S = 4.0


@pytest.fixture
def silent_endpoint() -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback listener that accepts every connection and never sends a byte: (host:port, accepted sockets)."""
    accepted: list[socket.socket] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.parametrize("silent", ["DynamoDB", "Redis"])
def test_a_container_that_never_answers_is_given_up_within_the_deadline(
    silent: str, silent_endpoint: tuple[str, list[socket.socket]], redis_server: Callable[..., str]
) -> None:
    address, accepted = silent_endpoint
    redis_url = f"redis://{address}/0" if silent == "Redis" else redis_server()
    target = containers.containers_target(f"http://{address}", redis_url, "us-east-1")
    started = time.monotonic()
    with pytest.raises(setup_script.SetupError) as caught:
        setup_script._wait_ready(target, ready_timeout_s=DEADLINE_S)
    elapsed = time.monotonic() - started
    assert caught.value.exit_code == 3
    assert str(caught.value) == f"--setup: the fresh {silent} container did not answer within {DEADLINE_S:g} s."
    # Probed until a further probe could not finish in time (each takes at most its connect + read timeouts).
    assert DEADLINE_S - 2 * setup_script.PROBE_TIMEOUT_S <= elapsed <= DEADLINE_S, elapsed
    assert len(accepted) >= 2, "each probe is one attempt on a fresh connection, repeated until the deadline"


def test_containers_that_answer_are_ready_at_once(redis_server: Callable[..., str]) -> None:
    """The same probe on a Redis that answers and a DynamoDB endpoint that answers ListTables (a moto server)."""
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        target = containers.containers_target(f"http://{host}:{port}", redis_server(), "us-east-1")
        started = time.monotonic()
        setup_script._wait_ready(target, ready_timeout_s=DEADLINE_S)
        assert time.monotonic() - started < 2.0
    finally:
        server.stop()
