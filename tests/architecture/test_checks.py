"""The checks' one door into labgrader: a module in checks/ imports labgrader names from `labgrader.api` and from
nowhere else (read from the source, by AST: nothing is imported to judge it), and the API carries nothing no check
uses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from labgrader import api, paths
from labgrader.engine import catalog

CHECK_FILES = sorted(paths.checks_dir().rglob("*.py"))


def _reaches_labgrader(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "labgrader" for alias in node.names)
    return node.level > 0 or (node.module or "").split(".")[0] == "labgrader"


def _labgrader_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement (at any depth) that reaches into labgrader, relative ones included."""
    return [
        node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom) and _reaches_labgrader(node)
    ]


def _imported_api_names(path: Path) -> set[str]:
    return {
        alias.name
        for node in _labgrader_imports(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_every_check_file_is_found() -> None:
    assert len(CHECK_FILES) == len(catalog.CATALOG)


@pytest.mark.parametrize("path", CHECK_FILES, ids=lambda path: path.stem)
def test_a_check_imports_labgrader_only_from_the_api(path: Path) -> None:
    wrong = [
        ast.unparse(node)
        for node in _labgrader_imports(ast.parse(path.read_text(), filename=str(path)))
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "labgrader.api")
    ]
    assert not wrong, f"{path.name} imports labgrader names past labgrader.api: {wrong}"
    unknown = _imported_api_names(path) - set(api.__all__)
    assert not unknown, f"{path.name} imports names labgrader.api does not export: {sorted(unknown)}"


def test_the_api_exports_what_the_checks_use_and_no_more() -> None:
    used = set().union(*(_imported_api_names(path) for path in CHECK_FILES))
    assert sorted(set(api.__all__) - used) == []
    assert len(api.__all__) == len(set(api.__all__))
