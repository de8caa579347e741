"""The `openproton` command's user mistakes: one line on stderr (`openproton: ...`), exit code 2, no traceback.

Every test runs the real command as a subprocess; reading commands must never create a database.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openproton.cli import _settings, build_parser
from openproton.settings import Settings, SettingsError
from support import ServerProcess, free_port, openproton_command

NO_SUCH_DATABASE = "postgresql://postgres@127.0.0.1:5432/openproton_no_such_db"
# Port 1 on loopback: nothing listens there, so the connection is refused at once.
SERVER_DOWN = "postgresql://postgres:s3cret@127.0.0.1:1/openproton"


def run(*arguments: str, env: dict[str, str] | None = None, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """The command with only the given OPENPROTON_* variables; a command that wrongly starts serving times out."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENPROTON_")} | (env or {})
    return subprocess.run(
        [*openproton_command(), *arguments], capture_output=True, text=True, timeout=timeout, env=environ
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("openproton: "), lines[0]
    assert message in lines[0], lines[0]


# -- 11: every numeric setting has a range, for flags and variables alike -----------------------------------


RANGE_CASES = [
    (["--port", "99999"], {}, "--port / OPENPROTON_PORT must be between 1 and 65535, not 99999"),
    ([], {"OPENPROTON_PORT": "0"}, "--port / OPENPROTON_PORT must be between 1 and 65535, not 0"),
    (["--rate-limit", "-5"], {}, "--rate-limit / OPENPROTON_RATE_LIMIT must be a number above 0, not -5.0"),
    (["--rate-limit", "nan"], {}, "--rate-limit / OPENPROTON_RATE_LIMIT must be a number above 0, not nan"),
    ([], {"OPENPROTON_RATE_LIMIT": "inf"}, "--rate-limit / OPENPROTON_RATE_LIMIT must be a number above 0, not inf"),
    ([], {"OPENPROTON_RATE_BURST": "0"}, "OPENPROTON_RATE_BURST must be at least 1, not 0"),
    ([], {"OPENPROTON_CONNECTION_QUOTA": "0"}, "OPENPROTON_CONNECTION_QUOTA must be at least 1, not 0"),
    ([], {"OPENPROTON_ENVIRONMENT_QUOTA": "-3"}, "OPENPROTON_ENVIRONMENT_QUOTA must be at least 1, not -3"),
    ([], {"OPENPROTON_MAX_BODY_BYTES": "0"}, "OPENPROTON_MAX_BODY_BYTES must be at least 1, not 0"),
    (
        ["--max-head-bytes", "100"],
        {},
        "--max-head-bytes / OPENPROTON_MAX_HEAD_BYTES must be at least 1024, not 100",
    ),
    (
        [],
        {"OPENPROTON_MAX_HEAD_BYTES": "1023"},
        "--max-head-bytes / OPENPROTON_MAX_HEAD_BYTES must be at least 1024, not 1023",
    ),
    (
        ["--request-timeout", "0"],
        {},
        "--request-timeout / OPENPROTON_REQUEST_TIMEOUT must be a number of seconds above 0 and at most 3600, not 0.0",
    ),
    (
        [],
        {"OPENPROTON_REQUEST_TIMEOUT": "nan"},
        "--request-timeout / OPENPROTON_REQUEST_TIMEOUT must be a number of seconds above 0 and at most 3600, not nan",
    ),
    (
        ["--keep-alive-timeout", "3601"],
        {},
        "--keep-alive-timeout / OPENPROTON_KEEP_ALIVE_TIMEOUT must be a number of seconds above 0 and at most 3600, "
        "not 3601.0",
    ),
    (
        [],
        {"OPENPROTON_KEEP_ALIVE_TIMEOUT": "-1"},
        "--keep-alive-timeout / OPENPROTON_KEEP_ALIVE_TIMEOUT must be a number of seconds above 0 and at most 3600, "
        "not -1.0",
    ),
    (
        ["--max-connections", "0"],
        {},
        "--max-connections / OPENPROTON_MAX_CONNECTIONS must be between 1 and 1000000, not 0",
    ),
    (
        [],
        {"OPENPROTON_MAX_CONNECTIONS": "1000001"},
        "--max-connections / OPENPROTON_MAX_CONNECTIONS must be between 1 and 1000000, not 1000001",
    ),
    (["--workers", "0"], {}, "--workers must be between 1 and 64, not 0"),
    (["--workers", "65"], {}, "--workers must be between 1 and 64, not 65"),
    (
        ["--provisioning-concurrency", "0"],
        {},
        "--provisioning-concurrency / OPENPROTON_PROVISIONING_CONCURRENCY must be between 1 and 64, not 0",
    ),
    (
        [],
        {"OPENPROTON_PROVISIONING_CONCURRENCY": "65"},
        "--provisioning-concurrency / OPENPROTON_PROVISIONING_CONCURRENCY must be between 1 and 64, not 65",
    ),
]


@pytest.mark.parametrize(("arguments", "env", "message"), RANGE_CASES, ids=[case[2][:60] for case in RANGE_CASES])
def test_a_numeric_setting_out_of_range_is_one_line_and_exit_2(
    arguments: list[str], env: dict[str, str], message: str
) -> None:
    port = [] if "OPENPROTON_PORT" in env else ["--port", str(free_port())]  # the flag would win over the variable
    result = run("serve", *port, "--database", "sqlite://", *arguments, env=env)
    assert_one_line_error(result, message)
    assert result.stdout == ""


def test_settings_check_names_the_client_token_ttl_and_accepts_the_edges() -> None:
    with pytest.raises(SettingsError, match="client_token_ttl_seconds must be at least 1, not 0"):
        Settings(client_token_ttl_seconds=0).check()
    edges = Settings(
        port=65535,
        connection_quota=1,
        environment_quota=1,
        max_body_bytes=1,
        rate_limit=0.001,
        rate_burst=1,
        client_token_ttl_seconds=1,
        max_head_bytes=1024,
        request_timeout_seconds=3600,
        keep_alive_seconds=0.01,
        max_connections=1_000_000,
    )
    assert edges.check() is edges
    assert Settings(port=1, rate_limit=None).check().port == 1


def test_an_argparse_error_still_exits_2_with_argparse_s_message() -> None:
    result = run("serve", "--port", "abc")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: openproton serve")
    assert result.stderr.splitlines()[-1] == "openproton serve: error: argument --port: invalid int value: 'abc'"


# -- 12: databases that cannot be reached, files that cannot be written, reads that must not create ---------


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_postgresql_database_that_does_not_exist_is_one_line(command: str) -> None:
    extra = ["--port", str(free_port())] if command == "serve" else []
    result = run(command, "--database", NO_SUCH_DATABASE, *extra)
    assert_one_line_error(
        result,
        f'openproton: cannot connect to the database {NO_SUCH_DATABASE}: database "openproton_no_such_db" '
        "does not exist",
    )
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["serve", "migrate", "export", "audit"])
def test_a_postgresql_server_that_is_down_is_one_line_without_the_password(command: str) -> None:
    extra = ["--port", str(free_port())] if command == "serve" else []
    result = run(command, "--database", SERVER_DOWN, *extra)
    assert_one_line_error(
        result,
        "openproton: cannot connect to the database postgresql://postgres:***@127.0.0.1:1/openproton: "
        "connection refused",
    )
    assert "s3cret" not in result.stdout + result.stderr


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/state.sqlite3"
    result = run("migrate", "--database", url)
    assert result.returncode == 0, result.stderr
    yield url


def test_export_to_a_missing_directory_is_one_line(migrated: str) -> None:
    result = run("export", "--database", migrated, "-o", "/missing/dir/x.json")
    assert_one_line_error(result, "openproton: cannot write /missing/dir/x.json: no such file or directory")


@pytest.mark.parametrize("command", ["export", "audit"])
def test_reading_a_sqlite_file_that_does_not_exist_is_an_error_and_creates_nothing(
    command: str, tmp_path: Path
) -> None:
    path = tmp_path / "absent" / "state.sqlite3"
    result = run(command, "--database", f"sqlite:///{path}")
    assert_one_line_error(result, f"openproton: no database at {path}")
    assert not path.exists()
    assert not path.parent.exists()


@pytest.mark.parametrize("command", ["export", "audit"])
def test_reading_a_database_without_the_schema_says_to_migrate(command: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    result = run(command, "--database", f"sqlite:///{path}")
    assert_one_line_error(result, "has no OpenProton tables: run `openproton migrate` first")


def test_a_migrated_database_still_reads(migrated: str) -> None:
    audit = run("audit", "--database", migrated)
    assert audit.returncode == 0, audit.stderr
    assert audit.stderr == "No audit entries.\n"
    export = run("export", "--database", migrated)
    assert export.returncode == 0, export.stderr
    assert export.stdout.startswith("{")


# -- 13: bind first, then announce ---------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_one_line_and_no_banner(busy_port: int, workers: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/state.sqlite3"
    result = run("serve", "--port", str(busy_port), "--database", database, "--workers", workers)
    assert_one_line_error(result, f"openproton: cannot listen on 127.0.0.1:{busy_port}: address already in use")
    assert result.stdout == ""


def test_two_workers_serve_on_the_socket_bound_first() -> None:
    server = ServerProcess("--workers", "2")
    try:
        assert server.request("GET", "/_openproton/health", {}, b"").status == 200
        assert f"endpoint: {server.endpoint}" in server.output()
        assert "workers: 2" in server.output()
    finally:
        server.stop()


# -- 14: python -m openproton, help texts, the access log and the new flags ---------------------------------


def test_python_dash_m_openproton_runs_the_command() -> None:
    result = subprocess.run([sys.executable, "-m", "openproton", "--version"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("openproton ")


def test_every_serve_flag_has_help_naming_its_variable() -> None:
    result = run("serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps help texts
    for flag, variable in [
        ("--log-level", "OPENPROTON_LOG_LEVEL"),
        ("--access-log", "OPENPROTON_ACCESS_LOG"),
        ("--max-head-bytes N", "OPENPROTON_MAX_HEAD_BYTES"),
        ("--request-timeout SECONDS", "OPENPROTON_REQUEST_TIMEOUT"),
        ("--keep-alive-timeout SECONDS", "OPENPROTON_KEEP_ALIVE_TIMEOUT"),
        ("--max-connections N", "OPENPROTON_MAX_CONNECTIONS"),
        ("--allowed-hosts NAME[,NAME]", "OPENPROTON_ALLOWED_HOSTS"),
    ]:
        assert flag in text
        assert variable in text


def test_the_new_flags_set_their_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("OPENPROTON_")]:
        monkeypatch.delenv(name)
    arguments = [
        "serve",
        "--access-log",
        "--max-head-bytes",
        "2048",
        "--request-timeout",
        "7.5",
        "--keep-alive-timeout",
        "2",
        "--max-connections",
        "50",
        "--allowed-hosts",
        "Proton.Example, api.example ,",
    ]
    settings = _settings(build_parser().parse_args(arguments))
    assert settings.access_log is True
    assert settings.max_head_bytes == 2048
    assert settings.request_timeout_seconds == 7.5
    assert settings.keep_alive_seconds == 2
    assert settings.max_connections == 50
    assert settings.allowed_hosts == ("proton.example", "api.example")
    # Without the flag the variable decides; the flag's absence does not turn the access log off.
    monkeypatch.setenv("OPENPROTON_ACCESS_LOG", "true")
    assert _settings(build_parser().parse_args(["serve"])).access_log is True


def test_access_log_turns_on_openproton_s_line_and_leaves_uvicorn_s_off() -> None:
    server = ServerProcess("--access-log", database="sqlite://")
    try:
        headers = {"x-amz-target": "AwsProton20200720.ListEnvironments", "content-type": "application/x-amz-json-1.0"}
        assert server.request("POST", "/", headers, b"{}").status == 200
        deadline = time.monotonic() + 5
        while "ListEnvironments" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        output = server.output()
        assert re.search(r"ListEnvironments .*status=200", output), output  # the transport's line: Settings.access_log
        assert '"POST / HTTP/1.1" 200' not in output  # uvicorn's own line
        assert '"GET /_openproton/health HTTP/1.1" 200' not in output
    finally:
        server.stop()
