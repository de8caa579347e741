from __future__ import annotations

from collections.abc import Iterator

import pytest

from openproton import mock_proton
from support import InProcessWorld, ServerProcess, ServerWorld, World


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess]:
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture(params=["in-process", "server"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """Every behaviour test runs twice: through mock_proton() and against `openproton serve`."""
    if request.param == "in-process":
        with mock_proton() as mock:
            yield InProcessWorld(mock)
    else:
        server: ServerProcess = request.getfixturevalue("server")
        reset = server.request("POST", "/_openproton/reset", {}, b"")
        assert reset.status == 200, reset.body
        yield ServerWorld(server)
