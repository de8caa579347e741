"""Ownership and tagging of components (components.md's opening: components belong to the management account that
creates them, taggable as E-14, not-found messages naming the ARN; S-2), and the summary's scope, in every mode."""

from __future__ import annotations

from typing import Any

import pytest

from services.service_helpers import (
    ENV_SPEC,
    OTHER_REGION,
    SOURCE,
    body,
    connected,
    environment,
    proton,
    refused,
    tags_of,
)
from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World

from .component_helpers import (
    CONNECTION_COMPONENT_ROLE,
    MANIFEST,
    TEMPLATE_FILE,
    component_arn,
    component_world,
    create_component,
    detached,
    get_component,
    missing_component,
)

TEAM = [{"key": "team", "value": "web"}]


def calls(client: Any) -> list[tuple[str, Any, dict[str, Any]]]:
    """Every component call naming `edge` (in prod, whose environment account is ENV_ACCOUNT)."""
    return [
        ("get_component", client.get_component, {"name": "edge"}),
        ("update_component", client.update_component, {"name": "edge", "deploymentType": "NONE", "description": "x"}),
        ("update_component current", client.update_component, {"name": "edge", "deploymentType": "CURRENT_VERSION"}),
        ("delete_component", client.delete_component, {"name": "edge"}),
        ("cancel_component_deployment", client.cancel_component_deployment, {"componentName": "edge"}),
        ("list_component_outputs", client.list_component_outputs, {"componentName": "edge"}),
        (
            "list_component_provisioned_resources",
            client.list_component_provisioned_resources,
            {"componentName": "edge"},
        ),
        ("list_deployments", client.list_deployments, {"componentName": "edge"}),
    ]


def owned_components(world: World) -> None:
    """queue on shop/shop-dev in dev; edge detached in prod, provisioned through a connection from ENV_ACCOUNT."""
    component_world(world)
    connection = connected(world, "prod")
    proton(world, ENV_ACCOUNT).update_environment_account_connection(
        id=connection["id"], componentRoleArn=CONNECTION_COMPONENT_ROLE
    )
    environment(world, "prod", environmentAccountConnectionId=connection["id"])
    create_component(world, tags=TEAM)
    detached(world, "edge", "prod")


@pytest.mark.parametrize(
    ("account", "region"),
    [(OTHER_ACCOUNT, REGION), (ENV_ACCOUNT, REGION), (MGMT_ACCOUNT, OTHER_REGION)],
    ids=["other-account", "environment-account", "other-region"],
)
def test_every_other_caller_gets_not_found_and_empty_lists(world: World, account: str, region: str) -> None:
    owned_components(world)
    before = get_component(world, "edge")
    client = proton(world, account, region)
    for name, operation, params in calls(client):
        error = refused(operation, **params)
        if name == "list_deployments":
            assert error[0] == "ResourceNotFoundException", name
        else:
            # S-4: the ARN the caller names is its own account's and region's.
            assert error == missing_component("edge", account, region), name
    for arn in (component_arn("queue"), component_arn("edge")):
        assert refused(client.list_tags_for_resource, resourceArn=arn)[0] == "ResourceNotFoundException"
        assert refused(client.tag_resource, resourceArn=arn, tags=TEAM)[0] == "ResourceNotFoundException"
        code, _, status = refused(client.notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED")
        assert (code, status) == ("ResourceNotFoundException", 400)
    assert client.list_components()["components"] == []
    assert client.list_components(environmentName="prod")["components"] == []
    assert [d for d in client.list_deployments()["deployments"] if d["targetResourceType"] == "COMPONENT"] == []
    assert client.get_resources_summary()["counts"]["components"] == {"total": 0, "failed": 0}
    # Nothing was changed by those calls.
    assert get_component(world, "edge") == before
    assert proton(world).get_resources_summary()["counts"]["components"] == {"total": 2, "failed": 0}


def test_another_account_has_a_namespace_of_its_own(world: World) -> None:
    component_world(world)
    create_component(world)
    other = proton(world, OTHER_ACCOUNT)
    other.create_environment_template(name="vpc")
    other.create_environment_template_version(templateName="vpc", source=SOURCE)
    other.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    role = f"arn:aws:iam::{OTHER_ACCOUNT}:role/proton"
    other.create_environment(
        name="dev",
        templateName="vpc",
        templateMajorVersion="1",
        spec=ENV_SPEC,
        protonServiceRoleArn=role,
        componentRoleArn=role,
    )
    created = other.create_component(
        name="queue", environmentName="dev", manifest=MANIFEST, templateFile=TEMPLATE_FILE
    )["component"]
    assert created["arn"] == component_arn("queue", OTHER_ACCOUNT)
    assert [c["name"] for c in other.list_components()["components"]] == ["queue"]
    assert "serviceName" not in other.get_component(name="queue")["component"]
    assert get_component(world)["serviceName"] == "shop"


def test_the_owner_tags_a_component(world: World) -> None:
    component_world(world)
    create_component(world, tags=TEAM)
    arn = component_arn("queue")
    assert tags_of(world, arn) == {"team": "web"}
    client = proton(world)
    assert body(client.tag_resource(resourceArn=arn, tags=[{"key": "stage", "value": "beta"}])) == {}
    assert tags_of(world, arn) == {"team": "web", "stage": "beta"}
    assert body(client.untag_resource(resourceArn=arn, tagKeys=["team"])) == {}
    assert tags_of(world, arn) == {"stage": "beta"}
    code, _, status = refused(client.tag_resource, resourceArn=arn, tags=[{"key": "aws:x", "value": "y"}])
    assert (code, status) == ("ValidationException", 400)
