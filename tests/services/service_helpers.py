"""What the service tests share (services.md): the constants and helpers that publish the environment template
`vpc`, create the environments `dev` (management account) and `prod` (through a connection from the environment
account), configure the account settings, publish the service template `web` and create services, in every mode
of the `world` fixture.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`. Set a policy only
after the environments exist (their own deployments follow it too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support import ENV_ACCOUNT, MGMT_ACCOUNT, REGION, World, create_connection, error_of, link_repository

SOURCE = {"s3": {"bucket": "templates", "key": "web.tar.gz"}}
ENV_SPEC = "proton: EnvironmentSpec\nspec:\n  size: small\n"
SERVICE_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service"
PIPELINE_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-pipeline"
CODEBUILD_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-codebuild"
PIPELINE_REPOSITORY = {"provider": "GITHUB", "name": "acme/pipelines", "branch": "main"}
CODE_CONNECTION = f"arn:aws:codestar-connections:{REGION}:{MGMT_ACCOUNT}:connection/0a1b2c3d"
REPOSITORY_MEMBERS = {"repositoryConnectionArn": CODE_CONNECTION, "repositoryId": "acme/shop", "branchName": "main"}
ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}"
TEMPLATE_ARN = f"{ARN}:service-template"
SERVICE_ARN = f"{ARN}:service"
DEPLOYMENT_ARN = f"{ARN}:deployment"
PIPELINE_INPUTS: dict[str, Any] = {"dockerfile": "Dockerfile"}
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
FIRST_POLL = {"Delay": 1, "MaxAttempts": 1}
OTHER_REGION = "eu-west-1"
CANCELLED = "User initiated cancellation."
NO_PIPELINE_ROLES = (
    "ValidationException",
    "Operation cannot be run until pipeline roles have been configured",
    400,
)
UNDER_WAY = ("IN_PROGRESS", "CANCELLING", "DELETE_IN_PROGRESS")

# An instance entry: (name, environment) or (name, environment, its inputs).
Entry = tuple[str, str] | tuple[str, str, dict[str, Any] | None]


def proton(world: World, account: str = MGMT_ACCOUNT, region: str = REGION) -> Any:
    return world.client(account, region)


def refused(operation: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the error the call must fail with."""
    with pytest.raises(ClientError) as excinfo:
        operation(**params)
    return error_of(excinfo)


def body(response: dict[str, Any]) -> dict[str, Any]:
    """A response without boto3's ResponseMetadata."""
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


# -- ARNs and not-found answers (S-4) -------------------------------------------------------------------------


def service_arn(service: str = "shop") -> str:
    return f"{SERVICE_ARN}/{service}"


def instance_arn(name: str, service: str = "shop") -> str:
    return f"{SERVICE_ARN}/{service}/service-instance/{name}"


def template_arn(name: str = "web") -> str:
    return f"{TEMPLATE_ARN}/{name}"


def version_arn(version: str, name: str = "web") -> str:
    return f"{TEMPLATE_ARN}/{name}:{version}"


def missing(kind: str, arn: str) -> tuple[str, str, int]:
    """S-4: `kind` is `service template`, `service template version`, `service` or `service instance`."""
    return ("ResourceNotFoundException", f"The requested {kind} does not exist: {arn}", 400)


def missing_service(service: str = "shop") -> tuple[str, str, int]:
    return missing("service", service_arn(service))


def missing_instance(name: str, service: str = "shop") -> tuple[str, str, int]:
    return missing("service instance", instance_arn(name, service))


def no_pipeline(service: str = "shop") -> tuple[str, str, int]:
    return ("ResourceNotFoundException", f"Service {service} has no pipeline", 400)


# -- specs ----------------------------------------------------------------------------------------------------


def spec_of(*instances: Entry, pipeline: dict[str, Any] | None = PIPELINE_INPUTS) -> str:
    """A service spec document: its instances (inputs `{port: 80}` unless given; None leaves `spec` out) and a
    `pipeline:` section (None leaves it out). Inline mappings are written as JSON, which is YAML too."""
    lines = ["proton: ServiceSpec"]
    if pipeline is not None:
        lines.append(f"pipeline: {json.dumps(pipeline)}")
    if instances:
        lines.append("instances:")
    for entry in instances:
        name, environment = entry[0], entry[1]
        inputs = entry[2] if len(entry) > 2 else {"port": 80}  # type: ignore[misc]
        lines.append(f"  - name: {name}")
        lines.append(f"    environment: {environment}")
        if inputs is not None:
            lines.append(f"    spec: {json.dumps(inputs)}")
    return "\n".join(lines) + "\n"


DEV = ("shop-dev", "dev")
PROD = ("shop-prod", "prod")


# -- environments, settings, templates ------------------------------------------------------------------------


def env_template(world: World, name: str = "vpc", *, majors: int = 1) -> None:
    """An environment template with one published version per major: 1.0, 2.0, ..."""
    client = proton(world)
    client.create_environment_template(name=name)
    for major in range(1, majors + 1):
        client.create_environment_template_version(templateName=name, source=SOURCE)
        client.update_environment_template_version(
            templateName=name, majorVersion=str(major), minorVersion="0", status="PUBLISHED"
        )


def environment(world: World, name: str = "dev", *, template: str = "vpc", major: str = "1", **members: Any) -> Any:
    """CreateEnvironment in the management account, with a service role unless another way is given."""
    if not {"environmentAccountConnectionId", "provisioningRepository", "codebuildRoleArn"} & set(members):
        members["protonServiceRoleArn"] = SERVICE_ROLE
    if "provisioningRepository" in members:
        link_repository(world, members["provisioningRepository"])
    return proton(world).create_environment(
        name=name, templateName=template, templateMajorVersion=major, spec=ENV_SPEC, **members
    )["environment"]


def connected(world: World, name: str = "prod") -> dict[str, Any]:
    """A CONNECTED connection from the environment account, serving environment `name`."""
    connection = create_connection(world, account=ENV_ACCOUNT, management=MGMT_ACCOUNT, name=name)
    return proton(world).accept_environment_account_connection(id=connection["id"])["environmentAccountConnection"]


def prod_environment(world: World, name: str = "prod") -> dict[str, Any]:
    """An environment provisioned in the environment account, through a connection."""
    connection = connected(world, name)
    return environment(world, name, environmentAccountConnectionId=connection["id"])


def pipeline_roles(world: World, **members: Any) -> dict[str, Any]:
    """UpdateAccountSettings, by default setting pipelineServiceRoleArn."""
    if not members:
        members = {"pipelineServiceRoleArn": PIPELINE_ROLE}
    if members.get("pipelineProvisioningRepository"):
        link_repository(world, members["pipelineProvisioningRepository"])
    return proton(world).update_account_settings(**members)["accountSettings"]


def service_template(world: World, name: str = "web", **members: Any) -> dict[str, Any]:
    return proton(world).create_service_template(name=name, **members)["serviceTemplate"]


def template_version(
    world: World,
    template: str = "web",
    major: str | None = None,
    *,
    compatible: Iterable[tuple[str, str]] = (("vpc", "1"),),
    publish: bool = True,
    **members: Any,
) -> str:
    """A new service template version (a new major, or the next minor of `major`), compatible with vpc:1 unless
    told, published unless told; returns "major.minor"."""
    client = proton(world)
    if major is not None:
        members["majorVersion"] = major
    version = client.create_service_template_version(
        templateName=template,
        source=SOURCE,
        compatibleEnvironmentTemplates=[{"templateName": t, "majorVersion": m} for t, m in compatible],
        **members,
    )["serviceTemplateVersion"]
    if publish:
        client.update_service_template_version(
            templateName=template,
            majorVersion=version["majorVersion"],
            minorVersion=version["minorVersion"],
            status="PUBLISHED",
        )
    return f"{version['majorVersion']}.{version['minorVersion']}"


def published_web(world: World, **members: Any) -> None:
    """Service template `web` with version 1.0, compatible with vpc:1, published."""
    service_template(world, **members)
    template_version(world)


def setup(world: World, *, prod: bool = False, roles: bool = True, **template_members: Any) -> None:
    """Environment template vpc 1.0, environment dev (and prod through a connection), pipeline roles, and service
    template web 1.0 published."""
    env_template(world)
    environment(world, "dev")
    if prod:
        prod_environment(world)
    if roles:
        pipeline_roles(world)
    published_web(world, **template_members)


# -- services -------------------------------------------------------------------------------------------------


def create_service(
    world: World,
    name: str = "shop",
    *instances: Entry,
    pipeline: bool = True,
    template: str = "web",
    major: str = "1",
    spec: str | None = None,
    **members: Any,
) -> dict[str, Any]:
    """CreateService; instances (default: shop-dev in dev), and with `pipeline` the repository members and a
    `pipeline:` section."""
    if not instances and spec is None:
        instances = (DEV,)
    if pipeline:
        members = {**REPOSITORY_MEMBERS, **members}
    if spec is None:
        spec = spec_of(*instances, pipeline=PIPELINE_INPUTS if pipeline else None)
    return proton(world).create_service(
        name=name, templateName=template, templateMajorVersion=major, spec=spec, **members
    )["service"]


def get_service(world: World, name: str = "shop") -> dict[str, Any]:
    return proton(world).get_service(name=name)["service"]


def get_instance(world: World, name: str = "shop-dev", service: str = "shop") -> dict[str, Any]:
    return proton(world).get_service_instance(name=name, serviceName=service)["serviceInstance"]


def get_deployment(world: World, deployment_id: str) -> dict[str, Any]:
    return proton(world).get_deployment(id=deployment_id)["deployment"]


def pipeline_of(world: World, service: str = "shop") -> dict[str, Any]:
    return get_service(world, service)["pipeline"]


def version_of(resource: dict[str, Any]) -> str:
    return f"{resource['templateMajorVersion']}.{resource['templateMinorVersion']}"


def instance_names(world: World, service: str | None = None) -> list[str]:
    members = {} if service is None else {"serviceName": service}
    pages = proton(world).get_paginator("list_service_instances").paginate(**members)
    return [item["name"] for page in pages for item in page["serviceInstances"]]


def service_names(world: World) -> list[str]:
    pages = proton(world).get_paginator("list_services").paginate()
    return [item["name"] for page in pages for item in page["services"]]


def deployments(world: World, **filters: Any) -> list[dict[str, Any]]:
    pages = proton(world).get_paginator("list_deployments").paginate(**filters)
    return [item for page in pages for item in page["deployments"]]


def service_deployments(world: World) -> list[dict[str, Any]]:
    """Every deployment of a service instance or pipeline the account has."""
    return [d for d in deployments(world) if d["targetResourceType"] in ("SERVICE_INSTANCE", "SERVICE_PIPELINE")]


def under_way_ids(world: World) -> set[str]:
    return {d["id"] for d in world.deployments_under_way()}


def settle_all(world: World, status: str = "SUCCEEDED") -> None:
    """Settle every deployment under way (deletions too: SUCCEEDED ends one DELETE_COMPLETE)."""
    for deployment in world.deployments_under_way():
        world.settle(deployment["id"], status)


def tags_of(world: World, arn: str, account: str = MGMT_ACCOUNT) -> dict[str, str]:
    listed = proton(world, account).list_tags_for_resource(resourceArn=arn)["tags"]
    return {tag["key"]: tag["value"] for tag in listed}
