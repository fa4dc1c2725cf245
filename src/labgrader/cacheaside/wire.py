"""Messages between the grader and the student's side: a 4-byte length, then a JSON object; bounded in size.

Used on both sides. The student's side may write anything on these sockets: the grader's reader (`Reader`)
takes nothing on trust — a frame too large, not JSON, not an object, or arriving when none was asked for is
`GarbageError`, and the message's fields are checked by whoever asked (runner.py).
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

MAX_MESSAGE = 4 * 1024 * 1024
_HEADER = struct.Struct(">I")


class GarbageError(Exception):
    """The other side wrote something that is not a message of this protocol."""


def frame(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, separators=(",", ":")).encode()
    return _HEADER.pack(len(data)) + data


def send(sock: socket.socket, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
    data = frame(message)
    if fds:
        sent = socket.send_fds(sock, [data], list(fds))
        data = data[sent:]
    if data:
        sock.sendall(data)


def parse(data: bytes) -> dict[str, Any]:
    try:
        message = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise GarbageError(f"a message that is not JSON ({type(exc).__name__})") from exc
    if not isinstance(message, dict):
        raise GarbageError(f"a JSON {type(message).__name__} instead of a message")
    return message


class Reader:
    """Frames from a byte stream, as they are complete (`feed` the bytes, then `next` until None)."""

    def __init__(self, limit: int = MAX_MESSAGE) -> None:
        self.limit = limit
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > self.limit:
                raise GarbageError(f"a message of {length} bytes (at most {self.limit})")

    def next(self) -> dict[str, Any] | None:
        if len(self._buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self._buffer)
        if length > self.limit:
            raise GarbageError(f"a message of {length} bytes (at most {self.limit})")
        if len(self._buffer) < _HEADER.size + length:
            return None
        data = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
        del self._buffer[: _HEADER.size + length]
        return parse(data)


def receive_with_fds(sock: socket.socket, max_fds: int = 2) -> tuple[dict[str, Any] | None, list[int]]:
    """One whole message (blocking) and the file descriptors that came with it; (None, []) at EOF.

    For the server's side, which reads one message at a time from the grader."""
    header, fds = _receive_exactly(sock, _HEADER.size, max_fds)
    if header is None:
        return None, fds
    (length,) = _HEADER.unpack(header)
    if length > MAX_MESSAGE:
        raise GarbageError(f"a message of {length} bytes")
    body, more = _receive_exactly(sock, length, max_fds)
    fds += more
    if body is None:
        return None, fds
    return parse(body), fds


def _receive_exactly(sock: socket.socket, size: int, max_fds: int) -> tuple[bytes | None, list[int]]:
    data = b""
    fds: list[int] = []
    while len(data) < size:
        chunk, received, _flags, _addr = socket.recv_fds(sock, size - len(data), max_fds)
        fds += received
        if not chunk:
            return None, fds
        data += chunk
    return data, fds
