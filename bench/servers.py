"""The HTTP targets: `openproton serve` (SQLite, PostgreSQL, --workers 2), moto's server and the bare app.

Each target is started once, pinned to the server core, given the resource its benchmark request reads (a
connection, a secret), and checked to answer that request with 200 before anything is timed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ceiling_app import CONNECTION_ID
from common import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    REGION,
    ROLE_ARN,
    SECRET_NAME,
    BenchError,
    Pinning,
    Request,
    Server,
    Unavailable,
    check_ok,
    free_port,
    json_body,
    openproton_command,
    proton_headers,
    secrets_headers,
)

POSTGRES_ADMIN_URL = os.environ.get("OPENPROTON_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def boto3_client(service: str, endpoint: str, account: str = ENV_ACCOUNT) -> Any:
    import boto3

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=account,
        aws_secret_access_key="bench",
    )


def get_request(connection_id: str) -> Request:
    return Request("POST", "/", proton_headers("GetEnvironmentAccountConnection"), json_body({"id": connection_id}))


def list_request() -> Request:
    body = json_body({"requestedBy": "ENVIRONMENT_ACCOUNT"})
    return Request("POST", "/", proton_headers("ListEnvironmentAccountConnections"), body)


def describe_secret_request() -> Request:
    return Request("POST", "/", secrets_headers("DescribeSecret"), json_body({"SecretId": SECRET_NAME}))


def moto_available() -> bool:
    return importlib.util.find_spec("moto") is not None and Path(sys.executable).with_name("moto_server").exists()


def start_openproton(
    label: str, directory: Path, pinning: Pinning, *, database: str | None = None, extra: tuple[str, ...] = ()
) -> Server:
    port = free_port()
    database = database or f"sqlite:///{directory / 'state.sqlite3'}"
    command = [
        *pinning.server_prefix(),
        *openproton_command(),
        "serve",
        "--port",
        str(port),
        "--database",
        database,
        "--log-level",
        "warning",
        *extra,
    ]
    return Server(label, command, port, "/_openproton/health", directory / "server.log").start()


def start_ceiling(label: str, directory: Path, pinning: Pinning, body_file: Path | None) -> Server:
    """The bare app under uvicorn's command line, with the options `openproton serve` uses (no access log,
    no Server header; uvicorn's own cached Date header stands in for the one OpenProton writes)."""
    port = free_port()
    command = [
        *pinning.server_prefix(),
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(Path(__file__).resolve().parent),
        "ceiling_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-server-header",
        "--lifespan",
        "on",
    ]
    env = {"OPENPROTON_BENCH_BODY_FILE": str(body_file)} if body_file else {}
    return Server(label, command, port, "/", directory / "server.log", env=env).start()


def start_moto(label: str, directory: Path, pinning: Pinning) -> Server:
    port = free_port()
    command = [*pinning.server_prefix(), str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1"]
    command += ["-p", str(port)]
    return Server(label, command, port, "/moto-api/", directory / "server.log").start()


def create_connection(endpoint: str, name: str = "bench") -> str:
    client = boto3_client("proton", endpoint)
    created = client.create_environment_account_connection(
        environmentName=name, managementAccountId=MGMT_ACCOUNT, roleArn=ROLE_ARN
    )
    return str(created["environmentAccountConnection"]["id"])


def create_secret(endpoint: str) -> None:
    boto3_client("secretsmanager", endpoint).create_secret(Name=SECRET_NAME, SecretString="bench")


@dataclass
class Target:
    """A running server and the request its benchmark sends (already checked to answer 200)."""

    key: str
    label: str
    server: Server
    request: Request
    response: bytes
    connection_id: str | None = None


class PostgresDatabase:
    """A fresh PostgreSQL database for this run, dropped at the end."""

    def __init__(self, name: str) -> None:
        try:
            import psycopg
        except ImportError as error:
            raise Unavailable("psycopg is not installed: pip install -e '.[postgres]'") from error
        self.name = name
        self._psycopg = psycopg
        self._admin("DROP DATABASE IF EXISTS", "WITH (FORCE)")
        self._admin("CREATE DATABASE", "")
        self.url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def _admin(self, verb: str, suffix: str) -> None:
        try:
            with self._psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'{verb} "{self.name}" {suffix}')
        except self._psycopg.OperationalError as error:
            raise Unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}") from error

    def drop(self) -> None:
        with contextlib.suppress(BenchError):
            self._admin("DROP DATABASE IF EXISTS", "WITH (FORCE)")


def postgres_server_version() -> str:
    try:
        import psycopg
    except ImportError:
        return "unknown (psycopg is not installed)"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5) as admin:
            row = admin.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except psycopg.OperationalError:
        return f"not reachable at {POSTGRES_ADMIN_URL}"


class Fleet:
    """The HTTP targets, started on first use and kept for the server-mode and sequential sections."""

    def __init__(self, directory: Path, pinning: Pinning) -> None:
        self.directory = directory
        self.pinning = pinning
        self.targets: dict[str, Target] = {}
        self.failures: dict[str, BenchError] = {}
        self.postgres: PostgresDatabase | None = None
        self.body_file: Path | None = None
        self.notes: list[str] = []

    def get(self, key: str) -> Target:
        """The target `key` (openproton-sqlite, openproton-postgres, openproton-workers2, moto, ceiling)."""
        if key in self.failures:
            raise self.failures[key]
        if key not in self.targets:
            try:
                self.targets[key] = self._start(key)
            except Unavailable as error:
                self.failures[key] = error
                raise
            except Exception as error:
                self.failures[key] = BenchError(f"{key} could not be started: {error}")
                raise self.failures[key] from error
        return self.targets[key]

    def _start(self, key: str) -> Target:
        directory = self.directory / key
        directory.mkdir(parents=True, exist_ok=True)
        if key == "openproton-sqlite":
            return self._openproton(key, "OpenProton, SQLite", directory)
        if key == "openproton-workers2":
            return self._openproton(key, "OpenProton, SQLite, --workers 2", directory, extra=("--workers", "2"))
        if key == "openproton-postgres":
            self.postgres = PostgresDatabase(f"openproton_bench_{os.getpid()}")
            return self._openproton(key, "OpenProton, PostgreSQL", directory, database=self.postgres.url)
        if key == "moto":
            if not moto_available():
                raise Unavailable("moto is not installed: pip install -e '.[bench]'")
            server = start_moto("moto server (DescribeSecret)", directory, self.pinning)
            try:
                server.wait_healthy()
                create_secret(server.endpoint)
                request = describe_secret_request()
                body = check_ok(server.label, server.port, request)
            except BaseException:
                server.stop()
                raise
            return Target(key, server.label, server, request, body)
        if key == "ceiling":
            if self.body_file is None:
                try:
                    self.get("openproton-sqlite")
                except Exception as error:
                    self.notes.append(f"bare app: built-in body used, OpenProton's could not be read ({error})")
            server = start_ceiling("bare uvicorn app (ceiling)", directory, self.pinning, self.body_file)
            try:
                server.wait_healthy()
                request = get_request(CONNECTION_ID)
                body = check_ok(server.label, server.port, request)
            except BaseException:
                server.stop()
                raise
            return Target(key, server.label, server, request, body)
        raise KeyError(key)

    def _openproton(
        self, key: str, label: str, directory: Path, *, database: str | None = None, extra: tuple[str, ...] = ()
    ) -> Target:
        server = start_openproton(label, directory, self.pinning, database=database, extra=extra)
        try:
            server.wait_healthy()
            connection_id = create_connection(server.endpoint)
            request = get_request(connection_id)
            body = check_ok(label, server.port, request)
        except BaseException:
            server.stop()
            raise
        if self.body_file is None and key == "openproton-sqlite":
            self.body_file = self.directory / "get-response.json"
            self.body_file.write_bytes(body)
        return Target(key, label, server, request, body, connection_id)

    def close(self) -> None:
        for target in self.targets.values():
            target.server.stop()
        self.targets.clear()
        if self.postgres is not None:
            self.postgres.drop()
            self.postgres = None
