"""services.md's "Walkthrough a user runs": examples/service_walkthrough.py, a plain boto3 script, runs unchanged
in-process (under mock_proton) and against `openproton serve` on SQLite and on PostgreSQL, reaching the server
only through AWS_ENDPOINT_URL_PROTON; with the default settle policy every waiter finishes on its first poll. Its
step 7 adds a component (components.md) to shop-dev and reads GetResourcesSummary; step 8 detaches and deletes
the component before the service and the environments go.

Run as tests/environments/test_scenario.py runs the environment walkthrough (whose helpers are bound to that
script): imported and called inside mock_proton(), and as a subprocess against servers from tests/support.py.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from types import ModuleType

import boto3
import pytest

from openproton import mock_proton
from support import ServerProcess, load_example, run_example, serving

MANAGEMENT_ACCOUNT = "222222222222"

# What the script prints at each step, in order; the waiter lines include how many polls they took.
GONE = "deleted (DELETE_IN_PROGRESS), then Get: ResourceNotFoundException (1 poll)"
# GetResourcesSummary's totals while everything the script made exists (each run starts from a server it tidied).
TOTALS = {
    "environmentTemplates": 1,
    "environments": 2,
    "serviceTemplates": 1,
    "services": 1,
    "serviceInstances": 2,
    "pipelines": 1,
    "components": 1,
}
SUMMARY = (
    "7. resources summary: 1 environment template, 2 environments, 1 service template, 1 service, "
    "2 service instances, 1 pipeline, 1 component"
)
CHECKPOINTS = [
    ("1. connection ", "requested: PENDING, then CONNECTED"),
    ("1. environment template vpc-", "version 1.0 registered (1 poll), then PUBLISHED"),
    ("1. environment dev-", "SUCCEEDED (1 poll) in account 222222222222"),
    ("1. environment prod-", "SUCCEEDED (1 poll) in account 111111111111"),
    ("1. pipeline service role set: arn:aws:iam::222222222222:role/proton-pipeline", ""),
    ("2. service template web-", "version 1.0 registered (1 poll), then PUBLISHED"),
    ("3. service shop-", "ACTIVE (1 poll), pipeline SUCCEEDED"),
    ("3. instance shop-prod in environment prod-", "/service-instance/shop-prod"),
    ("4. instance shop-prod answered IN_PROGRESS on 1.0, then SUCCEEDED on 1.1 (1 poll)", ""),
    ("5. pipeline redeployed with a new spec: SUCCEEDED (1 poll)", ""),
    ("6. deployments of shop-prod, newest first: the update SUCCEEDED, the create SUCCEEDED", ""),
    ("7. component jobs-", ""),  # in full in assert_checkpoints
    (SUMMARY, ""),
    ("8. deleting environment prod-", "while shop-prod is in it: ConflictException"),
    ("8. deleting component jobs-", "while it is attached to shop-dev: ConflictException"),
    ("8. component jobs-", ", on its own"),  # in full in assert_checkpoints
    ("8. component jobs-", "deleted (DELETE_IN_PROGRESS), then gone (1 poll)"),
    ("8. service shop-", "deleted (DELETE_IN_PROGRESS), then gone (1 poll)"),
    ("   environment dev-", GONE),
    ("   environment prod-", GONE),
    ("done", ""),
]
# shop-prod's ARN carries the management account, though its environment is in the environment account.
INSTANCE_ARN = r"arn:aws:proton:us-east-1:222222222222:service/shop-[0-9a-f]{8}/service-instance/shop-prod"


def load_script() -> ModuleType:
    return load_example("service_walkthrough")  # type: ignore[no-any-return]


def assert_checkpoints(output: str) -> None:
    lines = output.splitlines()
    assert len(lines) == len(CHECKPOINTS), output
    for line, (start, end) in zip(lines, CHECKPOINTS, strict=True):
        assert line.startswith(start) and line.endswith(end), (line, start, end)
    instance_line = lines[7]  # its ARN in full
    assert re.fullmatch(rf"3\. instance shop-prod in environment prod-[0-9a-f]{{8}}: {INSTANCE_ARN}", instance_line)
    component_line = lines[11]  # the component is in dev, attached to the service's shop-dev
    assert re.fullmatch(
        r"7\. component jobs-([0-9a-f]{8}) IN_PROGRESS, then SUCCEEDED \(1 poll\), "
        r"attached to shop-\1/shop-dev in dev-\1",
        component_line,
    ), component_line
    detached_line = lines[15]
    assert re.fullmatch(
        r"8\. component jobs-([0-9a-f]{8}) detached \(1 poll\): still in dev-\1, on its own", detached_line
    ), detached_line


def run_script(endpoint: str) -> subprocess.CompletedProcess[str]:
    return run_example("service_walkthrough", endpoint)


def created_services(server: ServerProcess) -> int:
    entries = server.request("GET", "/_openproton/audit", {}, b"").json()["entries"]
    return sum(entry["operation"] == "CreateService" and entry["outcome"] == "OK" for entry in entries)


def account_settings_of(endpoint: str | None) -> dict[str, str]:
    client = boto3.client(
        "proton",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=MANAGEMENT_ACCOUNT,
        aws_secret_access_key="x",
    )
    return client.get_account_settings()["accountSettings"]


@pytest.fixture(scope="module")
def walkthrough_sqlite() -> Iterator[ServerProcess]:
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def walkthrough_postgres() -> Iterator[ServerProcess]:
    with serving("service_walkthrough") as process:
        yield process


def test_the_service_walkthrough_runs_in_process_under_mock_proton(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_PROTON", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    walkthrough = load_script()
    with mock_proton() as mock:
        seen = walkthrough.main()
        # The script tidied up: every deployment it ran has ended, and the pipeline role is cleared again.
        assert mock.deployments_under_way() == []
        assert account_settings_of(None) == {}
        audit = [(entry["operation"], entry["outcome"]) for entry in mock.audit()]
    assert_checkpoints(capsys.readouterr().out)
    assert seen["connectionStatus"] == "CONNECTED"
    assert (seen["devAccountId"], seen["prodAccountId"]) == ("222222222222", "111111111111")
    assert seen["pipelineServiceRoleArn"] == "arn:aws:iam::222222222222:role/proton-pipeline"
    assert seen["serviceTemplateVersion"] == "1.0"
    # Step 3: the service answers CREATE_IN_PROGRESS, then is ACTIVE with a SUCCEEDED pipeline; the instance in
    # prod belongs to the management account, whose id its ARN carries, and its environment is prod.
    assert (seen["createStatus"], seen["serviceStatus"], seen["pipelineStatus"]) == (
        "CREATE_IN_PROGRESS",
        "ACTIVE",
        "SUCCEEDED",
    )
    assert re.fullmatch(INSTANCE_ARN, seen["instanceArn"]), seen["instanceArn"]
    assert seen["instanceEnvironment"] == seen["prod"]
    # Step 4: IN_PROGRESS on 1.0 in the answer, 1.1 once deployed.
    assert seen["updateAnswer"] == ("IN_PROGRESS", "1.0")
    assert seen["updatedVersion"] == "1.1"
    # Step 6: the update, then the create, both SUCCEEDED.
    assert seen["deployments"] == [
        (seen["updateDeploymentId"], "SUCCEEDED"),
        (seen["createDeploymentId"], "SUCCEEDED"),
    ]
    assert seen["updateDeploymentId"] != seen["createDeploymentId"]
    # Step 7: the component answers IN_PROGRESS, then is SUCCEEDED, in dev and attached to shop-dev; the summary
    # counts what the script made.
    assert seen["componentCreateStatus"] == "IN_PROGRESS"
    assert seen["componentAttachment"] == (seen["dev"], seen["serviceName"], "shop-dev")
    assert seen["summary"] == TOTALS
    # Step 8: neither an environment in use nor an attached component can be deleted; detached, the component
    # stays in dev, and then is deleted.
    assert seen["deleteProdError"] == "ConflictException"
    assert seen["deleteAttachedError"] == "ConflictException"
    assert seen["componentAfterDetach"] == (seen["dev"], None, None)
    assert seen["componentDeleteStatus"] == "DELETE_IN_PROGRESS"
    assert seen["serviceDeleteStatus"] == "DELETE_IN_PROGRESS"
    for key in ("dev", "prod"):
        assert (seen[f"{key}DeleteStatus"], seen[f"{key}AfterDelete"]) == (
            "DELETE_IN_PROGRESS",
            "ResourceNotFoundException",
        )
    # With the default policy (succeed, no delay) every waiter is satisfied by its first poll, and each delete
    # is over by the first read.
    assert {key: value for key, value in seen.items() if key.endswith("Polls")} == {
        "environmentTemplateRegisteredPolls": 1,
        "devDeployedPolls": 1,
        "prodDeployedPolls": 1,
        "serviceTemplateRegisteredPolls": 1,
        "serviceCreatedPolls": 1,
        "minorVersionRegisteredPolls": 1,
        "instanceDeployedPolls": 1,
        "pipelineDeployedPolls": 1,
        "componentDeployedPolls": 1,
        "componentDetachedPolls": 1,
        "componentDeletedPolls": 1,
        "serviceDeletedPolls": 1,
        "devDeletedPolls": 1,
        "prodDeletedPolls": 1,
    }
    # The audit log holds every mutating call (Get and List are not recorded), the refused delete included.
    assert audit == [
        ("CreateEnvironmentAccountConnection", "OK"),
        ("AcceptEnvironmentAccountConnection", "OK"),
        ("CreateEnvironmentTemplate", "OK"),
        ("CreateEnvironmentTemplateVersion", "OK"),
        ("UpdateEnvironmentTemplateVersion", "OK"),
        ("CreateEnvironment", "OK"),
        ("CreateEnvironment", "OK"),
        ("UpdateAccountSettings", "OK"),
        ("CreateServiceTemplate", "OK"),
        ("CreateServiceTemplateVersion", "OK"),
        ("UpdateServiceTemplateVersion", "OK"),
        ("CreateService", "OK"),
        ("CreateServiceTemplateVersion", "OK"),
        ("UpdateServiceTemplateVersion", "OK"),
        ("UpdateServiceInstance", "OK"),
        ("UpdateServicePipeline", "OK"),
        ("CreateComponent", "OK"),
        ("DeleteEnvironment", "ConflictException"),
        ("DeleteComponent", "ConflictException"),
        ("UpdateComponent", "OK"),
        ("DeleteComponent", "OK"),
        ("DeleteService", "OK"),
        ("DeleteEnvironment", "OK"),
        ("DeleteEnvironment", "OK"),
        ("DeleteEnvironmentAccountConnection", "OK"),
        ("DeleteServiceTemplateVersion", "OK"),
        ("DeleteServiceTemplateVersion", "OK"),
        ("DeleteServiceTemplate", "OK"),
        ("DeleteEnvironmentTemplateVersion", "OK"),
        ("DeleteEnvironmentTemplate", "OK"),
        ("UpdateAccountSettings", "OK"),
    ]


def test_the_service_walkthrough_script_runs_unchanged_against_a_sqlite_server_and_again(
    walkthrough_sqlite: ServerProcess,
) -> None:
    for _ in range(2):  # a second run against the same server does not collide with the first
        result = run_script(walkthrough_sqlite.endpoint)
        assert result.returncode == 0, result.stdout + result.stderr
        assert_checkpoints(result.stdout)
    # Both runs reached this server (and no other): its audit log holds their calls.
    assert created_services(walkthrough_sqlite) == 2
    assert account_settings_of(walkthrough_sqlite.endpoint) == {}


def test_the_service_walkthrough_script_runs_unchanged_against_a_postgresql_server(
    walkthrough_postgres: ServerProcess,
) -> None:
    result = run_script(walkthrough_postgres.endpoint)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_checkpoints(result.stdout)
    assert created_services(walkthrough_postgres) == 1
    assert account_settings_of(walkthrough_postgres.endpoint) == {}
