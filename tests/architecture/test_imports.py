"""The package's architecture, enforced: no import cycle between labgrader's modules (imports inside functions and
under TYPE_CHECKING count too), and imports flow one way between its parts (see README, "Development")."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "labgrader"
CHECKS = ROOT / "checks"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


KNOWN = modules()


def imported(path: Path) -> Iterator[str]:
    """Every labgrader module `path` imports (a `from package import name` counts as `package.name` when that is a
    module, else as `package`)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "labgrader")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "labgrader":
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                yield candidate if candidate in KNOWN else node.module


def graph() -> dict[str, set[str]]:
    return {name: {m for m in imported(path) if m in KNOWN and m != name} for name, path in KNOWN.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _within(name: str, *parts: str) -> bool:
    return any(name == f"labgrader.{p}" or name.startswith(f"labgrader.{p}.") for p in parts)


# Who may not import whom: (importers, what they must not import, why).
RULES = [
    (
        ("engine.check", "engine.verdict", "engine.catalog", "engine.results", "engine.errors", "engine.state"),
        ("engine.session", "engine.plugin", "engine.runner", "engine.fixtures", "services", "sandbox", "reports"),
        "the check vocabulary is the bottom of the engine: the grading run is built on it, never the reverse",
    ),
    (
        ("services", "cacheaside"),
        ("engine.session", "engine.plugin", "engine.runner", "reports", "commands", "cli", "roster"),
        "a service's toolkit reads the run through engine.state, never the plugin machinery or the front ends",
    ),
    (
        ("sandbox", "targets"),
        (
            "services",
            "cacheaside",
            "engine.session",
            "engine.plugin",
            "engine.runner",
            "engine.fixtures",
            "reports",
            "commands",
            "cli",
            "roster",
            "cleanup",
        ),
        "where a lab is graded knows nothing of how it is graded",
    ),
    (
        ("engine", "services", "sandbox", "targets", "reports", "cleanup", "cacheaside", "roster", "solve"),
        ("commands", "cli", "launcher"),
        "the command line sits on top of everything",
    ),
]


@pytest.mark.parametrize(("importers", "forbidden", "why"), RULES, ids=lambda v: v if isinstance(v, str) else None)
def test_imports_flow_one_way(importers: tuple[str, ...], forbidden: tuple[str, ...], why: str) -> None:
    edges = graph()
    broken = sorted(
        f"{source} imports {target}"
        for source, targets in edges.items()
        if _within(source, *importers)
        for target in targets
        if _within(target, *forbidden)
    )
    assert broken == [], why


def test_no_private_pytest_import() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in [*PACKAGE.rglob("*.py"), *CHECKS.rglob("*.py")]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("_pytest"))
        or (isinstance(node, ast.Import) and any(a.name.startswith("_pytest") for a in node.names))
    ]
    assert offenders == []


def test_the_api_is_for_checks_only() -> None:
    """labgrader.api faces the checks; nothing inside the package builds on it (it sits above every toolkit)."""
    assert sorted(source for source, targets in graph().items() if "labgrader.api" in targets) == []
