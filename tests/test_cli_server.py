"""The `openproton` command and server mode: start-up output, databases, migrations, restarts."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import orjson

from support import ENV_ACCOUNT, MGMT_ACCOUNT, ServerProcess, make_client, openproton_command

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_the_readme_opens_with_the_serve_and_test_commands_and_ci_runs_the_test_command() -> None:
    serve, test = _readme_commands()
    assert serve.endswith("openproton serve")
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci, ".ci/run must run exactly the README's test command"


def test_serve_prints_the_database_endpoint_and_examples_and_answers_health() -> None:
    server = ServerProcess()
    try:
        health = server.request("GET", "/_openproton/health", {}, b"")
        assert health.status == 200
        assert orjson.loads(health.body)["status"] == "ok"
        output = server.output()
        assert f"database: SQLite file {server.tmp}/state.sqlite3" in output
        assert f"endpoint: {server.endpoint}" in output
        assert f"--endpoint-url {server.endpoint}" in output
        assert f'boto3.client("proton", endpoint_url="{server.endpoint}"' in output
    finally:
        server.stop()


def test_the_default_database_is_a_file_in_the_user_data_directory() -> None:
    data_home = tempfile.mkdtemp(prefix="openproton-xdg-")
    env = {**os.environ, "XDG_DATA_HOME": data_home}
    env.pop("OPENPROTON_DATABASE", None)
    result = subprocess.run([*openproton_command(), "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    path = Path(data_home) / "openproton" / "openproton.sqlite3"
    assert f"Migrated SQLite file {path}" in result.stdout
    tables = {row[0] for row in sqlite3.connect(path).execute("select name from sqlite_master where type='table'")}
    assert {"environment_account_connections", "environment_account_connection_events", "alembic_version"} <= tables


def test_an_in_memory_server_works_and_says_its_state_is_lost_on_stop() -> None:
    server = ServerProcess(database="sqlite://")
    try:
        client = make_client(server.endpoint, ENV_ACCOUNT, "us-east-1")
        created = client.create_environment_account_connection(
            environmentName="dev", managementAccountId=MGMT_ACCOUNT, roleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/r"
        )["environmentAccountConnection"]
        assert client.get_environment_account_connection(id=created["id"])["environmentAccountConnection"] == created
        assert "SQLite in memory (state is lost when the server stops)" in server.output()
    finally:
        server.stop()


def test_state_and_events_survive_a_restart_on_the_same_file() -> None:
    first = ServerProcess()
    database = first.database
    keep = Path(first.tmp)
    try:
        client = make_client(first.endpoint, ENV_ACCOUNT, "us-east-1")
        created = client.create_environment_account_connection(
            environmentName="dev", managementAccountId=MGMT_ACCOUNT, roleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/r"
        )["environmentAccountConnection"]
        make_client(first.endpoint, MGMT_ACCOUNT, "us-east-1").accept_environment_account_connection(id=created["id"])
        events_before = orjson.loads(first.request("GET", "/_openproton/events", {}, b"").body)["events"]
    finally:
        first.process.terminate()
        first.process.wait(10)
    second = ServerProcess(database=database)
    try:
        got = make_client(second.endpoint, MGMT_ACCOUNT, "us-east-1").get_environment_account_connection(
            id=created["id"]
        )["environmentAccountConnection"]
        assert got["status"] == "CONNECTED"
        assert got["requestedAt"] == created["requestedAt"]
        events_after = orjson.loads(second.request("GET", "/_openproton/events", {}, b"").body)["events"]
        assert events_after == events_before
        assert [event["status"] for event in events_after] == ["PENDING", "CONNECTED"]
    finally:
        second.stop()
        first.stop()
        assert not keep.exists()


def test_reset_clears_state_and_can_be_disabled() -> None:
    server = ServerProcess(env={"OPENPROTON_RESET_ENABLED": "false"})
    try:
        refused = server.request("POST", "/_openproton/reset", {}, b"")
        assert refused.status == 403
        assert b"disabled" in refused.body
    finally:
        server.stop()


def test_a_bad_setting_is_reported_by_name() -> None:
    env = {**os.environ, "OPENPROTON_CONNECTION_QUOTA": "many"}
    result = subprocess.run([*openproton_command(), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "OPENPROTON_CONNECTION_QUOTA must be a whole number, not 'many'" in result.stderr


def test_coverage_lists_all_87_operations() -> None:
    result = subprocess.run([*openproton_command(), "coverage"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    lines = [line for line in result.stdout.splitlines() if line.strip() and "operations implemented" not in line]
    assert len(lines) == 87
    assert re.search(r"^GetEnvironmentAccountConnection\s+implemented$", result.stdout, re.M)
    assert re.search(r"^CreateService\s+implemented$", result.stdout, re.M)
    assert re.search(r"^CreateComponent\s+implemented$", result.stdout, re.M)
    assert re.search(r"^CreateRepository\s+implemented$", result.stdout, re.M)
    assert re.search(r"^CreateTemplateSyncConfig\s+implemented$", result.stdout, re.M)
    assert re.search(r"^CreateServiceSyncConfig\s+implemented$", result.stdout, re.M)
    assert re.search(r"^UpdateServiceSyncBlocker\s+implemented$", result.stdout, re.M)
    from openproton.proton.provider import ROUTES

    assert f"{len(ROUTES)} of 87 operations implemented." in result.stdout
