"""Bundle tests run in every mode with a bundle source: in-process, and `openproton serve --bundle-dir` on
SQLite and on PostgreSQL. The S3 tests start moto's standalone server (s3_support.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundles.bundle_support import Bundles
from openproton import Settings, mock_proton
from support import InProcessWorld, ServerProcess, ServerWorld, serving


@pytest.fixture(scope="session")
def bundle_dir() -> Iterator[Path]:
    """The `--bundle-dir` every bundle test shares; each test puts its archives under keys of its own."""
    with tempfile.TemporaryDirectory(prefix="openproton-bundles-") as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def bundle_server(bundle_dir: Path) -> Iterator[ServerProcess]:
    process = ServerProcess("--bundle-dir", str(bundle_dir))
    yield process
    process.stop()


@pytest.fixture(scope="session")
def bundle_postgres_server(bundle_dir: Path) -> Iterator[ServerProcess]:
    with serving("bundles", "--bundle-dir", str(bundle_dir)) as process:
        yield process


@pytest.fixture(params=["in-process", "sqlite", "postgres"])
def bundles(request: pytest.FixtureRequest, bundle_dir: Path) -> Iterator[Bundles]:
    if request.param == "in-process":
        with mock_proton(settings=Settings(bundle_dir=str(bundle_dir))) as mock:
            yield Bundles(InProcessWorld(mock), bundle_dir)
        return
    name = "bundle_server" if request.param == "sqlite" else "bundle_postgres_server"
    server: ServerProcess = request.getfixturevalue(name)
    reset = server.request("POST", "/_openproton/reset", {}, b"")
    assert reset.status == 200, reset.body
    yield Bundles(ServerWorld(server), bundle_dir)
