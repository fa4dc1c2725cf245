"""The bounded reader: regular files up to a limit; everything else is one `BoundedReadError` line, never a hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labgrader.engine.bounded import BoundedReadError, read_bytes_bounded, read_text_bounded


def test_reads_a_regular_file_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_bytes(b"x" * 100)
    assert read_bytes_bounded(path, 100) == b"x" * 100


def test_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 101)
    with pytest.raises(BoundedReadError, match="101 bytes, over the 100-byte limit"):
        read_bytes_bounded(path, 100)


def test_refuses_a_device_without_reading_it() -> None:
    with pytest.raises(BoundedReadError, match="not a regular file"):
        read_bytes_bounded("/dev/zero", 100)


def test_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(BoundedReadError, match="not a regular file"):
        read_bytes_bounded(fifo, 100)


def test_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BoundedReadError, match="directory"):
        read_bytes_bounded(tmp_path, 100)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BoundedReadError, match="no such file"):
        read_bytes_bounded(tmp_path / "nope", 100)


def test_non_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"name = '\xe9'")
    with pytest.raises(BoundedReadError, match="not UTF-8 text"):
        read_text_bounded(path, 100)
