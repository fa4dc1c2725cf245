"""Where the checks, the lab specs and the dataset live: a checkout, or the copy bundled in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The folder holding `checks/` and `fixtures/`.

    A wheel carries them in `labgrader/_bundle/`; an editable install (or a checkout on sys.path) finds them two
    levels above the package (`src/labgrader` → repository root).
    """
    bundled = _PACKAGE_DIR / "_bundle"
    if (bundled / "checks").is_dir():
        return bundled
    return _PACKAGE_DIR.parents[1]


def checks_dir() -> Path:
    return project_root() / "checks"


def fixtures_dir() -> Path:
    return project_root() / "fixtures"


def labs_dir() -> Path:
    return fixtures_dir() / "labs"


def default_lab_spec() -> Path:
    return labs_dir() / "week8.toml"


def compose_file() -> Path:
    """The students' compose.yaml (DynamoDB Local + Redis 7) for the containers target: the wheel's copy, or the
    checkout's."""
    return project_root() / "compose.yaml"


def grader_ini() -> Path:
    """The pytest configuration of a grading run, independent of any project's own pytest settings."""
    return _PACKAGE_DIR / "grader_pytest.ini"


def reference_solution() -> Path:
    """The reference cache-aside module (`labgrader demo` grades it)."""
    return fixtures_dir() / "solutions" / "reference_cache_aside.py"
