"""Clients we did not write: the AWS CLI and the AWS SDK for JavaScript v3, against a real `openproton serve`.

Each scenario runs once against the server and once per kind of breakage behind `breaking_proxy`, where it
must fail: a check that cannot fail proves nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from breaking_proxy import MUTATIONS, breaking_proxy
from support import ServerProcess, create_connection_raw

HERE = Path(__file__).resolve().parent
JS_DIR = HERE / "js"
AWS = Path(sys.executable).with_name("aws")
ENV, MGMT, OTHER = "111111111111", "222222222222", "333333333333"
PAGE_ENV, PAGE_MGMT = "444444444444", "555555555555"
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    # 250 connections from one environment account for the paging walks.
    process = ServerProcess(env={"OPENPROTON_CONNECTION_QUOTA": "300"})
    yield process
    process.stop()


@pytest.fixture
def fresh(server: ServerProcess) -> ServerProcess:
    assert server.request("POST", "/_openproton/reset", {}, b"").status == 200
    return server


# -- the JavaScript SDK --------------------------------------------------------------------------------


def run_js_scenario(endpoint: str) -> subprocess.CompletedProcess[str]:
    assert (JS_DIR / "node_modules" / "@aws-sdk" / "client-proton").is_dir(), "run: npm ci --prefix tests/js"
    return subprocess.run(["node", str(JS_DIR / "scenario.mjs"), endpoint], capture_output=True, text=True, timeout=300)


def test_the_javascript_sdk_runs_the_whole_scenario(fresh: ServerProcess) -> None:
    result = run_js_scenario(fresh.endpoint)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "11 passed, 0 failed"


# The step each breakage must trip: the first one that depends on what was broken.
JS_FAILING_STEP = {
    "error-name": "accepting a rejected connection is a ConflictException",
    "error-status": "accepting a rejected connection is a ConflictException",
    "timestamp-type": "the environment account creates a connection",
    "lost-page-item": "the paginator walks 250 connections over pages of 7, each exactly once",
}


@pytest.mark.parametrize("breakage", sorted(MUTATIONS))
def test_the_javascript_scenario_fails_when_the_server_is_broken(fresh: ServerProcess, breakage: str) -> None:
    with breaking_proxy(fresh.port, MUTATIONS[breakage]) as endpoint:
        result = run_js_scenario(endpoint)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"not ok - {JS_FAILING_STEP[breakage]}\n" in result.stdout, result.stdout
    assert re.search(r"^\d+ passed, 1 failed$", result.stdout, re.M), result.stdout


# -- the AWS CLI -----------------------------------------------------------------------------------------


class Cli:
    """`aws proton ...` as one account, configured only through its own files and variables."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.home = tempfile.mkdtemp(prefix="openproton-cli-")
        self.config = Path(self.home) / "config"
        # CLI v1 prints timestamps as the wire sent them unless told otherwise; iso8601 is v2's default.
        self.config.write_text("[default]\ncli_timestamp_format = iso8601\n")

    def run(self, account: str, *args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": account,
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(Path(self.home) / "credentials"),
            "HOME": self.home,
        }
        env.pop("AWS_ENDPOINT_URL", None)
        env.pop("AWS_ENDPOINT_URL_PROTON", None)
        command = [str(AWS), "proton", *args, "--endpoint-url", self.endpoint, "--output", "json"]
        if debug:
            command.append("--debug")
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    def ok(self, account: str, *args: str) -> dict:
        result = self.run(account, *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def error(self, account: str, *args: str) -> tuple[str, str]:
        """(error code, message) of a failed call, after checking the exit status and the HTTP status."""
        result = self.run(account, *args, debug=True)
        assert result.returncode == 255, (result.returncode, result.stderr[-2000:])
        assert re.search(r'"POST / HTTP/1\.1" 400 ', result.stderr), "the server must answer 400"
        match = re.search(r"An error occurred \((\w+)\) when calling the \w+ operation: (.*)$", result.stderr, re.M)
        assert match, result.stderr[-2000:]
        return match.group(1), match.group(2)

    def close(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


def _iso(value: str) -> datetime:
    assert isinstance(value, str), f"expected an ISO time, got {value!r}"
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None
    return parsed


def cli_scenario(endpoint: str, seed_endpoint: str) -> None:
    """The connection scenario, step by step, with `aws proton`. Raises AssertionError on the first miss."""
    cli = Cli(endpoint)
    try:
        connection = cli.ok(
            ENV,
            "create-environment-account-connection",
            "--environment-name",
            "dev",
            "--management-account-id",
            MGMT,
            "--role-arn",
            f"arn:aws:iam::{ENV}:role/proton",
        )["environmentAccountConnection"]
        assert connection["status"] == "PENDING"
        assert _iso(connection["requestedAt"]) == _iso(connection["lastModifiedAt"])
        cid = connection["id"]

        listed = cli.ok(MGMT, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT")
        assert [item["id"] for item in listed["environmentAccountConnections"]] == [cid]

        accepted = cli.ok(MGMT, "accept-environment-account-connection", "--id", cid)["environmentAccountConnection"]
        assert accepted["status"] == "CONNECTED"
        assert _iso(accepted["lastModifiedAt"]) > _iso(connection["lastModifiedAt"])

        for account in (ENV, MGMT):
            got = cli.ok(account, "get-environment-account-connection", "--id", cid)["environmentAccountConnection"]
            assert got == accepted

        updated = cli.ok(
            ENV,
            "update-environment-account-connection",
            "--id",
            cid,
            "--component-role-arn",
            f"arn:aws:iam::{ENV}:role/component",
        )["environmentAccountConnection"]
        assert updated["componentRoleArn"] == f"arn:aws:iam::{ENV}:role/component"

        rejected = cli.ok(
            ENV,
            "create-environment-account-connection",
            "--environment-name",
            "staging",
            "--management-account-id",
            MGMT,
            "--role-arn",
            f"arn:aws:iam::{ENV}:role/proton",
        )["environmentAccountConnection"]["id"]
        cli.ok(MGMT, "reject-environment-account-connection", "--id", rejected)
        assert cli.error(MGMT, "accept-environment-account-connection", "--id", rejected) == (
            "ConflictException",
            f"Environment account connection {rejected} is REJECTED and cannot be accepted",
        )

        assert cli.error(ENV, "accept-environment-account-connection", "--id", cid) == (
            "AccessDeniedException",
            f"Only the management account {MGMT} can accept environment account connection {cid}",
        )
        assert cli.error(OTHER, "get-environment-account-connection", "--id", cid) == (
            "ResourceNotFoundException",
            f"The requested environment account connection does not exist: {cid}",
        )
        assert cli.error(ENV, "get-environment-account-connection", "--id", "not-a-uuid") == (
            "ValidationException",
            "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: Member must "
            f"satisfy regular expression pattern: {UUID_PATTERN}",
        )

        deleted = cli.ok(ENV, "delete-environment-account-connection", "--id", cid)["environmentAccountConnection"]
        assert deleted["id"] == cid
        assert cli.error(ENV, "get-environment-account-connection", "--id", cid)[0] == "ResourceNotFoundException"

        # Automatic pagination: 250 connections (made through the seed endpoint) over pages of 7.
        seeded = {create_connection_raw_at(seed_endpoint, number) for number in range(250)}
        walk = cli.run(
            PAGE_MGMT,
            "list-environment-account-connections",
            "--requested-by",
            "MANAGEMENT_ACCOUNT",
            "--page-size",
            "7",
            debug=True,
        )
        assert walk.returncode == 0, walk.stderr[-2000:]
        requests = re.findall(
            r"OperationModel\(name=ListEnvironmentAccountConnections\) with params: .*'body': "
            r"b'(\{.*?\})'",
            walk.stderr,
        )
        assert len(requests) == 36 and all('"maxResults": 7' in body for body in requests), requests[:3]
        items = json.loads(walk.stdout)["environmentAccountConnections"]
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids)) == 250, "every item exactly once"
        assert set(ids) == seeded
        assert all(_iso(item["requestedAt"]) for item in items)
    finally:
        cli.close()


def create_connection_raw_at(endpoint: str, number: int) -> str:
    """One connection from PAGE_ENV to PAGE_MGMT through the real server, bypassing any proxy."""
    from support import ServerWorld

    class _Endpoint:
        def __init__(self, url: str) -> None:
            self.port = int(url.rsplit(":", 1)[1])

        request = ServerProcess.request

    world = ServerWorld(_Endpoint(endpoint))  # type: ignore[arg-type]
    return create_connection_raw(world, account=PAGE_ENV, management=PAGE_MGMT, name=f"env{number}")["id"]


def test_the_aws_cli_runs_the_whole_scenario(fresh: ServerProcess) -> None:
    cli_scenario(fresh.endpoint, fresh.endpoint)


def _requested_at_as_printed(endpoint: str) -> object:
    """requestedAt of a new connection as CLI v1 prints it with no timestamp format: the wire value as it came."""
    cli = Cli(endpoint)
    try:
        cli.config.write_text("[default]\n")
        created = cli.ok(
            ENV,
            "create-environment-account-connection",
            "--environment-name",
            "dev",
            "--management-account-id",
            MGMT,
            "--role-arn",
            f"arn:aws:iam::{ENV}:role/proton",
        )
        return created["environmentAccountConnection"]["requestedAt"]
    finally:
        cli.close()


def test_the_aws_cli_prints_the_wire_numbers_without_a_timestamp_format(fresh: ServerProcess) -> None:
    assert isinstance(_requested_at_as_printed(fresh.endpoint), float | int)


@pytest.mark.parametrize(
    ("breakage", "noticed"),
    [
        ("error-name", "ConflictExceptionRenamed"),
        ("error-status", "the server must answer 400"),
        ("lost-page-item", "every item exactly once"),
    ],
)
def test_the_aws_cli_scenario_fails_on_a_broken_server(fresh: ServerProcess, breakage: str, noticed: str) -> None:
    with breaking_proxy(fresh.port, MUTATIONS[breakage]) as endpoint, pytest.raises(AssertionError) as excinfo:
        cli_scenario(endpoint, fresh.endpoint)
    assert noticed in str(excinfo.value)


def test_the_aws_cli_notices_string_timestamps(fresh: ServerProcess) -> None:
    # With CLI v1's default format the wire value is printed as it came: a string instead of a number shows.
    with breaking_proxy(fresh.port, MUTATIONS["timestamp-type"]) as endpoint:
        assert not isinstance(_requested_at_as_printed(endpoint), float | int)


# -- boto3 configured from the environment only ---------------------------------------------------------


def test_boto3_reaches_the_server_through_aws_endpoint_url_proton_alone(fresh: ServerProcess) -> None:
    code = (
        "import boto3\n"
        "client = boto3.client('proton', region_name='us-east-1')\n"
        "created = client.create_environment_account_connection(environmentName='from-env', "
        f"managementAccountId='{MGMT}', roleArn='arn:aws:iam::{ENV}:role/proton')\n"
        "print(created['environmentAccountConnection']['id'])\n"
    )
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_PROTON": fresh.endpoint,
        "AWS_ACCESS_KEY_ID": ENV,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_CONFIG_FILE": os.devnull,
    }
    env.pop("AWS_ENDPOINT_URL", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    created_id = result.stdout.strip()
    seen = fresh.request("GET", "/_openproton/events", {}, b"")
    assert [event["environmentAccountConnectionId"] for event in json.loads(seen.body)["events"]] == [created_id]
