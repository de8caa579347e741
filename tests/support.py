"""The test harness: one set of behaviour tests, run in-process and against a real `openproton serve`.

A `World` hands out boto3 clients for any account and region, reads the event log, and can send raw
HTTP. The in-process world wraps `mock_proton()`; the server world talks to a subprocess over TCP.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import orjson
from botocore.config import Config

from openproton.protocol.pipeline import HttpRequest

ENV_ACCOUNT = "111111111111"
MGMT_ACCOUNT = "222222222222"
OTHER_ACCOUNT = "333333333333"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ENV_ACCOUNT}:role/proton-environment"
TARGET_PREFIX = "AwsProton20200720."

_CLIENTS: dict[tuple[str | None, str, str, bool], Any] = {}


def make_client(endpoint: str | None, account: str, region: str, *, validate: bool = True) -> Any:
    key = (endpoint, account, region, validate)
    client = _CLIENTS.get(key)
    if client is None:
        client = boto3.session.Session().client(
            "proton",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id=account,
            aws_secret_access_key="secret",
            config=Config(parameter_validation=validate, retries={"mode": "standard", "max_attempts": 3}),
        )
        _CLIENTS[key] = client
    return client


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


def signed_headers(target: str | None, account: str = ENV_ACCOUNT, region: str = REGION) -> dict[str, str]:
    """The headers a SigV4 client sends, with a plausible (unchecked in default mode) Authorization."""
    headers = {
        "content-type": "application/x-amz-json-1.0",
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential={account}/20261125/{region}/proton/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
        ),
        "x-amz-date": "20261125T000000Z",
    }
    if target is not None:
        headers["x-amz-target"] = target
    return headers


class World:
    """What a behaviour test needs, whichever mode runs it."""

    mode: str

    def client(self, account: str = ENV_ACCOUNT, region: str = REGION, *, validate: bool = True) -> Any:
        raise NotImplementedError

    def events(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def raw(
        self, method: str = "POST", path: str = "/", headers: dict[str, str] | None = None, body: bytes = b""
    ) -> RawResponse:
        raise NotImplementedError

    # How deployments end: the mock handle in-process, the admin interface against a server.

    def set_settle_policy(self, policy: str, *, delay_seconds: float = 0, message: str | None = None) -> None:
        raise NotImplementedError

    def settle(self, deployment_id: str, status: str = "SUCCEEDED", **produced: Any) -> dict[str, Any]:
        """`produced`: message, outputs, provisioned_resources."""
        raise NotImplementedError

    def deployments_under_way(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    # Git sync: the repository map and runs, through the mock handle or the admin endpoints.

    def map_repository(self, provider: str, name: str, url: str, **entry: Any) -> dict[str, Any]:
        raise NotImplementedError

    def sync(self, provider: str, name: str, **body: str) -> list[dict[str, Any]]:
        """Run the repository's units to their end (`body`: accountId, region, branch); their attempts."""
        raise NotImplementedError

    def call(
        self,
        operation: str,
        params: dict[str, Any] | bytes,
        *,
        account: str = ENV_ACCOUNT,
        region: str = REGION,
        headers: dict[str, str] | None = None,
    ) -> RawResponse:
        """A raw JSON call of one operation, bypassing every client-side check."""
        body = params if isinstance(params, bytes) else orjson.dumps(params)
        all_headers = signed_headers(TARGET_PREFIX + operation, account, region)
        all_headers.update(headers or {})
        return self.raw("POST", "/", all_headers, body)


class InProcessWorld(World):
    mode = "in-process"

    def __init__(self, mock: Any) -> None:
        self.mock = mock

    def client(self, account: str = ENV_ACCOUNT, region: str = REGION, *, validate: bool = True) -> Any:
        return make_client(None, account, region, validate=validate)

    def events(self) -> list[dict[str, Any]]:
        return self.mock.events()

    def raw(
        self, method: str = "POST", path: str = "/", headers: dict[str, str] | None = None, body: bytes = b""
    ) -> RawResponse:
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        response = self.mock.handle(HttpRequest(method, path, lowered, body))
        return RawResponse(response.status, {k.lower(): v for k, v in response.headers}, response.body)

    def set_settle_policy(self, policy: str, *, delay_seconds: float = 0, message: str | None = None) -> None:
        self.mock.set_settle_policy(policy, delay_seconds=delay_seconds, message=message)

    def settle(self, deployment_id: str, status: str = "SUCCEEDED", **produced: Any) -> dict[str, Any]:
        return self.mock.settle(deployment_id, status, **produced)

    def deployments_under_way(self) -> list[dict[str, Any]]:
        return self.mock.deployments_under_way()

    def map_repository(self, provider: str, name: str, url: str, **entry: Any) -> dict[str, Any]:
        return self.mock.map_repository(provider, name, url, **entry)

    def sync(self, provider: str, name: str, **body: str) -> list[dict[str, Any]]:
        names = {"accountId": "account_id", "region": "region", "branch": "branch"}
        return self.mock.sync_repository(provider, name, **{names[key]: value for key, value in body.items()})


class ServerWorld(World):
    mode = "server"

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def client(self, account: str = ENV_ACCOUNT, region: str = REGION, *, validate: bool = True) -> Any:
        return make_client(self.server.endpoint, account, region, validate=validate)

    def events(self) -> list[dict[str, Any]]:
        return self.raw("GET", "/_openproton/events").json()["events"]

    def raw(
        self, method: str = "POST", path: str = "/", headers: dict[str, str] | None = None, body: bytes = b""
    ) -> RawResponse:
        return self.server.request(method, path, headers or {}, body)

    def set_settle_policy(self, policy: str, *, delay_seconds: float = 0, message: str | None = None) -> None:
        body = orjson.dumps({"policy": policy, "delaySeconds": delay_seconds, "message": message})
        response = self.raw("PUT", "/_openproton/settle-policy", {}, body)
        assert response.status == 200, response.body

    def settle(self, deployment_id: str, status: str = "SUCCEEDED", **produced: Any) -> dict[str, Any]:
        names = {"message": "statusMessage", "outputs": "outputs", "provisioned_resources": "provisionedResources"}
        body = {"status": status, **{names[key]: value for key, value in produced.items()}}
        response = self.raw("POST", f"/_openproton/deployments/{deployment_id}/settle", {}, orjson.dumps(body))
        assert response.status == 200, response.body
        return response.json()["deployment"]

    def deployments_under_way(self) -> list[dict[str, Any]]:
        return self.raw("GET", "/_openproton/deployments").json()["deployments"]

    def map_repository(self, provider: str, name: str, url: str, **entry: Any) -> dict[str, Any]:
        response = self.raw(
            "PUT", f"/_openproton/repository-map/{provider}/{name}", {}, orjson.dumps({"url": url, **entry})
        )
        assert response.status == 200, response.body
        return response.json()["entry"]

    def sync(self, provider: str, name: str, **body: str) -> list[dict[str, Any]]:
        response = self.raw("POST", f"/_openproton/repositories/{provider}/{name}/sync", {}, orjson.dumps(body))
        assert response.status == 200, response.body
        return response.json()["attempts"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openproton_command() -> list[str]:
    script = Path(sys.executable).with_name("openproton")
    return [str(script)] if script.exists() else [sys.executable, "-m", "openproton.cli"]


class ServerProcess:
    """A real `openproton serve` subprocess on a free port, on its own SQLite file unless told otherwise."""

    def __init__(self, *extra: str, database: str | None = None, env: dict[str, str] | None = None) -> None:
        self.tmp = tempfile.mkdtemp(prefix="openproton-test-")
        self.port = free_port()
        self.database = database or f"sqlite:///{self.tmp}/state.sqlite3"
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(self.tmp) / "server.log"
        command = [*openproton_command(), "serve", "--port", str(self.port), "--database", self.database, *extra]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        # Shared test servers do not poll the mapped remotes: runs come from the tests' triggers (a test of the
        # poller starts its own server with an interval).
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OPENPROTON_SYNC_INTERVAL": "0", **(env or {})},
        )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"openproton serve exited early:\n{self.output()}")
            try:
                if self.request("GET", "/_openproton/health", {}, b"").status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"openproton serve was not healthy within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> RawResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def link_repository(
    world: World, repository: dict[str, Any], *, account: str = MGMT_ACCOUNT, region: str = REGION
) -> dict[str, Any]:
    """Link the repository a self-managed resource names ([decided] Y-5: it must be linked first). Linking an
    already linked repository with the same members returns the link (Y-3)."""
    connection = f"arn:aws:codestar-connections:{region}:{account}:connection/0a1b2c3d"
    return world.client(account, region).create_repository(
        provider=repository["provider"], name=repository["name"], connectionArn=connection
    )["repository"]


def create_connection(
    world: World,
    *,
    account: str = ENV_ACCOUNT,
    management: str = MGMT_ACCOUNT,
    name: str = "dev",
    region: str = REGION,
    **members: Any,
) -> dict[str, Any]:
    """Create a connection as `account` (with a roleArn unless one is given) and return it."""
    if "roleArn" not in members and "codebuildRoleArn" not in members:
        members["roleArn"] = f"arn:aws:iam::{account}:role/proton-environment"
    response = world.client(account, region).create_environment_account_connection(
        environmentName=name, managementAccountId=management, **members
    )
    return response["environmentAccountConnection"]


def audit_entries(world: World) -> list[dict[str, Any]]:
    """The audit log, oldest first: the mock handle in-process, the admin interface against a server."""
    if isinstance(world, InProcessWorld):
        return world.mock.audit()
    return world.raw("GET", "/_openproton/audit").json()["entries"]


def error_of(excinfo: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def create_connection_raw(
    world: World, *, account: str, management: str = MGMT_ACCOUNT, name: str = "dev", region: str = REGION
) -> dict[str, Any]:
    """Create through a raw request: many accounts without a boto3 client (and its start-up) for each."""
    response = world.call(
        "CreateEnvironmentAccountConnection",
        {
            "environmentName": name,
            "managementAccountId": management,
            "roleArn": f"arn:aws:iam::{account}:role/proton-environment",
        },
        account=account,
        region=region,
    )
    assert response.status == 200, response.body
    return response.json()["environmentAccountConnection"]


POSTGRES_ADMIN_URL = os.environ.get("OPENPROTON_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


# The databases this process created and has not dropped yet (support code, never the tests, adds to it).
_CREATED_DATABASES: set[str] = set()


def _postgres_admin(statement: str) -> list[tuple[Any, ...]]:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            cursor = admin.execute(statement)
            return cursor.fetchall() if cursor.description else []
    except psycopg.OperationalError as error:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({error}); start it (see .ci/run) or set "
            "OPENPROTON_TEST_POSTGRES to an admin URL"
        ) from error


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test worker while the `with` block runs; yields its URL.

    Dropped when the block ends, however it ends: stop the servers that use it inside the block. (A context
    manager, not a plain call, so the drop cannot be forgotten; conftest.py fails a run that leaves one behind.)
    The tests need the machine's real PostgreSQL (wire.md's shared deployments run on it); .ci/run starts it.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    # The run's own token too: two runs at once on one machine (both with a gw0) never drop each other's.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(os.getpid())
    database = f"openproton_{worker}_{run}_{name}"
    _postgres_admin(f'CREATE DATABASE "{database}"')
    _CREATED_DATABASES.add(database)
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    finally:
        drop_postgres_database(database)


def drop_postgres_database(database: str) -> None:
    """Drop a database postgres_database() made (by name); stop the servers using it first."""
    _postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _CREATED_DATABASES.discard(database)


def leftover_postgres_databases() -> list[str]:
    """The databases this process created that still exist: none, once every test has finished."""
    if not _CREATED_DATABASES:
        return []
    existing = {row[0] for row in _postgres_admin("SELECT datname FROM pg_database")}
    return sorted(_CREATED_DATABASES & existing)


@contextlib.contextmanager
def serving(
    postgres_name: str | None = None, *extra: str, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """`openproton serve` for the `with` block: on a fresh PostgreSQL database named `postgres_name`, or on its
    own SQLite file when that is None. The server stops, and then its database is dropped, however the block ends."""
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(postgres_database(postgres_name)) if postgres_name is not None else None
        process = ServerProcess(*extra, database=database, env=env)
        stack.callback(process.stop)
        yield process


# -- the examples/ scripts, run as a user runs them ------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str) -> Any:
    """examples/<name>.py as a module, so that a test can call its main() under mock_proton()."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    """examples/<name>.py in a fresh interpreter against `endpoint`, with none of this machine's AWS settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENPROTON_"))}
    env["AWS_ENDPOINT_URL_PROTON"] = endpoint
    # No config or credentials files of the machine's user: the script names its own keys and region.
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True, timeout=120, env=env
    )


# -- moto's standalone server: a real S3, STS and CloudFormation API on loopback ---------------------------------


@contextlib.contextmanager
def moto_server(log_directory: Path) -> Iterator[str]:
    """`moto_server` (moto[server]) on a free loopback port for the `with` block; its endpoint URL."""
    import urllib.request

    port = free_port()
    log = (log_directory / "moto.log").open("wb")
    command = [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(
                        f"moto_server did not start: {(log_directory / 'moto.log').read_text()}"
                    ) from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)
        log.close()
