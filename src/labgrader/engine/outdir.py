"""The report folder (`--out`): checked before any work, and every file in it written whole or not at all.

A report file is written to a hidden temporary name beside it and renamed over the final name, so a full disk, a
Ctrl-C or a crash leaves the previous file or none, never a truncated one and never the temporary.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from labgrader.engine.exit_codes import EXIT_COULD_NOT_LOOK, EXIT_USAGE

# Below this much free space the reports of one run (≈ 100 KB) may not fit: say so before grading, not after.
MIN_FREE_BYTES = 16 << 10


class OutputError(Exception):
    """The reports cannot be written: one line; exit 2 when --out names the wrong thing, 3 when the disk refuses."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def check_out_dir(out: Path, option: str = "--out") -> None:
    """Raise OutputError unless `out` is (or can be made as) a writable folder with some free space.

    Creates nothing: a run that stops before grading leaves no folder behind."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{option} {out}: it is a file, not a folder: give a folder for the reports.", EXIT_USAGE)
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{option} {out}: {existing} is a file, so the folder cannot be made there.", EXIT_USAGE)
    if not os.access(existing, os.W_OK | os.X_OK):
        reason = f"{existing} is not writable (read-only or no permission)"
        raise OutputError(f"{option} {out}: {reason}.", EXIT_COULD_NOT_LOOK)
    try:
        stats = os.statvfs(existing)
    except OSError:
        return
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        raise OutputError(f"{option} {out}: no space left there ({free:,} bytes free).", EXIT_COULD_NOT_LOOK)


def _refuse_linked_folders(path: Path, root: Path) -> None:
    """A folder between `root` (the report folder) and `path` that is a symbolic link would carry the write out of
    the report folder (a planted `results` link): refused, never followed."""
    folder = path.parent
    while folder != root and root in folder.parents:
        if folder.is_symlink():
            raise OutputError(
                f"cannot write {path}: {folder} is a symbolic link (labgrader writes only inside {root}).",
                EXIT_COULD_NOT_LOOK,
            )
        folder = folder.parent


@contextlib.contextmanager
def replacing(path: Path, root: Path | None = None) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed over `path` on success, removed on any failure.

    `root`: the report folder `path` is in; no folder below it on the way to `path` may be a symbolic link.
    An OSError while writing becomes an OutputError (exit 3) naming the file."""
    temporary = path.with_name(f".{path.name}.partial-{os.getpid()}")
    if root is not None:
        _refuse_linked_folders(path, root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Whatever is at the temporary name already (a symlink someone planted) goes first: writers open the name.
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        yield temporary
        temporary.replace(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}.", EXIT_COULD_NOT_LOOK) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def write_text(path: Path, text: str, root: Path | None = None) -> Path:
    """Write `text` (UTF-8) to `path` whole or not at all (`root`: see `replacing`)."""
    with replacing(path, root) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path
