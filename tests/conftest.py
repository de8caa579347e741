from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from openproton import mock_proton
from support import (
    InProcessWorld,
    ServerProcess,
    ServerWorld,
    World,
    leftover_postgres_databases,
    postgres_database,
    serving,
)

# The console tests' fixtures (reader, browser, served, page) live beside their helpers.
pytest_plugins = ["console_support"]

# The databases the xdist workers reported left behind, gathered on the controller as each worker finishes.
_LEFT_BY_WORKERS: list[str] = []


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess]:
    """`openproton serve` on a SQLite file."""
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ServerProcess]:
    """`openproton serve` on the machine's PostgreSQL."""
    with serving("behaviour") as process:
        yield process


@pytest.fixture
def postgres_databases() -> Iterator[Callable[[str], str]]:
    """Makes fresh PostgreSQL databases for one test (`url = postgres_databases("name")`), each dropped when the
    test ends; a server the test starts on one must be stopped by the test (in a `finally`)."""
    with contextlib.ExitStack() as made:
        yield lambda name: made.enter_context(postgres_database(name))


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


# -- no PostgreSQL database outlives the run -------------------------------------------------------------


@pytest.hookimpl(trylast=True)  # after the session fixtures' teardown (the runner's pytest_sessionfinish)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every database postgres_database() made in this process must be dropped by now; a leftover fails the run.

    On an xdist worker the list goes to the controller, which reports it with its own; without xdist this
    process reports. Only the databases this process made count, so a run elsewhere on the machine (or an
    earlier, killed one) is never blamed."""
    left = leftover_postgres_databases()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["leftover_databases"] = left
        return
    _report_leftovers(session, sorted({*left, *_LEFT_BY_WORKERS}))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: only the controller calls it
def pytest_testnodedown(node: Any, error: object) -> None:
    _LEFT_BY_WORKERS.extend(getattr(node, "workeroutput", {}).get("leftover_databases", []))


def _report_leftovers(session: pytest.Session, left: list[str]) -> None:
    if not left:
        return
    message = (
        f"{len(left)} PostgreSQL database(s) left behind by this run: {', '.join(left)}. "
        "Make them with `with postgres_database(...)` (support.py) or the postgres_databases fixture, which drop "
        "them when the block or test ends."
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(f"ERROR: {message}", red=True, bold=True)
    else:
        print(f"ERROR: {message}", file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
