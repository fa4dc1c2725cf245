"""The README's promises that code can keep honest: the quick start matches CI, and the example cache-aside
module really passes every cache-aside check."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine import catalog
from labgrader.engine.session import FIXTURE_PLUGINS

README = (paths.project_root() / "README.md").read_text(encoding="utf-8")
CI = (paths.project_root() / ".ci" / "run").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_the_quick_start_is_install_plus_demo_then_the_test_command() -> None:
    install_and_demo, tests = _blocks("bash")[0].strip().splitlines()
    assert install_and_demo == "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/labgrader demo"
    assert tests == ".venv/bin/python -m pytest"
    assert "python3 -m venv .venv" in CI
    assert ".venv/bin/pip install --quiet -e '.[dev]'" in CI
    assert CI.rstrip().endswith(tests)


@pytest.mark.sandbox
def test_the_example_module_passes_every_cache_aside_check(solved, local_target, grade, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    example = next(block for block in _blocks("python") if "def get_product" in block)
    module = tmp_path / "cache_aside.py"
    module.write_text(example, encoding="utf-8")
    ids = {entry.id for entry in catalog.CATALOG if entry.section == "cache_aside"}
    run = grade(solved, local_target, only=ids, solution=module)
    assert {i: run.get(i).status for i in ids} == dict.fromkeys(ids, "pass")


@pytest.mark.sandbox
def test_a_module_that_prints_is_graded_as_if_it_did_not(solved, local_target, grade, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The README: what a module prints is captured apart and fails nothing by itself."""
    example = next(block for block in _blocks("python") if "def get_product" in block)
    noisy = example.replace(
        "def get_product(category, sku):\n",
        "def get_product(category, sku):\n    print('get_product', category, sku)\n"
        "    sys.stderr.write('a warning\\n')\n",
    )
    assert noisy != example
    module = tmp_path / "cache_aside.py"
    module.write_text("import sys\nprint('loading the cache-aside module')\n" + noisy, encoding="utf-8")
    ids = {entry.id for entry in catalog.CATALOG if entry.section == "cache_aside"}
    run = grade(solved, local_target, only=ids, solution=module)
    assert {i: run.get(i).status for i in ids} == dict.fromkeys(ids, "pass")


def _development_tree() -> str:
    section = README.split("## Development", 1)[1]
    return re.findall(r"```\n(.*?)```", section, flags=re.DOTALL)[0]


def test_the_development_tree_names_every_package_folder() -> None:
    tree = _development_tree()
    package = paths.project_root() / "src" / "labgrader"
    folders = sorted(p.name for p in package.iterdir() if (p / "__init__.py").is_file() and p.name != "services")
    assert [f for f in folders if f"src/labgrader/{f}/" not in tree] == []
    assert "src/labgrader/services/<service>/" in tree
    assert "src/labgrader/api.py" in tree


def _fixtures_defined() -> set[str]:
    """The names of every fixture the grading session registers (functions decorated with pytest.fixture)."""
    names = set()
    for module in FIXTURE_PLUGINS:
        tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list):
                names.add(node.name)
    return names


def test_the_recipe_names_only_fixtures_that_exist() -> None:
    recipe = README.split("### Adding a check", 1)[1].split("\n### ", 1)[0]
    listed = recipe.split("**Fixtures it may take**", 1)[1].split("4. **", 1)[0]
    named = set(re.findall(r"`([a-z0-9_]+)`", listed)) - {"fixtures"}
    assert len(named) > 30
    assert sorted(named - _fixtures_defined()) == []


def test_the_gradescope_and_classroom_recipes_install_bubblewrap() -> None:
    """Without bwrap the student's setup script and module get only the weaker containment (unshare): both recipes
    that build a grading machine install it next to redis-server."""
    setup_sh = next(block for block in _blocks("bash") if 'pip3 install "labgrader @ ${LABGRADER_SOURCE}"' in block)
    workflow = next(block for block in _blocks("yaml") if "name: Autograding Tests" in block)
    for recipe in (setup_sh, workflow):
        (apt_line,) = [line for line in recipe.splitlines() if "apt-get install" in line]
        packages = apt_line.split("apt-get install", 1)[1].split("&&", 1)[0].split("#", 1)[0].split()
        assert {"-y", "redis-server", "bubblewrap"} <= set(packages), apt_line
