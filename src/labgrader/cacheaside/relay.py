"""The student's network: in a namespace of its own, it reaches only the destinations the module is given (the
grader's DynamoDB endpoint and the lab's Redis), through a relay.

- Outside, on the grader's side (`Relay`): per destination a Unix socket in a folder the grader made and binds
  into the sandbox; each connection accepted there is connected by TCP to the real destination.
- Inside, in the scenario server before any student import (`listen_inside`): a TCP listener on 127.0.0.1 at the
  destination's port, each connection forwarded to its Unix socket. Same ports, so the module's URLs are unchanged;
  a destination named by host name is mapped to 127.0.0.1 by a hosts file the grader binds over /etc/hosts.

Bytes are copied as they come, both ways (TLS to ElastiCache passes through untouched).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

# The scenario environment's variables whose URL is a destination the module may reach.
DESTINATION_ENV = ("AWS_ENDPOINT_URL", "REDIS_URL")
DEFAULT_PORTS = {"http": 80, "https": 443, "redis": 6379, "rediss": 6379}
CONNECT_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 2.0
CHUNK = 65536
HOSTS_BASE = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"

Destination = tuple[str, int]  # (host as given, port)


def destinations(env: dict[str, str]) -> list[Destination]:
    """The (host, port) of each destination URL in a scenario's environment (unparsable ones are left out)."""
    found: list[Destination] = []
    for name in DESTINATION_ENV:
        with contextlib.suppress(ValueError):
            url = urlsplit(env.get(name, ""))
            port = url.port or DEFAULT_PORTS.get(url.scheme)
            if url.hostname and port:
                found.append((url.hostname, port))
    return list(dict.fromkeys(found))


def inside_address(host: str, *, names: bool) -> str | None:
    """Where the destination listens inside the namespace: a loopback IPv4 address as itself, a host name (when a
    hosts file can map it: `names`) at 127.0.0.1; None when it cannot be served inside (another IP address)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "127.0.0.1" if names else None
    return host if address.version == 4 and address.is_loopback else None


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy until `source` ends, then end `sink`'s writing side; an error ends both ways."""
    try:
        while data := source.recv(CHUNK):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _join(accepted: socket.socket, connect: Callable[[], socket.socket]) -> None:
    try:
        other = connect()
    except OSError:
        accepted.close()
        return
    with accepted, other:
        back = threading.Thread(target=_pump, args=(other, accepted), daemon=True)
        back.start()
        _pump(accepted, other)
        back.join()


def _no_delay(sock: socket.socket) -> socket.socket:
    # Small requests go out at once: Nagle's algorithm would hold them for the peer's delayed ACK (≈ 40 ms).
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def serve(listener: socket.socket, connect: Callable[[], socket.socket]) -> threading.Thread:
    """Accept on `listener` in a thread; each connection is joined to `connect()` (a thread per direction)."""

    def accept_loop() -> None:
        while True:
            try:
                accepted, _ = listener.accept()
            except OSError:
                return  # the listener was shut down
            _no_delay(accepted)
            threading.Thread(target=_join, args=(accepted, connect), daemon=True).start()

    thread = threading.Thread(target=accept_loop, name="labgrader-relay", daemon=True)
    thread.start()
    return thread


def listen_inside(address: str, port: int, path: str) -> socket.socket:
    """In the scenario server: a TCP listener at address:port relaying to the Unix socket at `path`."""

    def connect() -> socket.socket:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            unix.connect(path)
        except OSError:
            unix.close()
            raise
        return unix

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(64)
    serve(listener, connect)
    return listener


def reachable(destination: Destination) -> bool:
    """Whether the destination accepts a TCP connection now (one that refuses is not relayed: inside, the module's
    connection is refused as it would be)."""
    try:
        socket.create_connection(destination, timeout=PROBE_TIMEOUT_S).close()
    except OSError:
        return False
    return True


# A Unix socket's path holds at most 107 bytes: a long TMPDIR (a test's or CI's own) leaves no room for it.
MAX_SOCKET_FOLDER = 80


def _socket_folder() -> Path:
    """A new private folder for the relay's sockets, under TMPDIR when its path is short enough, else /tmp."""
    base = tempfile.gettempdir()
    if len(base) > MAX_SOCKET_FOLDER - len("/labgrader-relay-xxxxxxxx") and Path("/tmp").is_dir():  # noqa: S108
        base = "/tmp"  # noqa: S108 - a private mkdtemp folder below it
    return Path(tempfile.mkdtemp(prefix="labgrader-relay-", dir=base))


class Relay:
    """The grader's side: a folder of Unix sockets (one per destination) and the hosts file bound over /etc/hosts."""

    def __init__(self) -> None:
        self.folder = _socket_folder()
        self.hosts = self.folder / "hosts"
        self.hosts.write_text(HOSTS_BASE, encoding="ascii")
        self._paths: dict[Destination, str] = {}
        self._listeners: list[socket.socket] = []

    def path(self, destination: Destination) -> str:
        """The Unix socket relaying to `destination` (listening from now on)."""
        if destination not in self._paths:
            path = str(self.folder / f"{len(self._paths)}.sock")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            listener.listen(64)
            serve(listener, lambda: _no_delay(socket.create_connection(destination, timeout=CONNECT_TIMEOUT_S)))
            self._listeners.append(listener)
            self._paths[destination] = path
        return self._paths[destination]

    def map_names(self, names: Iterable[str]) -> None:
        """Have the sandbox's /etc/hosts resolve `names` to 127.0.0.1 (rewritten in place: the bind follows the
        file, not its name)."""
        lines = "".join(f"127.0.0.1 {name}\n" for name in sorted(set(names)))
        with self.hosts.open("w", encoding="ascii") as hosts:
            hosts.write(HOSTS_BASE + lines)

    def close(self) -> None:
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._listeners.clear()
        self._paths.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def close_inherited(keep: int) -> None:
    """In a forked scenario process: close every descriptor but stdio and `keep` (the relay's listeners and
    connections, the grader's control socket stay with the server)."""
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 20)
