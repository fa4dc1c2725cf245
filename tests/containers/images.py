"""The container images of the test suite, built on this machine (no registry is reachable from it).

Each image is a root filesystem made of this machine's own files, imported with `docker import`:

- `labgrader-test/redis`: Debian's redis-server and the libraries `ldd` lists (RDB on, Redis's default save rules);
- `labgrader-test/dynamodb`: this Python, its standard library and the distributions moto's server needs, running
  moto with the sandbox's corrections on port 8000 (dynamodb_server.py): the DynamoDB API a student's DynamoDB
  Local would answer. Amazon's DynamoDB Local is under the vendor's terms, so it is never used in tests.

An image is tagged with the hash of what goes into it (files, versions, this recipe), so a second build is a lookup.

    python -m tests.containers.images            # build what is missing, print the tags
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
REDIS_REPOSITORY = "labgrader-test/redis"
DYNAMODB_REPOSITORY = "labgrader-test/dynamodb"
REDIS_PORT = 6379
DYNAMODB_PORT = 8000
SITE = "/opt/labgrader/site-packages"
# What moto's server loads to answer the DynamoDB and Streams APIs (found by running it and listing the modules);
# their requirements are added below.
MOTO_SERVER_DISTRIBUTIONS = ("moto", "Flask", "flask-cors", "PyYAML", "py-partiql-parser")
# The sandbox's corrections of moto (labgrader.sandbox.moto), without the rest of labgrader (their imports stay
# inside moto, the standard library and these files), and the server that applies them in the container: every
# labgrader module that importing labgrader.sandbox.moto and applying its corrections loads
# (tests/sandbox/test_moto_container_files.py checks the list). The ElastiCache modules come along because
# labgrader.sandbox.moto imports them at load time; their Redis topology code (sandbox/topology.py) is only imported
# when TestFailover runs, which a DynamoDB container never answers.
LABGRADER_FILES = (
    "__init__.py",
    "engine/__init__.py",
    "engine/bounded.py",
    "sandbox/__init__.py",
    "sandbox/state.py",
    "sandbox/data_plane.py",
    "sandbox/moto/__init__.py",
    "sandbox/moto/dynamodb.py",
    "sandbox/moto/elasticache.py",
    "sandbox/moto/events.py",
    "sandbox/moto/parameter_groups.py",
)
DYNAMODB_SERVER = Path(__file__).with_name("dynamodb_server.py")
# Parts of the standard library a server never imports: left out to keep the image small.
STDLIB_LEFT_OUT = frozenset(
    {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "site-packages", "dist-packages"}
)
DOCKER_TIMEOUT_S = 300


class ImageBuildError(Exception):
    """An image could not be built: one line saying why."""


@dataclass
class RootFilesystem:
    """Files (path in the image → path here) and empty directories, plus how `docker import` configures the image."""

    files: dict[str, Path] = field(default_factory=dict)
    directories: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    hash_inputs: list[bytes] = field(default_factory=list)
    # Binaries whose shared libraries go in too, resolved only when the image is built (ldd is the slow part).
    native: list[Path] = field(default_factory=list)

    def add(self, path: Path, at: str | None = None) -> None:
        self.files[at or str(path)] = path

    def digest(self) -> str:
        hasher = hashlib.sha256(Path(__file__).read_bytes())
        for line in self.changes:
            hasher.update(line.encode())
        for item in self.hash_inputs:
            hasher.update(hashlib.sha256(item).digest())
        return hasher.hexdigest()[:16]

    def write_tar(self, stream: io.BufferedIOBase | io.RawIOBase) -> None:
        for library in shared_libraries(self.native):
            self.files.setdefault(str(library), library)
        with tarfile.open(fileobj=stream, mode="w|") as tar:  # type: ignore[arg-type]
            for directory in (*self.directories, "/tmp"):
                info = tarfile.TarInfo(directory.lstrip("/"))
                info.type = tarfile.DIRTYPE
                info.mode = 0o1777 if directory == "/tmp" else 0o755
                tar.addfile(info)
            for at, source in sorted(self.files.items()):
                tar.add(str(source.resolve()), arcname=at.lstrip("/"), recursive=False)


def shared_libraries(binaries: Iterable[Path]) -> set[Path]:
    """The libraries the dynamic loader resolves for `binaries` (ldd's `=> /path` and the loader itself)."""
    found: set[Path] = set()
    paths = [str(path) for path in binaries]
    for start in range(0, len(paths), 200):
        result = subprocess.run(["ldd", *paths[start : start + 200]], capture_output=True, text=True, check=False)
        for match in re.finditer(r"(?:=> )?(/\S+) \(0x", result.stdout):
            found.add(Path(match.group(1)))
    return found


def redis_rootfs(redis_server: Path) -> RootFilesystem:
    rootfs = RootFilesystem(
        directories=("/data",),
        changes=(
            f"EXPOSE {REDIS_PORT}",
            "WORKDIR /data",
            # Like the official image run without a config file: RDB on with Redis's default save rules.
            f'CMD ["{redis_server}", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data", '
            '"--save", "3600 1 300 100 60 10000"]',
        ),
    )
    for path in (redis_server, *sorted(shared_libraries([redis_server]))):
        rootfs.add(path)
        rootfs.hash_inputs.append(path.read_bytes())
    return rootfs


def _requirement_closure(roots: Iterable[str]) -> list[importlib.metadata.Distribution]:
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        distribution = importlib.metadata.distribution(name)
        seen[key] = distribution
        for text in distribution.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def _stdlib_files(stdlib: Path) -> Iterator[Path]:
    for entry in stdlib.iterdir():
        if entry.name in STDLIB_LEFT_OUT or entry.name.startswith("config-"):
            continue
        if entry.is_dir():
            yield from (path for path in entry.rglob("*") if path.is_file())
        elif entry.is_file():
            yield entry


def dynamodb_rootfs() -> RootFilesystem:
    python = Path(os.path.realpath(sys.executable))
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["stdlib"])
    rootfs = RootFilesystem(
        changes=(
            f"EXPOSE {DYNAMODB_PORT}",
            f"ENV PYTHONPATH={SITE}",
            "ENV PYTHONDONTWRITEBYTECODE=1",
            f'CMD ["{python}", "{SITE}/{DYNAMODB_SERVER.name}"]',
        ),
    )
    rootfs.hash_inputs += [sys.version.encode(), python.read_bytes()]
    rootfs.add(python)
    rootfs.native.append(python)
    for path in _stdlib_files(stdlib):
        rootfs.add(path)
        if path.suffix == ".so":
            rootfs.native.append(path)
    for distribution in _requirement_closure(MOTO_SERVER_DISTRIBUTIONS):
        record = distribution.read_text("RECORD") or ""
        # RECORD lists every installed file with its sha256: the distribution's content hash.
        rootfs.hash_inputs.append(f"{distribution.metadata['Name']}=={distribution.version}\n{record}".encode())
        for relative in distribution.files or ():
            if str(relative).startswith(".."):
                continue
            source = Path(str(distribution.locate_file(relative)))
            if source.is_file():
                rootfs.add(source, f"{SITE}/{relative}")
                if ".so" in source.suffixes:
                    rootfs.native.append(source)
    rootfs.add(DYNAMODB_SERVER, f"{SITE}/{DYNAMODB_SERVER.name}")
    rootfs.hash_inputs.append(DYNAMODB_SERVER.read_bytes())
    package = REPO / "src" / "labgrader"
    for relative_name in LABGRADER_FILES:
        rootfs.add(package / relative_name, f"{SITE}/labgrader/{relative_name}")
        rootfs.hash_inputs.append((package / relative_name).read_bytes())
    return rootfs


def docker(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def image_exists(tag: str) -> bool:
    return docker("image", "inspect", "--format", "{{.Id}}", tag).returncode == 0


def build(repository: str, rootfs: RootFilesystem) -> str:
    """The image's tag, importing the root filesystem only when no image of this content exists yet."""
    tag = f"{repository}:{rootfs.digest()}"
    if image_exists(tag):
        return tag
    command = ["docker", "import", *(part for change in rootfs.changes for part in ("--change", change)), "-", tag]
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors) as importer,
    ):
        assert importer.stdin is not None
        try:
            rootfs.write_tar(importer.stdin)
        finally:
            importer.stdin.close()
        try:
            importer.wait(timeout=DOCKER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            importer.kill()
            raise ImageBuildError(f"docker import of {tag} took longer than {DOCKER_TIMEOUT_S} s") from None
        errors.seek(0)
        detail = errors.read().decode(errors="replace").strip().splitlines()
    if importer.returncode != 0:
        raise ImageBuildError(f"docker import of {tag} failed: {detail[-1] if detail else importer.returncode}")
    _remove_older_builds(repository, keep=tag)
    return tag


def _remove_older_builds(repository: str, keep: str) -> None:
    """Builds of other inputs are dead weight (each up to 180 MB): remove them, unless a container still uses one."""
    listed = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repository).stdout.split()
    for tag in listed:
        if tag != keep:
            docker("image", "rm", tag)


def redis_server_binary() -> Path:
    found = os.environ.get("LABGRADER_REDIS_SERVER") or shutil.which("redis-server")
    if not found:
        raise ImageBuildError("no redis-server on this machine to build the Redis image from (apt-get install redis)")
    # Not resolved: Debian's redis-server is a link to redis-check-rdb, which picks its role from its name.
    return Path.cwd() / found if not Path(found).is_absolute() else Path(found)


@dataclass(frozen=True)
class Images:
    redis: str
    dynamodb: str


def build_all() -> Images:
    return Images(
        redis=build(REDIS_REPOSITORY, redis_rootfs(redis_server_binary())),
        dynamodb=build(DYNAMODB_REPOSITORY, dynamodb_rootfs()),
    )


def main() -> int:
    started = time.monotonic()
    try:
        images = build_all()
    except (ImageBuildError, OSError, subprocess.SubprocessError) as exc:
        print(f"images: {exc}", file=sys.stderr)
        return 1
    print(f"images: {images.redis} {images.dynamodb} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
