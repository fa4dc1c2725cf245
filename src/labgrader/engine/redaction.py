"""Keeping credentials out of the reports a grading run writes.

Messages redact Redis URLs already (targets.redact_url), and the student's process never receives the grader's
credentials; this is the safety net behind both: every secret value the grader can know of (AWS secret key and
session token, Redis passwords from the environment or the URL, CI tokens) is masked as `***` in the files this run
wrote, as such, reversed or base64-encoded. Only those files, named by path: nothing else under `--out` is read or
rewritten, no symbolic link is followed, and nothing outside `--out` is written. The sandbox's fixed credentials
(`labgrader`/`labgrader`) are public, not secrets: masking them would turn the word labgrader into `***`.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import html
import json
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from labgrader.engine.bounded import RESULTS_LIMIT, BoundedReadError, read_open_file_bounded
from labgrader.engine.results import RunResult
from labgrader.sandbox.state import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY

SECRET_ENV = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "REDIS_PASSWORD",
    "REDISCLI_AUTH",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
# Public values: the sandbox's fixed key pair, printed by `labgrader sandbox env` and in the README.
PUBLIC_VALUES = frozenset({SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY})
MASK = "***"
# Values this short are too likely to appear by chance (and too weak to be real secrets) to be replaced.
MIN_SECRET_LENGTH = 6
# A base64 fragment shorter than this matches ordinary text too often to be masked.
MIN_ENCODED_LENGTH = 8
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def base64_fragments(value: str) -> set[str]:
    """The base64 text that any base64 encoding containing `value` contains, whatever the alignment: for each of the
    three offsets, the characters that depend on `value`'s bytes alone (standard and URL-safe alphabets)."""
    data = value.encode("utf-8")
    fragments: set[str] = set()
    for offset in range(3):
        tail = data[offset:]
        encoded = base64.b64encode(tail).decode("ascii")[: 4 * (len(tail) // 3)]
        if len(encoded) >= MIN_ENCODED_LENGTH:
            fragments |= {encoded, encoded.replace("+", "-").replace("/", "_")}
    return fragments


def forms(value: str) -> set[str]:
    """Every form of a secret the reports could carry: as is, reversed, base64, and escaped for JSON/HTML/XML."""
    found: set[str] = set()
    for text in (value, value[::-1]):
        found |= {text, json.dumps(text)[1:-1], html.escape(text, quote=False), html.escape(text, quote=True)}
        found |= base64_fragments(text)
    return found


class Redactor:
    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self.values = sorted(
            {v for v in values if v and len(v) >= MIN_SECRET_LENGTH and v not in PUBLIC_VALUES}, key=len, reverse=True
        )
        self._forms = sorted({f for v in self.values for f in forms(v)}, key=len, reverse=True)

    @classmethod
    def from_environment(cls, *urls: str | None) -> Redactor:
        values: list[str | None] = [os.environ.get(name) for name in SECRET_ENV]
        values += [url_password(os.environ.get("REDIS_URL")), *(url_password(u) for u in urls)]
        return cls(values)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, MASK)
        return text

    def data(self, value: Any) -> Any:
        """`value` (parsed JSON) with every string, keys included, redacted: the structure is never touched."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def run(self, run: RunResult) -> RunResult:
        """A copy of `run` with its text redacted (what a command prints or writes again after the run)."""
        if not self.values:
            return run
        checks = [
            dataclasses.replace(
                check,
                message=self(check.message),
                hint=self(check.hint),
                hint_commands=[self(c) for c in check.hint_commands],
                hint_note=self(check.hint_note),
                evidence=self.data(check.evidence),
            )
            for check in run.checks
        ]
        return dataclasses.replace(run, checks=checks, extra=self.data(run.extra))

    def scrub_files(self, out_dir: Path, written: Iterable[Path]) -> list[Path]:
        """Mask secrets in the files this run `written` below `out_dir`; return the files changed.

        Each file is opened below `out_dir` one component at a time without following a symbolic link; a path
        outside `out_dir`, a symbolic link, or anything but a regular UTF-8 file is left alone. A rewrite replaces the
        file atomically (same folder, same mode)."""
        changed: list[Path] = []
        if not self.values:
            return changed
        for path in dict.fromkeys(written):
            with contextlib.suppress(OSError, ValueError, BoundedReadError):
                if self._scrub_file(out_dir, path):
                    changed.append(path)
        return changed

    def _scrub_file(self, out_dir: Path, path: Path) -> bool:
        root = out_dir.absolute()
        relative = path.absolute().relative_to(root)  # ValueError: outside --out
        if not relative.parts or ".." in relative.parts:
            return False
        folder = _open_folder_below(root, relative.parent)
        try:
            fd = os.open(relative.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=folder)
            try:
                mode = stat.S_IMODE(os.fstat(fd).st_mode)
                text = read_open_file_bounded(fd, path, RESULTS_LIMIT).decode("utf-8")
            finally:
                os.close(fd)
            cleaned = self._clean(text, path.suffix)
            if cleaned == text:
                return False
            _replace(folder, relative.name, cleaned, mode)
            return True
        finally:
            os.close(folder)

    def _clean(self, text: str, suffix: str) -> str:
        """Structured files are redacted value by value, so a secret's escaped form is found and the file stays
        valid; anything else (or a file that does not parse) as text."""
        if suffix == ".json":
            try:
                data = json.loads(text)
            except ValueError:
                return self(text)
            cleaned = self.data(data)
            return text if cleaned == data else json.dumps(cleaned, indent=2, default=str) + "\n"
        if suffix == ".xml":
            try:
                root = ET.fromstring(text)  # noqa: S314 - the run's own pytest JUnit file
            except ET.ParseError:
                return self(text)
            if not self._clean_xml(root):
                return text
            return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
        return self(text)

    def _clean_xml(self, root: ET.Element) -> bool:
        changed = False
        for element in root.iter():
            for attribute in ("text", "tail"):
                value = getattr(element, attribute)
                if value and (cleaned := self(value)) != value:
                    setattr(element, attribute, cleaned)
                    changed = True
            for key, value in element.attrib.items():
                if (cleaned := self(value)) != value:
                    element.set(key, cleaned)
                    changed = True
        return changed


def _open_folder_below(root: Path, relative: Path) -> int:
    """A descriptor of `root`/`relative`, walking `relative` without following symbolic links."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        for part in relative.parts:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _replace(folder: int, name: str, text: str, mode: int) -> None:
    temporary = f".{name}.redacted-{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, mode, dir_fd=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise
