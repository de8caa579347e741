"""Provisioning tests run against a real CloudFormation API (moto's standalone server) in every mode:
in-process (`provisioning_mode="sync"`), and `openproton serve --provisioners cloudformation` on SQLite and on
PostgreSQL, whose worker runs the jobs in the background."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundles.bundle_support import Bundles
from openproton import Settings, mock_proton
from support import InProcessWorld, ServerProcess, ServerWorld, moto_server, serving

# What the server's own credential chain finds (moto takes any keys).
SERVER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "openproton-server", "AWS_SECRET_ACCESS_KEY": "server-secret"}


@pytest.fixture(scope="session")
def cloud_endpoint() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="openproton-moto-") as directory, moto_server(Path(directory)) as url:
        yield url


@pytest.fixture(scope="session")
def provisioning_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="openproton-provisioning-") as directory:
        yield Path(directory)


def server_flags(bundle_dir: Path, endpoint: str) -> tuple[str, ...]:
    return (
        "--bundle-dir", str(bundle_dir), "--provisioners", "cloudformation", "--cloudformation-endpoint", endpoint
    )  # fmt: skip


def server_env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **SERVER_CREDENTIALS}


@pytest.fixture(scope="session")
def cloud_server(provisioning_dir: Path, cloud_endpoint: str) -> Iterator[ServerProcess]:
    process = ServerProcess(*server_flags(provisioning_dir, cloud_endpoint), env=server_env())
    yield process
    process.stop()


@pytest.fixture(scope="session")
def cloud_postgres_server(provisioning_dir: Path, cloud_endpoint: str) -> Iterator[ServerProcess]:
    with serving("provisioning", *server_flags(provisioning_dir, cloud_endpoint), env=server_env()) as process:
        yield process


def in_every_mode(
    request: pytest.FixtureRequest, directory: Path, settings: Settings, servers: dict[str, str]
) -> Iterator[Bundles]:
    """A fixture's body for its three modes: in-process with `settings`, or the server fixture `servers` names
    for the mode (sqlite, postgres), reset first."""
    if request.param == "in-process":
        with mock_proton(settings=settings) as mock:
            yield Bundles(InProcessWorld(mock), directory)
        return
    server: ServerProcess = request.getfixturevalue(servers[request.param])
    reset = server.request("POST", "/_openproton/reset", {}, b"")
    assert reset.status == 200, reset.body
    yield Bundles(ServerWorld(server), directory)


@pytest.fixture(params=["in-process", "sqlite", "postgres"])
def cloud(
    request: pytest.FixtureRequest, provisioning_dir: Path, cloud_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bundles]:
    if request.param == "in-process":
        for name, value in SERVER_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
    settings = Settings(
        bundle_dir=str(provisioning_dir), provisioners=("cloudformation",), cloudformation_endpoint=cloud_endpoint
    )
    yield from in_every_mode(
        request, provisioning_dir, settings, {"sqlite": "cloud_server", "postgres": "cloud_postgres_server"}
    )


# -- self-managed: a bare git repository as the provisioning repository's remote ----------------------------

SELF_MANAGED = ("--provisioners", "self-managed")


@pytest.fixture(scope="session")
def git_bundle_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="openproton-self-managed-") as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def git_server(git_bundle_dir: Path) -> Iterator[ServerProcess]:
    process = ServerProcess("--bundle-dir", str(git_bundle_dir), *SELF_MANAGED)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def git_postgres_server(git_bundle_dir: Path) -> Iterator[ServerProcess]:
    with serving("self-managed", "--bundle-dir", str(git_bundle_dir), *SELF_MANAGED) as process:
        yield process


@pytest.fixture(params=["in-process", "sqlite", "postgres"])
def infra(request: pytest.FixtureRequest, git_bundle_dir: Path) -> Iterator[Bundles]:
    """`--provisioners self-managed` in every mode."""
    settings = Settings(bundle_dir=str(git_bundle_dir), provisioners=("self-managed",))
    yield from in_every_mode(
        request, git_bundle_dir, settings, {"sqlite": "git_server", "postgres": "git_postgres_server"}
    )


@pytest.fixture(params=["sqlite", "postgres"])
def served_infra(request: pytest.FixtureRequest, git_bundle_dir: Path) -> Iterator[Bundles]:
    """The same, with a worker pushing in the background only (a test acts while a push is under way)."""
    settings = Settings(bundle_dir=str(git_bundle_dir), provisioners=("self-managed",))
    yield from in_every_mode(
        request, git_bundle_dir, settings, {"sqlite": "git_server", "postgres": "git_postgres_server"}
    )
