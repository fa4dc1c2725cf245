"""A loopback TCP proxy in front of a Redis server that records every command its clients send (the RESP the
server receives, so nothing a check sends can escape it). MONITOR would not do: Redis leaves administrative
commands such as CONFIG out of MONITOR's output."""

from __future__ import annotations

import contextlib
import socket
import threading


class RecordingProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.commands: list[str] = []
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closing = False
        self._start(self._accept)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def names(self) -> set[str]:
        """Every command name sent so far ("SET", "CONFIG GET", "SENTINEL FAILOVER", ...)."""
        with self._lock:
            return set(self.commands)

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._sockets += [client, upstream]
            self._start(self._pump, client, upstream, True)
            self._start(self._pump, upstream, client, False)

    def _pump(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        buffer = b""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)
                return
            if record:
                buffer = self._record(buffer + data)
            try:
                sink.sendall(data)
            except OSError:
                return

    def _record(self, buffer: bytes) -> bytes:
        """Parse complete RESP commands off `buffer`, record their name (and subcommand), return the rest."""
        while buffer:
            parsed = _parse_command(buffer)
            if parsed is None:
                return buffer
            words, used = parsed
            buffer = buffer[used:]
            if words:
                name = words[0].upper()
                if len(words) > 1 and name in ("CONFIG", "SENTINEL", "CLIENT", "DEBUG"):
                    name += " " + words[1].upper()
                with self._lock:
                    self.commands.append(name)
        return buffer

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        for thread in self._threads:
            thread.join(timeout=2)


def _parse_command(buffer: bytes) -> tuple[list[str], int] | None:
    """One command from the start of `buffer`: a RESP array of bulk strings, or an inline command line."""
    if not buffer.startswith(b"*"):
        end = buffer.find(b"\r\n")
        return None if end < 0 else (buffer[:end].decode(errors="replace").split(), end + 2)
    end = buffer.find(b"\r\n")
    if end < 0:
        return None
    count, position, words = int(buffer[1:end]), end + 2, []
    for _ in range(count):
        end = buffer.find(b"\r\n", position)
        if end < 0 or buffer[position : position + 1] != b"$":
            return None
        length = int(buffer[position + 1 : end])
        start = end + 2
        if len(buffer) < start + length + 2:
            return None
        words.append(buffer[start : start + length].decode(errors="replace"))
        position = start + length + 2
    return words, position
