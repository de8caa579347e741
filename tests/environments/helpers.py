"""What the environment tests share: the constants and helpers that create templates, connections and
environments and read them back, in every mode of the `world` fixture.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support import ENV_ACCOUNT, MGMT_ACCOUNT, REGION, World, create_connection, error_of, link_repository

SOURCE = {"s3": {"bucket": "templates", "key": "x.tar.gz"}}
SPEC = "proton: EnvironmentSpec\nspec:\n  size: small\n"
NEW_SPEC = "proton: EnvironmentSpec\nspec:\n  size: large\n"
SERVICE_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service"
CODEBUILD_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-codebuild"
COMPONENT_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-component"
REPOSITORY = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}
ENV_ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment"
DEPLOYMENT_ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:deployment"
OTHER_REGION = "eu-west-1"
CONNECTION = "environmentAccountConnectionId"
PROVISIONING = (CONNECTION, "protonServiceRoleArn", "codebuildRoleArn", "provisioningRepository")
WAIT = {"Delay": 1, "MaxAttempts": 2}


def proton(world: World, account: str = MGMT_ACCOUNT, region: str = REGION) -> Any:
    return world.client(account, region)


def refused(operation: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the error the call must fail with."""
    with pytest.raises(ClientError) as excinfo:
        operation(**params)
    return error_of(excinfo)


def add_version(
    world: World, template: str = "web", major: str | None = None, *, publish: bool = True, account: str = MGMT_ACCOUNT
) -> str:
    """A new version (a new major, or the next minor of `major`), published unless told; returns "major.minor"."""
    client = proton(world, account)
    members = {} if major is None else {"majorVersion": major}
    version = client.create_environment_template_version(templateName=template, source=SOURCE, **members)[
        "environmentTemplateVersion"
    ]
    if publish:
        client.update_environment_template_version(
            templateName=template,
            majorVersion=version["majorVersion"],
            minorVersion=version["minorVersion"],
            status="PUBLISHED",
        )
    return f"{version['majorVersion']}.{version['minorVersion']}"


def published_template(world: World, name: str = "web", *, account: str = MGMT_ACCOUNT) -> None:
    """A template with one published version, 1.0."""
    proton(world, account).create_environment_template(name=name)
    add_version(world, name, account=account)


def connected(world: World, name: str = "dev", *, account: str = ENV_ACCOUNT, region: str = REGION) -> dict[str, Any]:
    """A CONNECTED connection from `account` to the management account, serving environment `name`."""
    connection = create_connection(world, account=account, name=name, region=region)
    accepted = proton(world, MGMT_ACCOUNT, region).accept_environment_account_connection(id=connection["id"])
    return accepted["environmentAccountConnection"]


def create_env(
    world: World,
    name: str = "dev",
    *,
    template: str = "web",
    major: str = "1",
    account: str = MGMT_ACCOUNT,
    **members: Any,
) -> dict[str, Any]:
    """CreateEnvironment; in the management account with a service role unless another way is given."""
    if not any(member in members for member in PROVISIONING):
        members["protonServiceRoleArn"] = SERVICE_ROLE
    if "provisioningRepository" in members:
        link_repository(world, members["provisioningRepository"], account=account)
    members.setdefault("spec", SPEC)
    return proton(world, account).create_environment(
        name=name, templateName=template, templateMajorVersion=major, **members
    )["environment"]


def get_env(world: World, name: str = "dev") -> dict[str, Any]:
    return proton(world).get_environment(name=name)["environment"]


def update_env(world: World, deployment_type: str, name: str = "dev", **members: Any) -> dict[str, Any]:
    if "provisioningRepository" in members:
        link_repository(world, members["provisioningRepository"])
    return proton(world).update_environment(name=name, deploymentType=deployment_type, **members)["environment"]


def get_deployment(world: World, deployment_id: str) -> dict[str, Any]:
    return proton(world).get_deployment(id=deployment_id)["deployment"]


def newest_first(world: World, ids: list[str]) -> list[str]:
    """[decided] D-9: the order ListDeployments gives: by createdAt, newest first, then by id (one millisecond's)."""
    created_at = {i: get_deployment(world, i)["createdAt"] for i in ids}
    return sorted(ids, key=lambda i: (created_at[i], i), reverse=True)


def version_of(environment: dict[str, Any]) -> str:
    return f"{environment['templateMajorVersion']}.{environment['templateMinorVersion']}"


def state(version: str, spec: str = SPEC, template: str = "web") -> dict[str, Any]:
    major, minor = version.split(".")
    return {
        "environment": {
            "spec": spec,
            "templateMajorVersion": major,
            "templateMinorVersion": minor,
            "templateName": template,
        }
    }


def not_found(name: str = "dev") -> tuple[str, str, int]:
    return ("ResourceNotFoundException", f"The requested environment does not exist: {name}", 400)


def unusable(connection_id: str, problem: str) -> tuple[str, str, int]:
    return (
        "ValidationException",
        f"Environment account connection {connection_id} cannot be used: {problem}.",
        400,
    )
