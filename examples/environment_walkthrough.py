"""A walk through environments with two accounts, as a boto3 user would write it.

Point it at an OpenProton server with the standard endpoint variable and run it:

    openproton serve &
    AWS_ENDPOINT_URL_PROTON=http://127.0.0.1:4575 python examples/environment_walkthrough.py

OpenProton's default mode reads a 12-digit access key id as the caller's account (any secret will do), so the
two clients below act as two accounts: the environment account, where the environment's infrastructure would
live, and the management account, which owns the template and the environment. Names carry a random suffix,
so the script can run again and again against one server. It tidies up after itself.

It can also be imported: `main()` returns what it saw, so a test can run it inside `mock_proton()`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
from botocore.exceptions import ClientError

REGION = "us-east-1"
ENVIRONMENT_ACCOUNT = "111111111111"
MANAGEMENT_ACCOUNT = "222222222222"
BUNDLE = {"s3": {"bucket": "my-proton-templates", "key": "vpc-environment.tar.gz"}}
SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.0.0.0/16\n"


def proton_client(account: str) -> Any:
    # No endpoint_url here: botocore reads AWS_ENDPOINT_URL_PROTON from the environment.
    return boto3.client(
        "proton",
        region_name=REGION,
        aws_access_key_id=account,
        aws_secret_access_key="any-secret",
    )


def wait(client: Any, waiter_name: str, operation: str, **params: Any) -> int:
    """Wait with one of botocore's own waiters; returns how many times it polled."""
    polls = 0

    def count(**_kwargs: Any) -> None:
        nonlocal polls
        polls += 1

    event = f"before-call.proton.{operation}"
    client.meta.events.register(event, count, unique_id="walkthrough-poll-counter")
    try:
        client.get_waiter(waiter_name).wait(**params, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    finally:
        client.meta.events.unregister(event, unique_id="walkthrough-poll-counter")
    return polls


def plural(polls: int) -> str:
    return f"{polls} poll" if polls == 1 else f"{polls} polls"


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def expect(what: str, got: Any, wanted: Any) -> None:
    """Stop with a message (and exit status 1) when the service does not answer as Proton would."""
    if got != wanted:
        raise SystemExit(f"unexpected {what}: {got!r}, wanted {wanted!r}")


def main() -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    environment_name = f"walkthrough-{suffix}"
    template_name = f"vpc-{suffix}"
    environment_account = proton_client(ENVIRONMENT_ACCOUNT)
    management = proton_client(MANAGEMENT_ACCOUNT)
    seen: dict[str, Any] = {"environmentName": environment_name, "templateName": template_name}

    # 1. The environment account asks the management account for a connection.
    connection = environment_account.create_environment_account_connection(
        environmentName=environment_name,
        managementAccountId=MANAGEMENT_ACCOUNT,
        roleArn=f"arn:aws:iam::{ENVIRONMENT_ACCOUNT}:role/proton-environment",
    )["environmentAccountConnection"]
    connection_id = connection["id"]
    seen["connectionRequested"] = connection["status"]
    print(f"1. connection {connection_id} requested: {connection['status']}")

    # 2. The management account accepts it.
    accepted = management.accept_environment_account_connection(id=connection_id)["environmentAccountConnection"]
    seen["connectionAccepted"] = accepted["status"]
    expect("connection status", accepted["status"], "CONNECTED")
    print(f"2. connection accepted: {accepted['status']}")

    # 3. The management account creates a template, registers version 1.0 and publishes it.
    management.create_environment_template(name=template_name, displayName="VPC", description="A VPC per stage")
    version = management.create_environment_template_version(templateName=template_name, source=BUNDLE)
    major = version["environmentTemplateVersion"]["majorVersion"]
    minor = version["environmentTemplateVersion"]["minorVersion"]
    polls = wait(
        management,
        "environment_template_version_registered",
        "GetEnvironmentTemplateVersion",
        templateName=template_name,
        majorVersion=major,
        minorVersion=minor,
    )
    seen["versionRegisteredPolls"] = polls
    published = management.update_environment_template_version(
        templateName=template_name, majorVersion=major, minorVersion=minor, status="PUBLISHED"
    )["environmentTemplateVersion"]
    seen["templateVersion"] = f"{published['majorVersion']}.{published['minorVersion']}"
    seen["templateVersionStatus"] = published["status"]
    print(
        f"3. template {template_name} version {seen['templateVersion']} registered ({plural(polls)}), "
        f"then {published['status']}"
    )

    # 4. It creates the environment through the connection and waits for the deployment.
    created = management.create_environment(
        name=environment_name,
        templateName=template_name,
        templateMajorVersion=major,
        spec=SPEC,
        environmentAccountConnectionId=connection_id,
    )["environment"]
    polls = wait(management, "environment_deployed", "GetEnvironment", name=environment_name)
    environment = management.get_environment(name=environment_name)["environment"]
    seen["environmentDeployedPolls"] = polls
    seen["environmentStatus"] = environment["deploymentStatus"]
    seen["environmentAccountId"] = environment["environmentAccountId"]
    expect("deployment status", environment["deploymentStatus"], "SUCCEEDED")
    seen["firstDeploymentId"] = created["lastAttemptedDeploymentId"]
    print(
        f"4. environment {environment_name} {environment['deploymentStatus']} ({plural(polls)}) "
        f"in account {environment['environmentAccountId']}"
    )

    # 5. A connection an environment uses cannot be rejected.
    try:
        management.reject_environment_account_connection(id=connection_id)
        seen["rejectError"] = None
    except ClientError as error:
        seen["rejectError"] = error_code(error)
    print(f"5. rejecting the connection in use: {seen['rejectError']}")
    expect("answer to rejecting a connection in use", seen["rejectError"], "ConflictException")

    # 6. Version 1.1: register, publish, deploy it as a minor version update, then delete the environment.
    version = management.create_environment_template_version(
        templateName=template_name, majorVersion=major, source=BUNDLE
    )
    new_minor = version["environmentTemplateVersion"]["minorVersion"]
    seen["minorVersionRegisteredPolls"] = wait(
        management,
        "environment_template_version_registered",
        "GetEnvironmentTemplateVersion",
        templateName=template_name,
        majorVersion=major,
        minorVersion=new_minor,
    )
    management.update_environment_template_version(
        templateName=template_name, majorVersion=major, minorVersion=new_minor, status="PUBLISHED"
    )
    management.update_environment(name=environment_name, deploymentType="MINOR_VERSION")
    polls = wait(management, "environment_deployed", "GetEnvironment", name=environment_name)
    environment = management.get_environment(name=environment_name)["environment"]
    seen["updatedDeployedPolls"] = polls
    seen["updatedVersion"] = f"{environment['templateMajorVersion']}.{environment['templateMinorVersion']}"
    seen["updatedMinorVersion"] = environment["templateMinorVersion"]
    print(
        f"6. environment updated to version {seen['updatedVersion']}: "
        f"{environment['deploymentStatus']} ({plural(polls)})"
    )
    expect("template minor version after the update", environment["templateMinorVersion"], new_minor)

    deleting = management.delete_environment(name=environment_name)["environment"]
    seen["deleteStatus"] = deleting["deploymentStatus"]
    # No waiter for a delete: read until the environment is gone (at once, unless the server delays deployments).
    seen["afterDelete"], polls = None, 0
    while seen["afterDelete"] is None and polls < 120:
        polls += 1
        try:
            management.get_environment(name=environment_name)
            time.sleep(1)
        except ClientError as error:
            seen["afterDelete"] = error_code(error)
    seen["deletedPolls"] = polls
    print(f"   environment deleted ({deleting['deploymentStatus']}), then Get: {seen['afterDelete']} ({plural(polls)})")
    expect("answer to Get after the delete", seen["afterDelete"], "ResourceNotFoundException")

    # Tidy up, so the next run starts from the same place: the connection, the versions and the template.
    environment_account.delete_environment_account_connection(id=connection_id)
    for old_minor in (minor, new_minor):  # the recommended version goes last
        management.delete_environment_template_version(
            templateName=template_name, majorVersion=major, minorVersion=old_minor
        )
    management.delete_environment_template(name=template_name)
    print("done")
    return seen


if __name__ == "__main__":
    main()
