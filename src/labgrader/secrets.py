"""Keeping credentials out of every report, log and terminal line.

Messages are written to redact Redis URLs already (targets.redact_url); this is the safety net behind them:
every secret value labgrader can know of (AWS keys and session token, Redis passwords from the environment or the
URL) is replaced by `***` in whatever it writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

SECRET_ENV = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "REDIS_PASSWORD",
    "REDISCLI_AUTH",
)
MASK = "***"
# Values this short are too likely to appear by chance (and too weak to be real secrets) to be replaced.
MIN_SECRET_LENGTH = 6


def url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


class Redactor:
    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self.values = sorted({v for v in values if v and len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    @classmethod
    def from_environment(cls, *urls: str | None) -> Redactor:
        values: list[str | None] = [os.environ.get(name) for name in SECRET_ENV]
        values += [url_password(os.environ.get("REDIS_URL")), *(url_password(u) for u in urls)]
        return cls(values)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        return text

    def scrub_tree(self, folder: Path) -> list[Path]:
        """Rewrite every text file below `folder` that contains a secret; return the files changed."""
        changed: list[Path] = []
        if not self.values or not folder.is_dir():
            return changed
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            cleaned = self(text)
            if cleaned != text:
                path.write_text(cleaned, encoding="utf-8")
                changed.append(path)
        return changed
