"""How deployments end ([decided] D-12): the policy a server starts with (flags and variables), the policy set at
run time (admin interface, mock handle) and kept in the database, settling by hand, and delays in real and
injected time."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError, WaiterError

from openproton import mock_proton
from openproton.decided import SETTLE_FAIL_MESSAGE
from openproton.proton.clock import ManualClock
from openproton.proton.deployments import SettlePolicy, SettlePolicyError
from openproton.settings import Settings
from support import (
    MGMT_ACCOUNT,
    REGION,
    InProcessWorld,
    RawResponse,
    ServerProcess,
    World,
    error_of,
    free_port,
    make_client,
    openproton_command,
    postgres_database,
)

ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service"
BUNDLE = {"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
SPEC = "proton: EnvironmentSpec\nspec:\n  size: small\n"
OUTPUTS = [{"key": "vpcId", "valueString": "vpc-0123"}, {"key": "subnets", "valueString": "2"}]
RESOURCES = [{"identifier": "vpc-0123", "name": "Vpc", "provisioningEngine": "CLOUDFORMATION"}]
START_2026 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # ManualClock's default start


# -- helpers -----------------------------------------------------------------------------------------


def publish_template(client: Any, name: str = "web") -> None:
    client.create_environment_template(name=name)
    client.create_environment_template_version(templateName=name, source=BUNDLE)
    client.update_environment_template_version(
        templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED"
    )


def create_environment(client: Any, name: str) -> dict[str, Any]:
    return client.create_environment(
        name=name, templateName="web", templateMajorVersion="1", spec=SPEC, protonServiceRoleArn=ROLE
    )["environment"]


def status_of(client: Any, name: str) -> str:
    return str(client.get_environment(name=name)["environment"]["deploymentStatus"])


def admin(server: ServerProcess, method: str, path: str, body: Any = None) -> RawResponse:
    raw = body if isinstance(body, bytes) else (b"" if body is None else orjson.dumps(body))
    return server.request(method, f"/_openproton/{path}", {}, raw)


def reset(server: ServerProcess) -> None:
    assert admin(server, "POST", "reset").status == 200


def policy_of(server: ServerProcess) -> dict[str, Any]:
    response = admin(server, "GET", "settle-policy")
    assert response.status == 200, response.body
    return dict(response.json())


def policy(name: str, delay: float = 0.0, message: str | None = None) -> dict[str, Any]:
    """A policy as the admin interface shows it."""
    return {"policy": name, "delaySeconds": delay, "message": message}


def count_polls(client: Any, operation: str) -> list[int]:
    """A counter of `operation` calls made by `client` (a waiter's polls)."""
    polls = [0]

    def count(**_kwargs: Any) -> None:
        polls[0] += 1

    client.meta.events.register(f"before-call.proton.{operation}", count)
    return polls


def fresh_client(endpoint: str | None) -> Any:
    """A client of its own (its event handlers stay its own)."""
    import boto3

    return boto3.session.Session().client(
        "proton",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=MGMT_ACCOUNT,
        aws_secret_access_key="secret",
    )


# -- servers started with a policy (module-scoped: started once for this file) -----------------------


@pytest.fixture(scope="module")
def replicas_database() -> Iterator[str]:
    with postgres_database("settle_replicas") as database:  # dropped after the servers using it stopped
        yield database


@pytest.fixture(scope="module")
def fail_server(replicas_database: str) -> Iterator[ServerProcess]:
    """`--settle-policy fail` on PostgreSQL."""
    process = ServerProcess("--settle-policy", "fail", database=replicas_database)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def env_manual_replica(fail_server: ServerProcess, replicas_database: str) -> Iterator[ServerProcess]:
    """A second replica of the same database, its policy from OPENPROTON_SETTLE_POLICY=manual."""
    process = ServerProcess(database=replicas_database, env={"OPENPROTON_SETTLE_POLICY": "manual"})
    yield process
    process.stop()


@pytest.fixture(scope="module")
def manual_server() -> Iterator[ServerProcess]:
    process = ServerProcess("--settle-policy", "manual")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def delayed_server() -> Iterator[ServerProcess]:
    process = ServerProcess("--settle-delay", "0.5")
    yield process
    process.stop()


def test_a_server_started_with_policy_fail_fails_deployments_and_the_waiter_stops_at_once(
    fail_server: ServerProcess,
) -> None:
    reset(fail_server)
    assert policy_of(fail_server) == {**policy("fail"), "startedWith": policy("fail")}
    client = make_client(fail_server.endpoint, MGMT_ACCOUNT, REGION)
    publish_template(client)
    created = create_environment(client, "doomed")
    assert created["deploymentStatus"] == "IN_PROGRESS"
    environment = client.get_environment(name="doomed")["environment"]
    assert environment["deploymentStatus"] == "FAILED"
    assert environment["deploymentStatusMessage"] == SETTLE_FAIL_MESSAGE
    assert "lastSucceededDeploymentId" not in environment
    deployment = client.get_deployment(id=created["lastAttemptedDeploymentId"])["deployment"]
    assert (deployment["deploymentStatus"], deployment["deploymentStatusMessage"]) == ("FAILED", SETTLE_FAIL_MESSAGE)
    assert deployment["completedAt"] == deployment["createdAt"]  # no delay
    # The waiter reaches its failure state on its first poll.
    waiting = fresh_client(fail_server.endpoint)
    polls = count_polls(waiting, "GetEnvironment")
    with pytest.raises(WaiterError) as excinfo:
        waiting.get_waiter("environment_deployed").wait(name="doomed", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert "terminal failure state" in str(excinfo.value)
    assert polls == [1]


def test_the_variable_sets_the_start_policy_and_replicas_share_the_run_time_one(
    fail_server: ServerProcess, env_manual_replica: ServerProcess
) -> None:
    reset(fail_server)
    assert policy_of(env_manual_replica) == {**policy("manual"), "startedWith": policy("manual")}
    assert policy_of(fail_server)["policy"] == "fail"
    via_fail = make_client(fail_server.endpoint, MGMT_ACCOUNT, REGION)
    via_manual = make_client(env_manual_replica.endpoint, MGMT_ACCOUNT, REGION)
    publish_template(via_fail)
    waiting = create_environment(via_manual, "waiting")["lastAttemptedDeploymentId"]
    assert create_environment(via_fail, "failing")["lastAttemptedDeploymentId"]
    assert (status_of(via_fail, "waiting"), status_of(via_manual, "failing")) == ("IN_PROGRESS", "FAILED")

    # A policy set through one replica is kept in the database: the other follows it too.
    assert admin(fail_server, "PUT", "settle-policy", {"policy": "succeed"}).json() == policy("succeed")
    assert policy_of(env_manual_replica) == {**policy("succeed"), "startedWith": policy("manual")}
    assert policy_of(fail_server) == {**policy("succeed"), "startedWith": policy("fail")}
    create_environment(via_manual, "one")
    create_environment(via_fail, "two")
    assert [status_of(via_fail, "one"), status_of(via_manual, "two")] == ["SUCCEEDED", "SUCCEEDED"]
    # A deployment keeps the ending fixed when it started.
    assert status_of(via_fail, "waiting") == "IN_PROGRESS"
    assert [d["id"] for d in admin(fail_server, "GET", "deployments").json()["deployments"]] == [waiting]

    # Clearing it returns each replica to the policy it started with.
    assert admin(env_manual_replica, "DELETE", "settle-policy").json() == policy("manual")
    assert policy_of(fail_server) == {**policy("fail"), "startedWith": policy("fail")}
    create_environment(via_fail, "three")
    create_environment(via_manual, "four")
    assert [status_of(via_manual, "three"), status_of(via_fail, "four")] == ["FAILED", "IN_PROGRESS"]


def test_a_server_started_with_policy_manual_waits_for_the_admin_interface(manual_server: ServerProcess) -> None:
    reset(manual_server)
    assert policy_of(manual_server)["startedWith"] == policy("manual")
    client = make_client(manual_server.endpoint, MGMT_ACCOUNT, REGION)
    publish_template(client)
    deployment_id = create_environment(client, "web-dev")["lastAttemptedDeploymentId"]
    for _ in range(3):  # reads, however many, do not end it
        assert status_of(client, "web-dev") == "IN_PROGRESS"
    under_way = admin(manual_server, "GET", "deployments").json()["deployments"]
    assert [(d["id"], d["deploymentStatus"], d["environmentName"], d["accountId"], d["region"]) for d in under_way] == [
        (deployment_id, "IN_PROGRESS", "web-dev", MGMT_ACCOUNT, REGION)
    ]
    assert under_way[0]["targetState"]["environment"]["spec"] == SPEC

    settled = admin(
        manual_server,
        "POST",
        f"deployments/{deployment_id}/settle",
        {"status": "SUCCEEDED", "outputs": OUTPUTS, "provisionedResources": RESOURCES},
    )
    assert settled.status == 200, settled.body
    assert settled.json()["deployment"]["deploymentStatus"] == "SUCCEEDED"
    assert settled.json()["deployment"]["outputs"] == OUTPUTS
    assert status_of(client, "web-dev") == "SUCCEEDED"
    assert client.list_environment_outputs(environmentName="web-dev")["outputs"] == OUTPUTS
    assert client.list_environment_provisioned_resources(environmentName="web-dev")["provisionedResources"] == (
        RESOURCES
    )
    assert admin(manual_server, "GET", "deployments").json() == {"deployments": []}

    # An update waits too, and can be settled as FAILED with a message; the environment keeps its version.
    update_id = client.update_environment(name="web-dev", deploymentType="CURRENT_VERSION", spec="changed: 1")[
        "environment"
    ]["lastAttemptedDeploymentId"]
    failed = admin(
        manual_server, "POST", f"deployments/{update_id}/settle", {"status": "FAILED", "statusMessage": "No quota."}
    )
    assert failed.status == 200, failed.body
    environment = client.get_environment(name="web-dev")["environment"]
    assert (environment["deploymentStatus"], environment["deploymentStatusMessage"]) == ("FAILED", "No quota.")
    assert (environment["spec"], environment["lastSucceededDeploymentId"]) == (SPEC, deployment_id)

    # A delete waits as well; settled, the environment is gone.
    assert client.delete_environment(name="web-dev")["environment"]["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert status_of(client, "web-dev") == "DELETE_IN_PROGRESS"
    [deleting] = admin(manual_server, "GET", "deployments").json()["deployments"]
    assert deleting["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert admin(manual_server, "POST", f"deployments/{deleting['id']}/settle", {}).status == 200
    with pytest.raises(ClientError) as excinfo:
        client.get_environment(name="web-dev")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_with_a_settle_delay_a_deployment_reads_in_progress_first_and_succeeded_later(
    delayed_server: ServerProcess,
) -> None:
    reset(delayed_server)
    assert policy_of(delayed_server)["startedWith"] == policy("succeed", 0.5)
    client = make_client(delayed_server.endpoint, MGMT_ACCOUNT, REGION)
    publish_template(client)
    deployment_id = create_environment(client, "slow")["lastAttemptedDeploymentId"]
    seen = [status_of(client, "slow")]
    deadline = time.monotonic() + 20
    while seen[-1] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.05)
        seen.append(status_of(client, "slow"))
    assert seen[0] == "IN_PROGRESS"
    assert seen[-1] == "SUCCEEDED"
    assert set(seen) == {"IN_PROGRESS", "SUCCEEDED"}
    deployment = client.get_deployment(id=deployment_id)["deployment"]
    # The ending is the start plus the delay, to the millisecond, however late it was read.
    assert deployment["completedAt"] - deployment["createdAt"] == dt.timedelta(milliseconds=500)


@pytest.mark.parametrize(
    ("arguments", "env", "message"),
    [
        (["--settle-policy", "sometimes"], {}, "argument --settle-policy: invalid choice: 'sometimes'"),
        (
            [],
            {"OPENPROTON_SETTLE_POLICY": "sometimes"},
            "--settle-policy / OPENPROTON_SETTLE_POLICY must be succeed, fail or manual, not 'sometimes'",
        ),
        (["--settle-delay", "-1"], {}, "--settle-delay / OPENPROTON_SETTLE_DELAY must be 0 or more, not -1.0"),
        (
            [],
            {"OPENPROTON_SETTLE_DELAY": "soon"},
            "OPENPROTON_SETTLE_DELAY must be a number of seconds, not 'soon'",
        ),
        (
            ["--settle-delay", "nan"],
            {},
            "--settle-delay / OPENPROTON_SETTLE_DELAY must be a number of seconds, at most 31536000 (a year), not nan",
        ),
        (
            [],
            {"OPENPROTON_SETTLE_DELAY": "1e300"},
            "--settle-delay / OPENPROTON_SETTLE_DELAY must be a number of seconds, at most 31536000 (a year), "
            "not 1e+300",
        ),
    ],
    ids=["flag-policy", "variable-policy", "flag-negative-delay", "variable-delay-text", "flag-nan", "variable-huge"],
)
def test_a_bad_settle_setting_makes_serve_exit_2_naming_it(
    arguments: list[str], env: dict[str, str], message: str
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENPROTON_")} | env
    result = subprocess.run(
        [*openproton_command(), "serve", "--port", str(free_port()), "--database", "sqlite://", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


# -- the admin interface at run time (the session's SQLite server) -----------------------------------


def test_the_admin_interface_reads_sets_and_clears_the_policy(server: ServerProcess) -> None:
    reset(server)
    try:
        assert policy_of(server) == {**policy("succeed"), "startedWith": policy("succeed")}
        put = admin(server, "PUT", "settle-policy", {"policy": "fail", "delaySeconds": 2.5, "message": "No room."})
        assert (put.status, put.json()) == (200, policy("fail", 2.5, "No room."))
        assert policy_of(server) == {**policy("fail", 2.5, "No room."), "startedWith": policy("succeed")}
        # A later PUT replaces the whole policy; fields it leaves out take their defaults.
        assert admin(server, "PUT", "settle-policy", {"policy": "manual"}).json() == policy("manual")
        assert policy_of(server)["policy"] == "manual"
        cleared = admin(server, "DELETE", "settle-policy")
        assert (cleared.status, cleared.json()) == (200, policy("succeed"))
        assert policy_of(server) == {**policy("succeed"), "startedWith": policy("succeed")}
        wrong = admin(server, "PATCH", "settle-policy", {"policy": "fail"})
        assert (wrong.status, wrong.json()) == (
            405,
            {"message": "Use GET, PUT or DELETE on /_openproton/settle-policy."},
        )
    finally:
        admin(server, "DELETE", "settle-policy")


BAD_POLICIES = [
    (b"not json", 'A settle policy is a JSON object such as {"policy": "succeed", "delaySeconds": 0}.'),
    (b'["fail"]', 'A settle policy is a JSON object such as {"policy": "succeed", "delaySeconds": 0}.'),
    (b"", 'A settle policy is a JSON object such as {"policy": "succeed", "delaySeconds": 0}.'),
    ({}, "policy must be one of succeed, fail, manual, not None."),
    ({"policy": "sometimes"}, "policy must be one of succeed, fail, manual, not 'sometimes'."),
    ({"policy": "FAIL"}, "policy must be one of succeed, fail, manual, not 'FAIL'."),
    ({"policy": "fail", "colour": "red", "size": 1}, "Unknown settle policy fields: colour, size."),
    ({"policy": "succeed", "delaySeconds": -1}, "delaySeconds must be a number of seconds, 0 or more, not -1."),
    ({"policy": "succeed", "delaySeconds": "5"}, "delaySeconds must be a number of seconds, 0 or more, not '5'."),
    ({"policy": "succeed", "delaySeconds": True}, "delaySeconds must be a number of seconds, 0 or more, not True."),
    ({"policy": "succeed", "delaySeconds": None}, "delaySeconds must be a number of seconds, 0 or more, not None."),
    ({"policy": "succeed", "delaySeconds": 1e300}, "delaySeconds must be at most 31536000 (a year), not 1e+300."),
    ({"policy": "fail", "message": 5}, "message must be a string."),
]


def test_bad_policy_bodies_are_400s_that_change_nothing(server: ServerProcess) -> None:
    reset(server)
    try:
        assert admin(server, "PUT", "settle-policy", {"policy": "manual"}).status == 200
        for body, message in BAD_POLICIES:
            response = admin(server, "PUT", "settle-policy", body)
            assert (response.status, response.json()) == (400, {"message": message}), body
        assert policy_of(server)["policy"] == "manual"
    finally:
        admin(server, "DELETE", "settle-policy")


def test_settling_by_hand_refuses_unknown_ended_and_malformed_settlements(server: ServerProcess) -> None:
    reset(server)
    try:
        client = make_client(server.endpoint, MGMT_ACCOUNT, REGION)
        publish_template(client)
        ended = create_environment(client, "ended")["lastAttemptedDeploymentId"]
        assert status_of(client, "ended") == "SUCCEEDED"
        assert admin(server, "PUT", "settle-policy", {"policy": "manual"}).status == 200
        waiting = create_environment(client, "waiting")["lastAttemptedDeploymentId"]

        def settle(deployment_id: str, body: Any, method: str = "POST") -> tuple[int, Any]:
            response = admin(server, method, f"deployments/{deployment_id}/settle", body)
            return response.status, response.json()

        assert settle("not-a-deployment", {}) == (404, {"message": "No deployment not-a-deployment."})
        assert settle(ended, {"status": "FAILED"}) == (
            409,
            {"message": f"Deployment {ended} is SUCCEEDED; it cannot be settled."},
        )
        refused = [
            ({"status": "DONE"}, "status must be SUCCEEDED or FAILED, not 'DONE'."),
            ({"status": "IN_PROGRESS"}, "status must be SUCCEEDED or FAILED, not 'IN_PROGRESS'."),
            (b"[]", 'The body must be a JSON object such as {"status": "SUCCEEDED"}.'),
            (b"{", 'The body must be a JSON object such as {"status": "SUCCEEDED"}.'),
            ({"status": "FAILED", "colour": "red"}, "Unknown fields: colour."),
            ({"statusMessage": 5}, "statusMessage must be a string."),
            ({"outputs": {"key": "a"}}, "outputs must be a list of objects."),
            ({"outputs": ["a"]}, "outputs must be a list of objects."),
            ({"outputs": [{"key": 5}]}, "outputs item 1: key must be a string of 1 to 1024 characters."),
            (
                {"outputs": [{"key": "a", "valueString": "x" * 1025}]},
                "outputs item 1: valueString must be a string of 1 to 1024 characters.",
            ),
            ({"outputs": [{"name": "a"}]}, "outputs item 1 has unknown members name; it takes key, valueString."),
            (
                {"provisionedResources": [RESOURCES[0], {"provisioningEngine": "PULUMI"}]},
                "provisionedResources item 2: provisioningEngine must be one of CLOUDFORMATION, TERRAFORM, "
                "not 'PULUMI'.",
            ),
        ]
        for body, message in refused:
            assert settle(waiting, body) == (400, {"message": message}), body
        assert settle(waiting, {}, method="GET") == (405, {"message": "Use POST /_openproton/deployments/ID/settle."})
        # None of them settled it, or left anything behind.
        [still] = admin(server, "GET", "deployments").json()["deployments"]
        assert (still["id"], still["deploymentStatus"], still["outputs"]) == (waiting, "IN_PROGRESS", [])
        assert settle(waiting, {"status": "FAILED"})[1]["deployment"]["deploymentStatus"] == "FAILED"
        assert settle(waiting, {"status": "FAILED"})[0] == 409
    finally:
        admin(server, "DELETE", "settle-policy")


# -- in every mode: the world's handle (mock in-process, admin interface against servers) --------------


def test_a_policy_set_at_run_time_applies_to_deployments_started_after_it(world: World) -> None:
    client = world.client(MGMT_ACCOUNT)
    publish_template(client)
    world.set_settle_policy("manual")
    manual = create_environment(client, "manual")["lastAttemptedDeploymentId"]
    world.set_settle_policy("fail", message="The VPC quota was reached.")
    create_environment(client, "failed")
    world.set_settle_policy("succeed")
    create_environment(client, "succeeded")
    failed = client.get_environment(name="failed")["environment"]
    assert (failed["deploymentStatus"], failed["deploymentStatusMessage"]) == ("FAILED", "The VPC quota was reached.")
    assert status_of(client, "succeeded") == "SUCCEEDED"
    # The first keeps the ending of the policy it started under: it waits to be settled.
    assert status_of(client, "manual") == "IN_PROGRESS"
    assert [d["id"] for d in world.deployments_under_way()] == [manual]
    settled = world.settle(manual, "SUCCEEDED", outputs=OUTPUTS, provisioned_resources=RESOURCES)
    assert (settled["id"], settled["deploymentStatus"], settled["outputs"]) == (manual, "SUCCEEDED", OUTPUTS)
    assert status_of(client, "manual") == "SUCCEEDED"
    assert client.list_environment_outputs(environmentName="manual")["outputs"] == OUTPUTS
    assert world.deployments_under_way() == []


# -- in-process: the mock handle and an injected clock ------------------------------------------------


def test_the_mock_handle_reads_sets_and_settles_and_says_what_is_wrong() -> None:
    with mock_proton() as mock:
        world = InProcessWorld(mock)
        client = world.client(MGMT_ACCOUNT)
        assert mock.settle_policy() == SettlePolicy("succeed", 0, None)
        assert mock.set_settle_policy("fail", delay_seconds=1.5, message="No.") == SettlePolicy("fail", 1500, "No.")
        assert mock.settle_policy() == SettlePolicy("fail", 1500, "No.")
        assert mock.set_settle_policy("manual") == SettlePolicy("manual", 0, None)
        for bad, message in [
            ({"policy": "sometimes"}, "policy must be one of succeed, fail, manual, not 'sometimes'."),
            ({"policy": "succeed", "delay_seconds": -1}, "delaySeconds must be a number of seconds, 0 or more"),
            ({"policy": "succeed", "delay_seconds": float("nan")}, "delaySeconds must be at most 31536000"),
            ({"policy": "succeed", "delay_seconds": float("inf")}, "delaySeconds must be at most 31536000"),
            ({"policy": "succeed", "delay_seconds": 10**400}, "delaySeconds must be at most 31536000"),
        ]:
            with pytest.raises(SettlePolicyError, match=message.replace(".", r"\.")):
                mock.set_settle_policy(**bad)
        assert mock.settle_policy() == SettlePolicy("manual", 0, None)

        publish_template(client)
        waiting = create_environment(client, "waiting")["lastAttemptedDeploymentId"]
        [under_way] = mock.deployments_under_way()
        assert (under_way["id"], under_way["deploymentStatus"], under_way["accountId"]) == (
            waiting,
            "IN_PROGRESS",
            MGMT_ACCOUNT,
        )
        with pytest.raises(LookupError, match="No deployment not-a-deployment"):
            mock.settle("not-a-deployment")
        with pytest.raises(SettlePolicyError, match="status must be SUCCEEDED or FAILED, not 'DONE'"):
            mock.settle(waiting, "DONE")
        with pytest.raises(SettlePolicyError, match="outputs item 1: key must be a string"):
            mock.settle(waiting, outputs=[{"key": ""}])
        assert [d["id"] for d in mock.deployments_under_way()] == [waiting]
        settled = mock.settle(waiting, "FAILED", message="Out of addresses.")
        assert (settled["deploymentStatus"], settled["deploymentStatusMessage"]) == ("FAILED", "Out of addresses.")
        with pytest.raises(SettlePolicyError, match=f"Deployment {waiting} is FAILED; it cannot be settled"):
            mock.settle(waiting)
        assert mock.deployments_under_way() == []


def test_an_injected_clock_ends_a_delayed_deployment_exactly_when_the_delay_has_passed() -> None:
    clock = ManualClock()
    with mock_proton(settings=Settings(database_url="sqlite://", settle_delay_seconds=30), clock=clock) as mock:
        client = InProcessWorld(mock).client(MGMT_ACCOUNT)
        assert mock.settle_policy() == SettlePolicy("succeed", 30_000, None)
        publish_template(client)
        created = create_environment(client, "slow")
        deployment_id = created["lastAttemptedDeploymentId"]
        assert created["createdAt"] == START_2026
        clock.advance(seconds=29.999)
        assert status_of(client, "slow") == "IN_PROGRESS"
        assert client.get_deployment(id=deployment_id)["deployment"]["deploymentStatus"] == "IN_PROGRESS"
        assert [d["id"] for d in mock.deployments_under_way()] == [deployment_id]
        clock.advance(milliseconds=1)
        environment = client.get_environment(name="slow")["environment"]
        deployment = client.get_deployment(id=deployment_id)["deployment"]
        assert (environment["deploymentStatus"], deployment["deploymentStatus"]) == ("SUCCEEDED", "SUCCEEDED")
        ended_at = START_2026 + dt.timedelta(seconds=30)
        assert deployment["completedAt"] == ended_at
        assert environment["lastDeploymentSucceededAt"] == ended_at
        assert environment["lastSucceededDeploymentId"] == deployment_id
        assert mock.deployments_under_way() == []
        # Read much later, it still ended at the start plus the delay.
        clock.advance(seconds=3600)
        assert client.get_deployment(id=deployment_id)["deployment"]["completedAt"] == ended_at


def test_a_deployment_keeps_the_ending_of_the_policy_it_started_under() -> None:
    clock = ManualClock()
    with mock_proton(settings=Settings(database_url="sqlite://", settle_delay_seconds=30), clock=clock) as mock:
        client = InProcessWorld(mock).client(MGMT_ACCOUNT)
        publish_template(client)
        create_environment(client, "first")  # succeeds 30 s from now
        mock.set_settle_policy("fail")
        create_environment(client, "second")  # fails at once
        second = client.get_environment(name="second")["environment"]
        assert (second["deploymentStatus"], second["deploymentStatusMessage"]) == ("FAILED", SETTLE_FAIL_MESSAGE)
        assert status_of(client, "first") == "IN_PROGRESS"
        clock.advance(seconds=30)
        assert status_of(client, "first") == "SUCCEEDED"


def test_a_mock_started_with_policy_fail_ends_the_waiter_in_failure_on_its_first_poll() -> None:
    with mock_proton(settings=Settings(database_url="sqlite://", settle_policy="fail")) as mock:
        assert mock.settle_policy() == SettlePolicy("fail", 0, None)
        client = fresh_client(None)
        publish_template(client)
        create_environment(client, "doomed")
        polls = count_polls(client, "GetEnvironment")
        with pytest.raises(WaiterError) as excinfo:
            client.get_waiter("environment_deployed").wait(name="doomed")
        assert "terminal failure state" in str(excinfo.value)
        assert polls == [1]
