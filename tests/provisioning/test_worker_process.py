"""[decided] P-10: a server runs its provisioning worker as a child process of each server process, at a lower OS
priority (`--provisioning-worker process`, the default), so jobs never hold the request handlers' GIL; it wakes at
once for a job posted there, is started again if it dies, and stops with the server. `thread` keeps the worker
inside the server process. All through real `openproton serve` processes and moto's CloudFormation."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bundles.bundle_library import archive, put
from openproton.proton.provisioning import POLL_SECONDS, WORKER_NICENESS
from provisioning.conftest import server_env, server_flags
from provisioning.test_cloudformation import SPEC, bundle, ended
from support import MGMT_ACCOUNT, REGION, ServerProcess, make_client

ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service"
WORKER_MODULE = "openproton.provisioning_worker"


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def workers_of(pid: int) -> list[int]:
    """The provisioning worker processes among the children of `pid`."""
    found = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if WORKER_MODULE.encode() in command:
            found.append(child)
    return found


def alive(pid: int) -> bool:
    return _stat(pid) is not None


def eventually(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture
def published(provisioning_dir: Path) -> dict[str, Any]:
    """The bundle source of a CloudFormation template version, for servers that register it."""
    return put(provisioning_dir, "templates", "worker-process.tar.gz", archive(bundle()))


@pytest.fixture
def start(provisioning_dir: Path, cloud_endpoint: str) -> Iterator[Callable[..., ServerProcess]]:
    servers: list[ServerProcess] = []

    def started(*extra: str, env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(
            *server_flags(provisioning_dir, cloud_endpoint), *extra, env={**server_env(), **(env or {})}
        )
        servers.append(server)
        return server

    yield started
    for server in servers:
        server.stop()


def client_with_template(server: ServerProcess, source: dict[str, Any]) -> Any:
    client = make_client(server.endpoint, MGMT_ACCOUNT, REGION)
    client.create_environment_template(name="vpc")
    client.create_environment_template_version(templateName="vpc", source=source)
    client.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    return client


def provisioned(client: Any, name: str, timeout: float = 30) -> dict[str, Any]:
    client.create_environment(
        name=name, templateName="vpc", templateMajorVersion="1", spec=SPEC, protonServiceRoleArn=ROLE
    )
    return ended(lambda: client.get_environment(name=name)["environment"], timeout)


def test_the_worker_is_a_child_process_at_a_lower_priority_woken_at_once_for_a_job(
    start: Callable[..., ServerProcess], published: dict[str, Any]
) -> None:
    server = start()
    [worker] = eventually(lambda: workers_of(server.process.pid))
    # Field 19 of stat, the niceness: the child lowers its own as it starts.
    assert eventually(lambda: int((_stat(worker) or ["0"] * 17)[16]) == WORKER_NICENESS)
    client = client_with_template(server, published)
    assert provisioned(client, "first")["deploymentStatus"] == "SUCCEEDED"
    for name in ("second", "third"):
        time.sleep(1)  # the worker is between polls now, waiting on its channel
        posted = time.monotonic()
        assert provisioned(client, name)["deploymentStatus"] == "SUCCEEDED"
        assert time.monotonic() - posted < POLL_SECONDS / 2, "the worker waited for its poll, not the wake-up"


def test_a_worker_process_that_dies_is_started_again(
    start: Callable[..., ServerProcess], published: dict[str, Any]
) -> None:
    server = start()
    [worker] = eventually(lambda: workers_of(server.process.pid))
    os.kill(worker, signal.SIGKILL)
    replaced = eventually(lambda: [pid for pid in workers_of(server.process.pid) if pid != worker])
    assert len(replaced) == 1, server.output()
    assert "exited with -9; starting another" in server.output()
    client = client_with_template(server, published)
    assert provisioned(client, "after")["deploymentStatus"] == "SUCCEEDED"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_process_stops_with_the_server(start: Callable[..., ServerProcess], how: signal.Signals) -> None:
    server = start()
    [worker] = eventually(lambda: workers_of(server.process.pid))
    server.process.send_signal(how)
    server.process.wait(15)
    assert "Application shutdown complete" in server.output()  # uvicorn re-raises a SIGTERM once it shut down
    assert eventually(lambda: not alive(worker), 5), "the worker outlived its server"


def test_a_worker_process_ends_at_once_when_its_server_is_killed(start: Callable[..., ServerProcess]) -> None:
    server = start()
    [worker] = eventually(lambda: workers_of(server.process.pid))
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)
    assert eventually(lambda: not alive(worker), 5), "the worker outlived its server"


def test_each_of_several_server_workers_has_a_worker_process_and_all_stop(
    start: Callable[..., ServerProcess], published: dict[str, Any]
) -> None:
    server = start("--workers", "2")

    def workers() -> list[int]:
        found = [worker for child in _children(server.process.pid) for worker in workers_of(child)]
        return found if len(found) == 2 else []

    found = eventually(workers, 20)
    assert len(found) == 2, server.output()
    client = client_with_template(server, published)
    for n in range(4):
        assert provisioned(client, f"multi-{n}")["deploymentStatus"] == "SUCCEEDED"
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(30)
    assert eventually(lambda: not any(alive(worker) for worker in found), 10), "a worker outlived its server"


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_thread_keeps_the_worker_in_the_server_process(
    start: Callable[..., ServerProcess], published: dict[str, Any], how: str
) -> None:
    if how == "flag":
        server = start("--provisioning-worker", "thread")
    else:
        server = start(env={"OPENPROTON_PROVISIONING_WORKER": "thread"})
    client = client_with_template(server, published)
    assert provisioned(client, "threaded")["deploymentStatus"] == "SUCCEEDED"
    assert workers_of(server.process.pid) == []


def test_an_in_memory_database_keeps_the_worker_in_the_server_process(
    provisioning_dir: Path, cloud_endpoint: str, published: dict[str, Any]
) -> None:
    """Another process could not share the database, so the thread runs the jobs."""
    server = ServerProcess(*server_flags(provisioning_dir, cloud_endpoint), database="sqlite://", env=server_env())
    try:
        client = client_with_template(server, published)
        assert provisioned(client, "in-memory")["deploymentStatus"] == "SUCCEEDED"
        assert workers_of(server.process.pid) == []
    finally:
        server.stop()


def test_the_setting_has_a_flag_and_a_variable_and_refuses_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    from openproton.cli import _settings, build_parser
    from openproton.settings import Settings, SettingsError

    for name in [name for name in os.environ if name.startswith("OPENPROTON_")]:
        monkeypatch.delenv(name)
    assert _settings(build_parser().parse_args(["serve"])).provisioning_worker == "process"
    chosen = _settings(build_parser().parse_args(["serve", "--provisioning-worker", "thread"]))
    assert chosen.provisioning_worker == "thread"
    assert Settings.from_env(chosen.to_env()).provisioning_worker == "thread"  # as `--workers` children read it
    assert Settings.from_env({"OPENPROTON_PROVISIONING_WORKER": "Thread"}).check().provisioning_worker == "thread"
    with pytest.raises(SettingsError, match="OPENPROTON_PROVISIONING_WORKER must be process or thread, not 'fork'"):
        Settings.from_env({"OPENPROTON_PROVISIONING_WORKER": "fork"}).check()


def test_the_concurrency_has_a_flag_and_a_variable_and_reaches_the_worker_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from openproton.cli import _settings, build_parser
    from openproton.settings import Settings

    for name in [name for name in os.environ if name.startswith("OPENPROTON_")]:
        monkeypatch.delenv(name)
    assert _settings(build_parser().parse_args(["serve"])).provisioning_concurrency == 8
    chosen = _settings(build_parser().parse_args(["serve", "--provisioning-concurrency", "3"]))
    assert chosen.provisioning_concurrency == 3
    # The worker process builds its settings from these variables (worker_process.py).
    assert Settings.from_env(chosen.to_env()).provisioning_concurrency == 3
    monkeypatch.setenv("OPENPROTON_PROVISIONING_CONCURRENCY", "5")
    assert _settings(build_parser().parse_args(["serve"])).provisioning_concurrency == 5
