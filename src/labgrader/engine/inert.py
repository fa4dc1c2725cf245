"""Text a student controls (exception messages, printed output, item values, `--student-id`) made inert for each
place labgrader shows it: bounded in length, no lone surrogates (UTF-8 writers choke on them), and per output no
terminal escapes, no spreadsheet formulas. HTML, Markdown and XML escaping live with their formats.
"""

from __future__ import annotations

import re

# What a report shows of one message or hint, and of one evidence value: enough for any grader sentence and the
# last lines of a traceback; a module printing megabytes cannot bloat a report.
MESSAGE_LIMIT = 2_000
EVIDENCE_LIMIT = 8_000
# A hint is commands the grader built (re-creating a table with its import and exercises runs ~3,000 characters):
# bounded, yet never cut in the middle of a command a student pastes.
HINT_LIMIT = 16_000
CELL_LIMIT = 500
# A test's name in the Gradescope and Classroom JSON: a check ID and its objective.
NAME_LIMIT = 300

_SURROGATES = re.compile("[\ud800-\udfff]")
# ANSI escape sequences (CSI, OSC up to BEL or ST, two-byte ESC forms), then any C0/C1 control character left and
# the Unicode bidirectional overrides that reorder what a terminal shows.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-Z\\-_]?"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the one-byte C1 CSI
)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029\x85]+")
# OWASP CSV injection: a cell starting with one of these is a formula in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` cut to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters not shown]"


def valid_unicode(text: str) -> str:
    """Lone surrogates (JSON's \\ud800 escapes) as U+FFFD, so every UTF-8 writer can write the text."""
    return _SURROGATES.sub("\ufffd", text)


def printable(text: str) -> str:
    """`text` without terminal escape sequences and control characters (line breaks and tabs kept)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", valid_unicode(text)))


def terminal(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One terminal line: escape sequences and control characters removed, line breaks as spaces, bounded."""
    return bounded(printable(_LINE_BREAKS.sub(" ", text)), limit)


def csv_cell(text: str, limit: int = CELL_LIMIT) -> str:
    """A gradebook cell no spreadsheet evaluates: one line, and a leading formula character (OWASP's list, also after
    leading spaces) prefixed with an apostrophe."""
    text = terminal(text, limit)
    if text.lstrip(" ").startswith(_FORMULA_START):
        return "'" + text
    return text
