"""A TCP proxy that delays every answer: `python slow_proxy.py UPSTREAM_PORT DELAY_MS` prints its port, then
forwards 127.0.0.1:<port> to 127.0.0.1:UPSTREAM_PORT, sleeping DELAY_MS before relaying each chunk back.

Stands in for a Redis reached the slow way (an SSH tunnel, another region) in the latency tests.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time


def pump(source: socket.socket, target: socket.socket, delay: float) -> None:
    try:
        while chunk := source.recv(65536):
            if delay:
                time.sleep(delay)
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def main() -> None:
    upstream_port, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(client, upstream, 0.0), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, delay), daemon=True).start()


if __name__ == "__main__":
    main()
