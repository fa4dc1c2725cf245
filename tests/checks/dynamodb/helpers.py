"""Helpers of the DynamoDB self-tests: item fingerprints, scratch-item probes, the real `aws` CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from labgrader import paths
from labgrader.engine import catalog
from labgrader.engine.scratch import SCRATCH_PREFIX
from labgrader.sandbox import manager
from labgrader.sandbox.state import SandboxState
from labgrader.services.dynamodb import fixtures as dynamodb_fixtures

AWS_CLI = Path(sys.executable).parent / "aws"
DYNAMODB_IDS = frozenset(e.id for e in catalog.CATALOG if e.section == "dynamodb")


def all_items(client: Any, table: str) -> list[dict[str, Any]]:
    """Every item of the table, scratch items included, strongly consistent."""
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def canonical(items: list[dict[str, Any]]) -> list[str]:
    """Each item as canonical JSON (sorted keys, every attribute), the list sorted: equal lists, equal tables."""
    return sorted(json.dumps(item, sort_keys=True, separators=(",", ":"), default=str) for item in items)


def fingerprint(client: Any, table: str) -> tuple[str, list[str]]:
    """(sha256 of the canonical items, the canonical items) of the whole table."""
    rows = canonical(all_items(client, table))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest(), rows


def scratch_items(client: Any, table: str, partition_key: str = "category") -> list[dict[str, Any]]:
    """Items whose partition key carries the grader's reserved prefix (any run)."""
    return [i for i in all_items(client, table) if i.get(partition_key, {}).get("S", "").startswith(SCRATCH_PREFIX)]


def cli_env(sandbox: SandboxState, region: str | None = None) -> dict[str, str]:
    """The environment a student gets from `eval "$(labgrader sandbox env)"`, plus our venv's `aws` on PATH."""
    env = {**os.environ, **manager.env_exports(sandbox)}
    if region is not None:
        env["AWS_DEFAULT_REGION"] = env["AWS_REGION"] = region
    env["PATH"] = f"{AWS_CLI.parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("AWS_PROFILE", None)
    return env


def aws(sandbox: SandboxState, *args: str, region: str | None = None) -> dict[str, Any]:
    """Run `aws <args>` as a student would; its JSON answer (or {})."""
    done = subprocess.run(
        [str(AWS_CLI), *args, "--output", "json"],
        env=cli_env(sandbox, region),
        cwd=paths.project_root(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"aws {' '.join(args)} failed: {done.stderr.strip()}"
    answer: dict[str, Any] = json.loads(done.stdout) if done.stdout.strip() else {}
    return answer


def load_check_module(check_id: str) -> Any:
    """The module of a DynamoDB check (its helpers and constants, beside the function `load_check` returns)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"labgrader_check_module_{check_id}", paths.checks_dir() / "dynamodb" / f"{check_id}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dataset_items(spec: Any) -> list[dict[str, Any]]:
    """The shipped dataset's items (AttributeValue form), in file order (books, games, music, tools)."""
    from labgrader.dataset import load_put_items

    items: list[dict[str, Any]] = load_put_items(spec.dynamodb.dataset.path)
    return items


def fill(client: Any, spec: Any, items: list[dict[str, Any]], *, exercises: bool = True) -> None:
    """Import `items` into the spec's table (BatchWriteItem by 25), then do the lab's exercises when asked (the
    conditional update only on an item that was imported: the lab's ConditionExpression refuses a missing one)."""
    from labgrader.dataset import exercise_keys, key_attribute_values, spec_key
    from labgrader.solve import dynamodb as solve_dynamodb

    solve_dynamodb.import_dataset(client, spec.dynamodb.table, items)
    if not exercises:
        return
    ddb = spec.dynamodb
    assert exercise_keys(ddb)
    present = [
        u
        for u in ddb.exercises.updated
        if "Item" in client.get_item(TableName=ddb.table, Key=key_attribute_values(spec_key(u.key, ddb), ddb))
    ]
    solve_dynamodb.do_exercises(
        client, ddb.model_copy(update={"exercises": ddb.exercises.model_copy(update={"updated": present})})
    )


class Wrapped:
    """A boto3 client whose chosen operations are replaced (to produce answers the sandbox never gives)."""

    def __init__(self, client: Any, **replacements: Any) -> None:
        self._client = client
        self._replacements = replacements

    def __getattr__(self, name: str) -> Any:
        if name in self._replacements:
            return lambda **kwargs: self._replacements[name](self._client, **kwargs)
        return getattr(self._client, name)


def dynamodb_fixture(name: str) -> Any:
    """The plain function behind a fixture of labgrader.services.dynamodb.fixtures (to call it with a crafted
    answer)."""
    return getattr(dynamodb_fixtures, name)._get_wrapped_function()
