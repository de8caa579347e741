"""The issue's "done when": examples/environment_walkthrough.py, a plain boto3 script, runs unchanged in-process
(under mock_proton) and against `openproton serve` on SQLite and on PostgreSQL, reaching the server only
through AWS_ENDPOINT_URL_PROTON; its waiters finish on their first poll with the default settle policy."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from types import ModuleType

import pytest

from openproton import mock_proton
from support import ServerProcess, load_example, run_example, serving

# What the script prints at each step, in order; the waiter lines include how many polls they took.
CHECKPOINTS = [
    ("1. connection ", "requested: PENDING"),
    ("2. connection accepted: CONNECTED", ""),
    ("3. template vpc-", "version 1.0 registered (1 poll), then PUBLISHED"),
    ("4. environment walkthrough-", "SUCCEEDED (1 poll) in account 111111111111"),
    ("5. rejecting the connection in use: ConflictException", ""),
    ("6. environment updated to version 1.1: SUCCEEDED (1 poll)", ""),
    ("   environment deleted (DELETE_IN_PROGRESS), then Get: ResourceNotFoundException (1 poll)", ""),
    ("done", ""),
]


def load_script() -> ModuleType:
    return load_example("environment_walkthrough")  # type: ignore[no-any-return]


def assert_checkpoints(output: str) -> None:
    lines = output.splitlines()
    assert len(lines) == len(CHECKPOINTS), output
    for line, (start, end) in zip(lines, CHECKPOINTS, strict=True):
        assert line.startswith(start) and line.endswith(end), (line, start, end)


def run_script(endpoint: str) -> subprocess.CompletedProcess[str]:
    return run_example("environment_walkthrough", endpoint)


@pytest.fixture(scope="module")
def scenario_sqlite() -> Iterator[ServerProcess]:
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def scenario_postgres() -> Iterator[ServerProcess]:
    with serving("scenario") as process:
        yield process


def test_the_walkthrough_runs_in_process_under_mock_proton(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_PROTON", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    walkthrough = load_script()
    with mock_proton() as mock:
        seen = walkthrough.main()
        # The script tidied up; the deployments it ran outlive the environment and have all ended.
        assert mock.deployments_under_way() == []
        operations = [entry["operation"] for entry in mock.audit() if entry["outcome"] == "OK"]
    assert_checkpoints(capsys.readouterr().out)
    assert seen["connectionRequested"] == "PENDING"
    assert seen["connectionAccepted"] == "CONNECTED"
    assert (seen["templateVersion"], seen["templateVersionStatus"]) == ("1.0", "PUBLISHED")
    assert (seen["environmentStatus"], seen["environmentAccountId"]) == ("SUCCEEDED", "111111111111")
    assert seen["rejectError"] == "ConflictException"
    assert (seen["updatedVersion"], seen["updatedMinorVersion"]) == ("1.1", "1")
    assert (seen["deleteStatus"], seen["afterDelete"]) == ("DELETE_IN_PROGRESS", "ResourceNotFoundException")
    # With the default policy (succeed, no delay) every waiter is satisfied by its first poll, and the delete
    # is over by the first read.
    assert {key: value for key, value in seen.items() if key.endswith("Polls")} == {
        "versionRegisteredPolls": 1,
        "environmentDeployedPolls": 1,
        "minorVersionRegisteredPolls": 1,
        "updatedDeployedPolls": 1,
        "deletedPolls": 1,
    }
    assert operations == [
        "CreateEnvironmentAccountConnection",
        "AcceptEnvironmentAccountConnection",
        "CreateEnvironmentTemplate",
        "CreateEnvironmentTemplateVersion",
        "UpdateEnvironmentTemplateVersion",
        "CreateEnvironment",
        "CreateEnvironmentTemplateVersion",
        "UpdateEnvironmentTemplateVersion",
        "UpdateEnvironment",
        "DeleteEnvironment",
        "DeleteEnvironmentAccountConnection",
        "DeleteEnvironmentTemplateVersion",
        "DeleteEnvironmentTemplateVersion",
        "DeleteEnvironmentTemplate",
    ]


def test_the_walkthrough_script_runs_unchanged_against_a_sqlite_server_and_again(
    scenario_sqlite: ServerProcess,
) -> None:
    for _ in range(2):  # a second run against the same server does not collide with the first
        result = run_script(scenario_sqlite.endpoint)
        assert result.returncode == 0, result.stdout + result.stderr
        assert_checkpoints(result.stdout)
    # Both runs reached this server (and no other): its audit log holds their calls.
    entries = scenario_sqlite.request("GET", "/_openproton/audit", {}, b"").json()["entries"]
    assert sum(entry["operation"] == "CreateEnvironment" and entry["outcome"] == "OK" for entry in entries) == 2


def test_the_walkthrough_script_runs_unchanged_against_a_postgresql_server(scenario_postgres: ServerProcess) -> None:
    result = run_script(scenario_postgres.endpoint)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_checkpoints(result.stdout)
    entries = scenario_postgres.request("GET", "/_openproton/audit", {}, b"").json()["entries"]
    assert sum(entry["operation"] == "CreateEnvironment" and entry["outcome"] == "OK" for entry in entries) == 1
