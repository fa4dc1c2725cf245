"""The test suite's DynamoDB container runs the sandbox's moto corrections from a copy of only some of labgrader's
files (tests/containers/images.py: LABGRADER_FILES): every module the corrections load must be among them, or the
container's server dies at start with a ModuleNotFoundError (and every container test with it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.containers.images import LABGRADER_FILES

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "labgrader"

# What the container's server does (tests/containers/dynamodb_server.py), in a fresh interpreter.
PROBE = """
import json, sys
from labgrader.sandbox import moto
moto.apply()
import moto.dynamodb.models, moto.dynamodbstreams.models
print(json.dumps(sorted(m.__file__ for n, m in list(sys.modules.items()) if n.split(".")[0] == "labgrader")))
"""


def test_the_container_image_holds_every_module_the_moto_corrections_load() -> None:
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    )
    needed = {Path(path).resolve().relative_to(PACKAGE).as_posix() for path in loaded}
    assert needed <= set(LABGRADER_FILES), f"missing from LABGRADER_FILES: {sorted(needed - set(LABGRADER_FILES))}"


def test_every_listed_file_exists() -> None:
    assert [name for name in LABGRADER_FILES if not (PACKAGE / name).is_file()] == []
