from __future__ import annotations

from collections.abc import Iterator

import pytest

from openproton import mock_proton
from support import InProcessWorld, ServerProcess, ServerWorld, World, postgres_database


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess]:
    """`openproton serve` on a SQLite file."""
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ServerProcess]:
    """`openproton serve` on the machine's PostgreSQL."""
    process = ServerProcess(database=postgres_database("behaviour"))
    yield process
    process.stop()


@pytest.fixture(params=["in-process", "sqlite", "postgres"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """Every behaviour test runs three times: through mock_proton(), and against `openproton serve` on SQLite
    and on PostgreSQL."""
    if request.param == "in-process":
        with mock_proton() as mock:
            yield InProcessWorld(mock)
        return
    server: ServerProcess = request.getfixturevalue("server" if request.param == "sqlite" else "postgres_server")
    reset = server.request("POST", "/_openproton/reset", {}, b"")
    assert reset.status == 200, reset.body
    yield ServerWorld(server)
