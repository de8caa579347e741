"""Deliberate faults, rate limits and the audit log, in both modes; and SDK retries against them."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    InProcessWorld,
    ServerProcess,
    World,
    audit_entries,
    create_connection,
    error_of,
    openproton_command,
)

GET = "GetEnvironmentAccountConnection"
JS_DIR = Path(__file__).resolve().parent / "js"


def add_fault(world: World, rule: dict[str, Any]) -> None:
    """Through the mock handle in-process, through the admin endpoint against a server."""
    if isinstance(world, InProcessWorld):
        world.mock.faults.add(rule)
        return
    response = world.raw("POST", "/_openproton/faults", {"content-type": "application/json"}, orjson.dumps(rule))
    assert response.status == 200, response.body


def clear_faults(world: World) -> None:
    if isinstance(world, InProcessWorld):
        world.mock.faults.clear()
    else:
        assert world.raw("DELETE", "/_openproton/faults").status == 200


audit = audit_entries


@pytest.fixture
def faulty(world: World) -> Iterator[World]:
    yield world
    clear_faults(world)


def client(world: World, **config: Any) -> Any:
    """A client of ENV_ACCOUNT with its own retry configuration."""
    endpoint = getattr(getattr(world, "server", None), "endpoint", None)
    return boto3.session.Session().client(
        "proton",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=ENV_ACCOUNT,
        aws_secret_access_key="secret",
        config=Config(**config),
    )


def test_all_five_errors_of_get_can_be_met_on_purpose(faulty: World) -> None:
    connection = create_connection(faulty)
    get = client(faulty, retries={"mode": "standard", "total_max_attempts": 1})
    seen = {}
    with pytest.raises(ClientError) as excinfo:
        get.get_environment_account_connection(id="not-an-id")
    seen["ValidationException"] = error_of(excinfo)
    with pytest.raises(ClientError) as excinfo:
        get.get_environment_account_connection(id="0b0e9c4e-2a5b-4c51-9d2c-5d2f1f0e8a11")
    seen["ResourceNotFoundException"] = error_of(excinfo)
    for action, code in (
        ("throttle", "ThrottlingException"),
        ("internal", "InternalServerException"),
        ("deny", "AccessDeniedException"),
    ):
        add_fault(faulty, {"action": action, "operation": GET, "count": 1})
        with pytest.raises(ClientError) as excinfo:
            get.get_environment_account_connection(id=connection["id"])
        seen[code] = error_of(excinfo)
    assert {code: (got[0], got[2]) for code, got in seen.items()} == {
        "ValidationException": ("ValidationException", 400),
        "ResourceNotFoundException": ("ResourceNotFoundException", 400),
        "ThrottlingException": ("ThrottlingException", 400),
        "InternalServerException": ("InternalServerException", 500),
        "AccessDeniedException": ("AccessDeniedException", 400),
    }
    assert seen["ThrottlingException"][1] == "Rate exceeded"
    assert seen["AccessDeniedException"][1].startswith(f"Account {ENV_ACCOUNT} is not authorized to perform {GET}")
    # Each count-1 rule fired once and is gone: the next call succeeds.
    assert get.get_environment_account_connection(id=connection["id"])["environmentAccountConnection"] == connection


@pytest.mark.parametrize(("mode", "attempts"), [("standard", 2), ("legacy", 2)])
def test_boto3_retries_a_throttle_on_attempt_one_only(faulty: World, mode: str, attempts: int) -> None:
    connection = create_connection(faulty)
    add_fault(faulty, {"action": "throttle", "operation": GET, "attempt": 1})
    retrying = client(faulty, retries={"mode": mode, "total_max_attempts": 3})
    got = retrying.get_environment_account_connection(id=connection["id"])
    assert got["ResponseMetadata"]["RetryAttempts"] == attempts - 1
    # The rule stays: every first attempt is throttled, and a client that does not retry sees it.
    with pytest.raises(ClientError) as excinfo:
        client(faulty, retries={"mode": mode, "total_max_attempts": 1}).get_environment_account_connection(
            id=connection["id"]
        )
    assert error_of(excinfo)[0] == "ThrottlingException"


def test_a_count_limited_internal_error_is_seen_then_stops(faulty: World) -> None:
    connection = create_connection(faulty)
    add_fault(faulty, {"action": "internal", "operation": "Get*", "count": 2})
    once = client(faulty, retries={"mode": "standard", "total_max_attempts": 1})
    outcomes = []
    for _ in range(4):
        try:
            once.get_environment_account_connection(id=connection["id"])
            outcomes.append("OK")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["InternalServerException", "InternalServerException", "OK", "OK"]


def test_rules_match_on_account_and_region(faulty: World) -> None:
    connection = create_connection(faulty)
    add_fault(faulty, {"action": "throttle", "account": MGMT_ACCOUNT, "region": "us-east-1"})
    env = client(faulty, retries={"mode": "standard", "total_max_attempts": 1})
    assert env.get_environment_account_connection(id=connection["id"])["environmentAccountConnection"]["id"]
    with pytest.raises(ClientError) as excinfo:
        faulty.client(MGMT_ACCOUNT).get_environment_account_connection(id=connection["id"])
    assert error_of(excinfo)[0] == "ThrottlingException"


def test_a_latency_rule_answers_late_but_answers(faulty: World) -> None:
    connection = create_connection(faulty)
    add_fault(faulty, {"action": "latency", "operation": GET, "latencyMs": 300, "count": 1})
    started = time.monotonic()
    got = faulty.client(ENV_ACCOUNT).get_environment_account_connection(id=connection["id"])
    assert time.monotonic() - started >= 0.3
    assert got["environmentAccountConnection"]["id"] == connection["id"]


def test_a_probability_one_rule_always_fires_and_a_bad_rule_is_refused(faulty: World) -> None:
    add_fault(faulty, {"action": "throttle", "operation": "List*", "probability": 1.0})
    for _ in range(3):
        with pytest.raises(ClientError):
            client(faulty, retries={"mode": "standard", "total_max_attempts": 1}).list_environment_account_connections(
                requestedBy="ENVIRONMENT_ACCOUNT"
            )
    if not isinstance(faulty, InProcessWorld):
        refused = faulty.raw("POST", "/_openproton/faults", {}, b'{"action": "explode"}')
        assert refused.status == 400
        assert refused.json()["message"] == "action must be one of throttle, internal, deny, latency, not 'explode'"


def test_mutating_calls_are_audited_with_who_what_and_outcome(world: World) -> None:
    connection = create_connection(world)
    world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=connection["id"])
    with pytest.raises(ClientError):
        world.client(ENV_ACCOUNT).accept_environment_account_connection(id=connection["id"])
    world.client(ENV_ACCOUNT).get_environment_account_connection(id=connection["id"])  # a read: not audited
    entries = audit(world)
    assert [(e["accountId"], e["operation"], e["resource"], e["outcome"]) for e in entries] == [
        (ENV_ACCOUNT, "CreateEnvironmentAccountConnection", connection["arn"], "OK"),
        (MGMT_ACCOUNT, "AcceptEnvironmentAccountConnection", connection["arn"], "OK"),
        (ENV_ACCOUNT, "AcceptEnvironmentAccountConnection", connection["id"], "AccessDeniedException"),
    ]
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    assert all(e["accessKeyId"] in (ENV_ACCOUNT, MGMT_ACCOUNT) and e["region"] == "us-east-1" for e in entries)


def test_environment_changes_are_audited_with_the_environment_as_their_resource(world: World) -> None:
    management = world.client(MGMT_ACCOUNT)
    management.create_environment_template(name="web")
    management.create_environment_template_version(
        templateName="web", source={"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
    )
    management.update_environment_template_version(
        templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    already = len(audit(world))
    environment = {
        "name": "dev",
        "templateName": "web",
        "templateMajorVersion": "1",
        "spec": "proton: EnvironmentSpec\n",
        "protonServiceRoleArn": f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service",
    }
    arn = management.create_environment(**environment)["environment"]["arn"]
    assert arn == f"arn:aws:proton:us-east-1:{MGMT_ACCOUNT}:environment/dev"
    with pytest.raises(ClientError):
        management.create_environment(**{**environment, "spec": "other: 1\n"})  # idempotent parameter mismatch
    management.update_environment(name="dev", deploymentType="CURRENT_VERSION")
    with pytest.raises(ClientError):
        management.update_environment(name="missing", deploymentType="NONE")
    world.set_settle_policy("manual")  # the admin interface and the mock handle are not audited
    management.update_environment(name="dev", deploymentType="CURRENT_VERSION")
    management.cancel_environment_deployment(environmentName="dev")
    management.get_environment(name="dev")  # a read: not audited
    management.delete_environment(name="dev")
    with pytest.raises(ClientError):
        management.delete_environment(name="missing")
    entries = audit(world)[already:]
    assert [(e["accountId"], e["operation"], e["resource"], e["outcome"]) for e in entries] == [
        (MGMT_ACCOUNT, "CreateEnvironment", arn, "OK"),
        (MGMT_ACCOUNT, "CreateEnvironment", "dev", "ValidationException"),
        (MGMT_ACCOUNT, "UpdateEnvironment", arn, "OK"),
        (MGMT_ACCOUNT, "UpdateEnvironment", "missing", "ResourceNotFoundException"),
        (MGMT_ACCOUNT, "UpdateEnvironment", arn, "OK"),
        (MGMT_ACCOUNT, "CancelEnvironmentDeployment", arn, "OK"),
        (MGMT_ACCOUNT, "DeleteEnvironment", arn, "OK"),
        (MGMT_ACCOUNT, "DeleteEnvironment", "missing", "ResourceNotFoundException"),
    ]


def test_the_audit_command_reads_the_log_of_a_database(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/audited.sqlite3"
    server = ServerProcess(database=database)
    try:
        world_client = boto3.session.Session().client(
            "proton",
            region_name="us-east-1",
            endpoint_url=server.endpoint,
            aws_access_key_id=ENV_ACCOUNT,
            aws_secret_access_key="x",
        )
        world_client.create_environment_account_connection(
            environmentName="dev", managementAccountId=MGMT_ACCOUNT, roleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/p"
        )
    finally:
        server.stop()
    result = subprocess.run(
        [*openproton_command(), "audit", "--database", database, "--json"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [(e["operation"], e["outcome"]) for e in entries] == [("CreateEnvironmentAccountConnection", "OK")]
    table = subprocess.run(
        [*openproton_command(), "audit", "--database", database], capture_output=True, text=True, timeout=60
    )
    assert "CreateEnvironmentAccountConnection" in table.stdout and ENV_ACCOUNT in table.stdout


def test_rate_limits_throttle_past_the_rate_per_account_and_operation(tmp_path: Path) -> None:
    server = ServerProcess(env={"OPENPROTON_RATE_LIMIT": "0.01", "OPENPROTON_RATE_BURST": "2"})
    try:

        def make(account: str) -> Any:
            return boto3.session.Session().client(
                "proton",
                region_name="us-east-1",
                endpoint_url=server.endpoint,
                aws_access_key_id=account,
                aws_secret_access_key="x",
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            )

        env = make(ENV_ACCOUNT)
        for _ in range(2):
            env.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
        with pytest.raises(ClientError) as excinfo:
            env.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
        assert error_of(excinfo) == ("ThrottlingException", "Rate exceeded", 400)
        # Another operation, and another account, have buckets of their own.
        with pytest.raises(ClientError) as other_operation:
            env.get_environment_account_connection(id="0b0e9c4e-2a5b-4c51-9d2c-5d2f1f0e8a11")
        assert error_of(other_operation)[0] == "ResourceNotFoundException"
        make(MGMT_ACCOUNT).list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")
    finally:
        server.stop()


def test_fault_rules_load_from_a_file_at_start(tmp_path: Path) -> None:
    rules = tmp_path / "faults.json"
    rules.write_text(json.dumps([{"action": "internal", "operation": "List*", "count": 1}]))
    server = ServerProcess("--faults", str(rules))
    try:
        listed = server.request("GET", "/_openproton/faults", {}, b"").json()["rules"]
        assert [(rule["action"], rule["operation"], rule["count"]) for rule in listed] == [("internal", "List*", 1)]
    finally:
        server.stop()


def test_the_javascript_sdk_retries_a_throttled_first_attempt(server: ServerProcess) -> None:
    assert server.request("POST", "/_openproton/reset", {}, b"").status == 200
    rule = {"action": "throttle", "operation": "ListEnvironmentAccountConnections", "attempt": 1}
    assert server.request("POST", "/_openproton/faults", {}, orjson.dumps(rule)).status == 200
    try:
        result = subprocess.run(
            ["node", str(JS_DIR / "retries.mjs"), server.endpoint], capture_output=True, text=True, timeout=120
        )
    finally:
        server.request("DELETE", "/_openproton/faults", {}, b"")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "attempts": 2,
        "status": 200,
        "withoutRetries": {"name": "ThrottlingException", "status": 400, "attempts": 1},
    }


def test_rate_limit_buckets_stay_bounded_however_many_callers_come() -> None:
    from openproton.protocol.ratelimit import MAX_BUCKETS, RateLimiter

    clock = [0.0]
    limiter = RateLimiter(10.0, 2, now=lambda: clock[0])
    for number in range(3 * MAX_BUCKETS):
        clock[0] += 0.01  # each caller's bucket refills within a second
        assert limiter.allow(f"{number:012d}", "ListEnvironments")
    assert len(limiter._buckets) <= MAX_BUCKETS + 1
    # A caller still draining its bucket is remembered, so its limit holds.
    assert limiter.allow("999999999999", "ListEnvironments")
    assert limiter.allow("999999999999", "ListEnvironments")
    assert not limiter.allow("999999999999", "ListEnvironments")
