"""Reading files a user or another program hands labgrader (lab specs, results.json, dataset files) without
trusting their size or kind: a FIFO, `/dev/zero` or a 100 MB file must end in one clear line, not a hang or a
memory spike.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Generous for what labgrader reads: a lab spec is a few KB, a class's results.json well under 1 MB.
SPEC_LIMIT = 1 << 20
RESULTS_LIMIT = 16 << 20
DATASET_LIMIT = 16 << 20


class BoundedReadError(Exception):
    """The file could not be read as a bounded regular file; `reason` completes "cannot read <path>: …"."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot read {path}: {reason}")
        self.path = path
        self.reason = reason


def read_bytes_bounded(path: Path | str, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; `BoundedReadError` for anything else (a directory, a
    device, a FIFO, a file over the limit, an OS error). Never reads more than `limit` + 1 bytes and never blocks on
    a FIFO (opened non-blocking, then refused as not a regular file)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise BoundedReadError(path, "it is a directory, not a file") from None
    except FileNotFoundError:
        raise BoundedReadError(path, "no such file") from None
    except OSError as exc:
        raise BoundedReadError(path, exc.strerror or str(exc)) from None
    try:
        return read_open_file_bounded(fd, path, limit)
    finally:
        os.close(fd)


def read_open_file_bounded(fd: int, path: Path, limit: int) -> bytes:
    """`read_bytes_bounded` on a file the caller opened (e.g. without following symbolic links); `path` names it in
    errors. The caller closes `fd`."""
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BoundedReadError(path, "it is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise BoundedReadError(path, "not a regular file (a device, FIFO or socket)")
        if info.st_size > limit:
            raise BoundedReadError(path, f"{info.st_size:,} bytes, over the {limit:,}-byte limit")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise BoundedReadError(path, f"over the {limit:,}-byte limit")
        return b"".join(chunks)
    except OSError as exc:
        raise BoundedReadError(path, exc.strerror or str(exc)) from None


def read_text_bounded(path: Path | str, limit: int) -> str:
    """`read_bytes_bounded` decoded as UTF-8; non-UTF-8 bytes are a `BoundedReadError`."""
    data = read_bytes_bounded(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BoundedReadError(Path(path), f"not UTF-8 text (byte {exc.start})") from None
