"""What the component tests share (components.md): the component world (environment template vpc, environment dev
with a component role, service template web whose 1.0 supports directly defined components, service shop with its
instance shop-dev in dev), manifests, ARNs and not-found answers, and helpers that create, update and read
components, in every mode of the `world` fixture.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`. Set a policy only
after component_world() (its environment and service deployments follow it too).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.service_helpers import (
    ARN,
    DEV,
    Entry,
    create_service,
    env_template,
    environment,
    pipeline_roles,
    proton,
    service_template,
    template_version,
)
from support import ENV_ACCOUNT, MGMT_ACCOUNT, REGION, World

COMPONENT_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-component"
CONNECTION_COMPONENT_ROLE = f"arn:aws:iam::{ENV_ACCOUNT}:role/proton-component"
DIRECTLY_DEFINED = ["DIRECTLY_DEFINED"]
MANIFEST = (
    "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
    "      rendering_engine: jinja\n      template_language: cloudformation\n"
)
TERRAFORM_MANIFEST = (
    MANIFEST.replace("cloudformation.yaml", "main.tf")
    .replace("jinja", "hcl")
    .replace("template_language: cloudformation", "template_language: terraform")
)
TEMPLATE_FILE = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
NEW_TEMPLATE_FILE = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
SERVICE_SPEC = "proton: ComponentSpec\nsize: small\n"
NEW_SERVICE_SPEC = "proton: ComponentSpec\nsize: large\n"
COMPONENT_ARN = f"{ARN}:component"
TWO = ("shop-two", "dev")


def component_arn(name: str = "queue", account: str = MGMT_ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:proton:{region}:{account}:component/{name}"


def missing_component(name: str = "queue", account: str = MGMT_ACCOUNT, region: str = REGION) -> tuple[str, str, int]:
    """S-4: not-found messages name the component's ARN."""
    return (
        "ResourceNotFoundException",
        f"The requested component does not exist: {component_arn(name, account, region)}",
        400,
    )


def component_world(
    world: World,
    *instances: Entry,
    directly_defined: bool = True,
    component_role: bool = True,
    pipeline: bool = False,
    service: bool = True,
) -> None:
    """Environment template vpc 1.0; environment dev (with a component role unless told); service template web
    1.0 published (supporting DIRECTLY_DEFINED unless told; with a pipeline only if `pipeline`); and, if `service`,
    service shop with its instances (default: shop-dev in dev), all deployed."""
    env_template(world)
    if component_role:
        environment(world, "dev", componentRoleArn=COMPONENT_ROLE)
    else:
        environment(world, "dev")
    if pipeline:
        pipeline_roles(world)
        service_template(world)
    else:
        service_template(world, pipelineProvisioning="CUSTOMER_MANAGED")
    members = {"supportedComponentSources": DIRECTLY_DEFINED} if directly_defined else {}
    template_version(world, **members)
    if service:
        create_service(world, "shop", *(instances or (DEV,)), pipeline=pipeline)


def create_component(
    world: World,
    name: str = "queue",
    *,
    instance: str | None = "shop-dev",
    service: str = "shop",
    manifest: str = MANIFEST,
    template_file: str = TEMPLATE_FILE,
    **members: Any,
) -> dict[str, Any]:
    """CreateComponent: attached to `service`/`instance`, or detached (instance=None, in dev unless an
    environmentName is given)."""
    if instance is not None:
        members = {"serviceName": service, "serviceInstanceName": instance, **members}
    else:
        members.setdefault("environmentName", "dev")
    return proton(world).create_component(name=name, manifest=manifest, templateFile=template_file, **members)[
        "component"
    ]


def detached(world: World, name: str = "bucket", environment_name: str = "dev", **members: Any) -> dict[str, Any]:
    return create_component(world, name, instance=None, environmentName=environment_name, **members)


def get_component(world: World, name: str = "queue") -> dict[str, Any]:
    return proton(world).get_component(name=name)["component"]


def update_component(world: World, deployment_type: str, name: str = "queue", **members: Any) -> dict[str, Any]:
    return proton(world).update_component(name=name, deploymentType=deployment_type, **members)["component"]


def component_names(world: World, **filters: Any) -> list[str]:
    pages = proton(world).get_paginator("list_components").paginate(**filters)
    return [item["name"] for page in pages for item in page["components"]]


def component_state(
    service: str = "shop",
    instance: str = "shop-dev",
    spec: str | None = None,
    template_file: str = TEMPLATE_FILE,
) -> dict[str, Any]:
    """A deployment's `component` state (C-12): names `""` when detached, serviceSpec only when attached."""
    state: dict[str, Any] = {"serviceName": service, "serviceInstanceName": instance, "templateFile": template_file}
    if spec is not None:
        state["serviceSpec"] = spec
    return {"component": state}


DETACHED_STATE = component_state("", "", None)


def summary_item(item: dict[str, Any]) -> dict[str, Any]:
    """What ListComponents shows of a component GetComponent returns: all but description, serviceSpec and
    lastClientRequestToken."""
    return {k: v for k, v in item.items() if k not in ("description", "serviceSpec", "lastClientRequestToken")}


def without(item: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in set(keys)}


def outputs_of(world: World, name: str = "queue", **members: Any) -> dict[str, Any]:
    response = proton(world).list_component_outputs(componentName=name, **members)
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}
