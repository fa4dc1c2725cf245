"""Every report a course uses, derived from results.json (SPEC §4, the source of truth).

Formats (`--format a,b,...` on grade, demo and report; `all` = every one):
  html        report.html: self-contained page with the latency pictures and each check's evidence
  markdown    summary.md, also appended to $GITHUB_STEP_SUMMARY when set
  junit       junit.xml: pytest's own --junitxml, one testcase per check ID
  gradescope  results/results.json in the Gradescope autograder layout
  classroom   classroom.json, and `result=<base64>` appended to $GITHUB_OUTPUT for GitHub Classroom
  json        results.json only (always written)
Default: everything except classroom, plus classroom when $GITHUB_OUTPUT is set (that is, inside GitHub Actions).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from labgrader.reports import classroom, gradescope, html, junit, markdown
from labgrader.reports.model import as_run
from labgrader.engine.results import RunResult

FORMATS = ("html", "markdown", "junit", "gradescope", "classroom")
ALIASES = {"md": "markdown", "xml": "junit", "junitxml": "junit", "github": "classroom", "htm": "html"}


def default_formats(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    environ = os.environ if environ is None else environ
    return tuple(f for f in FORMATS if f != "classroom" or environ.get("GITHUB_OUTPUT"))


def parse_formats(text: str) -> tuple[str, ...]:
    """`html,gradescope` → ("html", "gradescope"); ValueError naming the unknown one."""
    chosen: list[str] = []
    for raw in text.replace(" ", ",").split(","):
        name = ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if not name or name == "json":
            continue
        if name == "all":
            chosen.extend(FORMATS)
        elif name in FORMATS:
            chosen.append(name)
        else:
            raise ValueError(f"unknown report format {raw.strip()!r}: use {', '.join((*FORMATS, 'json', 'all'))}")
    return tuple(f for f in FORMATS if f in chosen)


def write_reports(
    run_or_results: RunResult | Mapping[str, Any],
    out_dir: Path,
    formats: Iterable[str],
    *,
    environ: Mapping[str, str] | None = None,
    junit_path: Path | None = None,
    picture_dir: Path | None = None,
) -> dict[str, Path]:
    """Write results.json and each format into `out_dir`; returns format → file written.

    junit_path: pytest's own JUnit file of the run (default `out_dir/junit.xml`, built from results.json if absent);
    picture_dir: where the latency pictures are (default `out_dir`).
    """
    run = as_run(run_or_results)
    wanted = set(formats)
    written = {"json": run.write(out_dir)}
    if "html" in wanted:
        written["html"] = html.write(run, out_dir, picture_dir)
    if "markdown" in wanted:
        written["markdown"] = markdown.write(run, out_dir, environ)
    if "junit" in wanted:
        written["junit"] = junit.write(run, out_dir, junit_path)
    if "gradescope" in wanted:
        written["gradescope"] = gradescope.write(run, out_dir)
    if "classroom" in wanted:
        written["classroom"] = classroom.write(run, out_dir, environ)
    return written


def write_crash_reports(
    out_dir: Path,
    formats: Iterable[str],
    message: str,
    execution_time: float,
    *,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Grading could not finish: the formats that must always exist (Gradescope, Classroom) say why."""
    wanted = set(formats)
    written: dict[str, Path] = {}
    if "gradescope" in wanted:
        written["gradescope"] = gradescope.write_crashed(out_dir, message, execution_time)
    if "classroom" in wanted:
        written["classroom"] = classroom.write_crashed(out_dir, message, environ)
    return written
