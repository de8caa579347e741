"""The `codebuild` provisioner (P-18 to P-20): the manifest's commands run in a private directory with the
resource's role's temporary credentials (STS at moto's server), their outputs, failures and timeouts.
In-process (`provisioning_mode="sync"`), where the run ends before the call returns."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bundles.bundle_library import ENVIRONMENT_SCHEMA
from bundles.bundle_support import Bundles
from openproton import Settings, mock_proton
from provisioning.conftest import SERVER_CREDENTIALS
from support import MGMT_ACCOUNT, REGION, InProcessWorld

ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/codebuild"
SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.2.0.0/16\n"


@pytest.fixture
def thread_runs(tmp_path: Path, cloud_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Bundles, Any]]:
    """In-process `provisioning_mode="thread"`: the calls answer at once and a worker thread runs the jobs; the
    bundles and the mock (for `wait` and `log`)."""
    for name, value in SERVER_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        bundle_dir=str(tmp_path),
        provisioners=("codebuild",),
        cloudformation_endpoint=cloud_endpoint,
        provisioning_mode="thread",
    )
    with mock_proton(settings=settings) as mock:
        yield Bundles(InProcessWorld(mock), tmp_path), mock


def manifest(*provision: str, deprovision: tuple[str, ...] = ("echo gone",)) -> str:
    lines = ["infrastructure:", "  templates:", "    - rendering_engine: codebuild", "      settings:"]
    lines += ["        provision:", *[f"          - {json_quote(c)}" for c in provision]]
    lines += ["        deprovision:", *[f"          - {json_quote(c)}" for c in deprovision]]
    lines += ["        env:", "          variables:", "            STAGE: test"]
    return "\n".join(lines) + "\n"


def json_quote(text: str) -> str:
    import json

    return json.dumps(text)


@pytest.fixture
def runs(tmp_path: Path, cloud_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bundles]:
    for name, value in SERVER_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENPROTON_ADMIN_TOKEN", "never-seen-by-commands")
    settings = Settings(
        bundle_dir=str(tmp_path),
        provisioners=("codebuild",),
        cloudformation_endpoint=cloud_endpoint,
        codebuild_timeout_seconds=2,
    )
    with mock_proton(settings=settings) as mock:
        yield Bundles(InProcessWorld(mock), tmp_path)


def run(runs: Bundles, *commands: str, files: dict[str, str] | None = None) -> dict[str, Any]:
    bundle = {"schema/schema.yaml": ENVIRONMENT_SCHEMA, "infrastructure/manifest.yaml": manifest(*commands)}
    bundle.update({f"infrastructure/{k}": v for k, v in (files or {}).items()})
    runs.publish("cb", bundle)
    runs.client.create_environment(
        name="dev", templateName="cb", templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
    )
    return runs.client.get_environment(name="dev")["environment"]


def test_commands_run_in_the_rendered_folder_and_their_outputs_are_kept(runs: Bundles) -> None:
    done = run(
        runs,
        "python3 -c \"import json; print(json.load(open('proton-inputs.json'))['environment']['inputs']['vpc_cidr'])\"",
        "./deploy.sh > proton-outputs.json",
        files={"deploy.sh": '#!/bin/bash\necho "{\\"Stage\\": \\"$STAGE\\", \\"Arn\\": \\"$RESOURCE_ARN\\"}"\n'},
    )
    assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
    outputs = runs.client.list_environment_outputs(environmentName="dev")["outputs"]
    assert outputs == [
        {"key": "Stage", "valueString": "test"},
        {"key": "Arn", "valueString": f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment/dev"},
    ]
    log = runs.world.mock.log(done["lastAttemptedDeploymentId"])
    assert log.startswith("10.2.0.0/16\n")


def test_commands_get_the_roles_credentials_and_none_of_openprotons_settings(runs: Bundles) -> None:
    done = run(runs, "env | sort")
    assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
    names = {line.split("=", 1)[0] for line in runs.world.mock.log(done["lastAttemptedDeploymentId"]).splitlines()}
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "RESOURCE_ARN", "AWS_REGION"} <= names
    assert not any(name.startswith("OPENPROTON_") for name in names)
    log = runs.world.mock.log(done["lastAttemptedDeploymentId"])
    assert SERVER_CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in log  # the role's keys, never the server's


def test_a_failing_command_fails_with_its_code_and_last_line(runs: Bundles) -> None:
    done = run(runs, "echo starting", "echo 'no such stack' >&2; exit 3", "echo never")
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == "Provisioning commands exited with code 3: no such stack"
    assert "never" not in runs.world.mock.log(done["lastAttemptedDeploymentId"])


def test_commands_past_the_timeout_are_stopped(runs: Bundles) -> None:
    done = run(runs, "sleep 30")
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == "Provisioning commands timed out after 2 seconds"


def test_a_missing_secret_fails_before_anything_runs(runs: Bundles) -> None:
    bundle = {
        "schema/schema.yaml": ENVIRONMENT_SCHEMA,
        "infrastructure/manifest.yaml": manifest("touch ran").replace(
            "          variables:",
            "          secrets-manager:\n            TOKEN: NO_SUCH_SECRET_NAME\n          variables:",
        ),
    }
    runs.publish("cb", bundle)
    runs.client.create_environment(
        name="dev", templateName="cb", templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
    )
    done = runs.client.get_environment(name="dev")["environment"]
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == "Secret NO_SUCH_SECRET_NAME is not available to OpenProton"


def test_thread_mode_answers_at_once_and_wait_returns_when_the_job_ended(
    thread_runs: tuple[Bundles, Any],
) -> None:
    """[decided] P-12: `provisioning_mode="thread"` runs jobs on a worker thread; `wait` blocks until they end."""
    runs, mock = thread_runs
    bundle = {"schema/schema.yaml": ENVIRONMENT_SCHEMA, "infrastructure/manifest.yaml": manifest("sleep 2")}
    runs.publish("cb", bundle)
    created = runs.client.create_environment(
        name="dev", templateName="cb", templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
    )["environment"]
    assert runs.client.get_environment(name="dev")["environment"]["deploymentStatus"] == "IN_PROGRESS"
    with pytest.raises(TimeoutError):
        mock.wait(created["lastAttemptedDeploymentId"], timeout=0.3)
    mock.wait(created["lastAttemptedDeploymentId"], timeout=30)
    assert runs.client.get_environment(name="dev")["environment"]["deploymentStatus"] == "SUCCEEDED"


def test_a_cancel_stops_the_commands_under_way(thread_runs: tuple[Bundles, Any], tmp_path: Path) -> None:
    """[decided] P-20: the deployment ends CANCELLED at once (D-2) and its commands are stopped, as a timeout stops
    them, rather than left to run for nothing."""
    runs, mock = thread_runs
    started = tmp_path / "started"
    commands = (f"touch {started}", "trap 'echo terminated; exit 143' TERM", "sleep 60 & wait $!", "echo finished")
    runs.publish("cb", {"schema/schema.yaml": ENVIRONMENT_SCHEMA, "infrastructure/manifest.yaml": manifest(*commands)})
    created = runs.client.create_environment(
        name="dev", templateName="cb", templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
    )["environment"]
    deployment = created["lastAttemptedDeploymentId"]
    deadline = time.monotonic() + 20
    while not started.exists():
        assert time.monotonic() < deadline, "the commands did not start"
        time.sleep(0.05)
    cancelled = runs.client.cancel_environment_deployment(environmentName="dev")["environment"]
    assert cancelled["deploymentStatus"] == "CANCELLING"
    environment = runs.client.get_environment(name="dev")["environment"]
    assert (environment["deploymentStatus"], environment["deploymentStatusMessage"]) == (
        "CANCELLED",
        "User initiated cancellation.",
    )
    mock.wait(deployment, timeout=20)  # well before the 60 s the commands would have taken
    log = mock.log(deployment)
    assert log.splitlines()[-2:] == [
        "terminated",
        "[openproton] the deployment was cancelled: the commands were stopped",
    ]
    assert "finished" not in log
    assert runs.client.get_environment(name="dev")["environment"]["deploymentStatus"] == "CANCELLED"


def wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_the_next_deployment_waits_for_the_cancelled_commands_to_stop(
    thread_runs: tuple[Bundles, Any], tmp_path: Path
) -> None:
    """[decided] P-10, P-20: a deployment of the same environment started right after a cancel does not run
    its commands beside the cancelled ones still stopping (two `terraform apply` on one resource)."""
    runs, mock = thread_runs
    started, exited = tmp_path / "first-started", tmp_path / "first-exited"
    commands = (
        # The second run succeeds only if the first one's commands have exited by the time it starts.
        f"if [ -e {started} ]; then [ -e {exited} ] || exit 3; echo second; exit 0; fi",
        f"touch {started}",
        f"trap 'sleep 2; touch {exited}; exit 143' TERM",
        "sleep 60 & wait $!",
    )
    runs.publish("cb", {"schema/schema.yaml": ENVIRONMENT_SCHEMA, "infrastructure/manifest.yaml": manifest(*commands)})
    runs.client.create_environment(
        name="dev", templateName="cb", templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
    )
    wait_for_file(started)
    runs.client.cancel_environment_deployment(environmentName="dev")
    second = runs.client.update_environment(name="dev", deploymentType="CURRENT_VERSION", spec=SPEC)["environment"]
    mock.wait(timeout=30)
    environment = runs.client.get_environment(name="dev")["environment"]
    assert environment["lastAttemptedDeploymentId"] == second["lastAttemptedDeploymentId"]
    assert environment["deploymentStatus"] == "SUCCEEDED", mock.log(second["lastAttemptedDeploymentId"])
    assert "second" in mock.log(second["lastAttemptedDeploymentId"])


def test_a_server_that_stops_stops_the_commands_it_runs(
    provisioning_dir: Path, cloud_endpoint: str, tmp_path: Path
) -> None:
    """[decided] P-10: commands do not outlive the worker that runs them; the next worker ends the run as
    interrupted (a run is never repeated)."""
    import os

    from bundles.bundle_library import archive, put
    from support import ServerProcess, make_client

    from .conftest import server_env

    pid_file = tmp_path / "pid"
    database = f"sqlite:///{tmp_path}/state.sqlite3"
    flags = ("--bundle-dir", str(provisioning_dir), "--provisioners", "codebuild", "--job-lease-seconds", "2")
    flags += ("--cloudformation-endpoint", cloud_endpoint)
    bundle = {
        "schema/schema.yaml": ENVIRONMENT_SCHEMA,
        "infrastructure/manifest.yaml": manifest(f"echo $$ > {pid_file}", "sleep 60"),
    }
    source = put(provisioning_dir, "templates", f"stops-{tmp_path.name}.tar.gz", archive(bundle))
    first = ServerProcess(*flags, database=database, env=server_env())
    try:
        client = make_client(first.endpoint, MGMT_ACCOUNT, REGION)
        client.create_environment_template(name="cb")
        client.create_environment_template_version(templateName="cb", source=source)
        client.update_environment_template_version(
            templateName="cb", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        client.create_environment(
            name="dev", templateName="cb", templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
        )
        wait_for_file(pid_file)
        time.sleep(0.2)  # the pid is written
        commands = int(pid_file.read_text())
    finally:
        first.stop()  # SIGTERM, as a service manager stops it
    deadline = time.monotonic() + 20
    while True:
        try:
            os.kill(commands, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the commands outlived the server"
        time.sleep(0.1)
    second = ServerProcess(*flags, database=database, env=server_env())
    try:
        client = make_client(second.endpoint, MGMT_ACCOUNT, REGION)
        deadline = time.monotonic() + 30
        while client.get_environment(name="dev")["environment"]["deploymentStatus"] == "IN_PROGRESS":
            assert time.monotonic() < deadline, "the interrupted run never ended"
            time.sleep(0.2)
        environment = client.get_environment(name="dev")["environment"]
        assert environment["deploymentStatus"] == "FAILED"
        assert environment["deploymentStatusMessage"] == "Provisioning commands were interrupted by a restart"
    finally:
        second.stop()


def waits_for(mine: Path, other: Path) -> tuple[str, ...]:
    """Commands that succeed only if the other run starts while this one runs (20 s at most)."""
    return (f"touch {mine}", f"for i in $(seq 200); do [ -e {other} ] && exit 0; sleep 0.1; done; exit 1")


def test_a_worker_runs_jobs_at_once(thread_runs: tuple[Bundles, Any], tmp_path: Path) -> None:
    """[decided] P-10: a job that takes long holds no other back: two runs that each wait for the other both
    succeed (one after another, the first would give up waiting)."""
    runs, mock = thread_runs
    first, second = tmp_path / "first", tmp_path / "second"
    for name, commands in (("one", waits_for(first, second)), ("two", waits_for(second, first))):
        bundle = {"schema/schema.yaml": ENVIRONMENT_SCHEMA, "infrastructure/manifest.yaml": manifest(*commands)}
        runs.publish(name, bundle)
        runs.client.create_environment(
            name=name, templateName=name, templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
        )
    mock.wait(timeout=40)
    for name in ("one", "two"):
        environment = runs.client.get_environment(name=name)["environment"]
        assert environment["deploymentStatus"] == "SUCCEEDED", environment.get("deploymentStatusMessage")


NOTIFY = (
    "{python} -c \"import boto3, os; boto3.client('proton').notify_resource_deployment_status_change("
    "resourceArn={arn}, status='SUCCEEDED', outputs=[{{'key': 'Url', 'valueString': 'https://example.com'}}])\""
)


def test_commands_notify_through_the_runs_callback_and_only_for_their_own_resource(
    provisioning_dir: Path, cloud_endpoint: str
) -> None:
    """[decided] P-19: `AWS_ENDPOINT_URL_PROTON` takes a run's commands back to the server that runs them; a
    Notify there records outputs (the run's exit code gives the status); another resource is AccessDenied."""
    import sys

    from provisioning.conftest import server_env
    from support import ServerProcess, make_client

    flags = ("--bundle-dir", str(provisioning_dir), "--provisioners", "codebuild")
    server = ServerProcess(*flags, "--cloudformation-endpoint", cloud_endpoint, env=server_env())
    try:
        client = make_client(server.endpoint, MGMT_ACCOUNT, REGION)
        own = NOTIFY.format(python=sys.executable, arn="os.environ['RESOURCE_ARN']")
        other = NOTIFY.format(
            python=sys.executable, arn="'arn:aws:proton:us-east-1:222222222222:environment/someone-else'"
        )
        for name, commands in (("own", [own, "echo done"]), ("other", [other])):
            bundle = {"schema/schema.yaml": ENVIRONMENT_SCHEMA, "infrastructure/manifest.yaml": manifest(*commands)}
            from bundles.bundle_library import archive, put

            source = put(provisioning_dir, "templates", f"callback-{name}-{server.port}.tar.gz", archive(bundle))
            client.create_environment_template(name=name)
            client.create_environment_template_version(templateName=name, source=source)
            client.update_environment_template_version(
                templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED"
            )
            client.create_environment(
                name=name, templateName=name, templateMajorVersion="1", spec=SPEC, codebuildRoleArn=ROLE
            )
        import time

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            statuses = {e["name"]: e for e in client.list_environments()["environments"]}
            if all(e["deploymentStatus"] != "IN_PROGRESS" for e in statuses.values()):
                break
            time.sleep(0.2)
        own_environment = client.get_environment(name="own")["environment"]
        assert own_environment["deploymentStatus"] == "SUCCEEDED", own_environment.get("deploymentStatusMessage")
        assert client.list_environment_outputs(environmentName="own")["outputs"] == [
            {"key": "Url", "valueString": "https://example.com"}
        ]
        refused = client.get_environment(name="other")["environment"]
        other_log = server.request(
            "GET", f"/_openproton/deployments/{refused['lastAttemptedDeploymentId']}/log", {}, b""
        )
        assert refused["deploymentStatus"] == "FAILED", other_log.body
        assert "AccessDeniedException" in refused["deploymentStatusMessage"]
        assert len(refused["deploymentStatusMessage"].split(": ", 1)[1]) == 200  # the last line, cut at 200
        assert b"may only notify the deployment status of its own resource." in other_log.body
        log = server.request(
            "GET", f"/_openproton/deployments/{own_environment['lastAttemptedDeploymentId']}/log", {}, b""
        )
        assert log.status == 200 and log.body.decode().endswith("done\n")
    finally:
        server.stop()


def test_a_delete_runs_the_deprovision_commands_and_completes(runs: Bundles) -> None:
    """[decided] P-18, P-20: `deprovision` on a delete; exit 0 is DELETE_COMPLETE (the environment is gone)."""
    run(runs, "echo provisioned")
    deleting = runs.client.delete_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    assert runs.client.list_environments()["environments"] == []
    assert runs.world.mock.log(deleting) == "gone\n"
