"""Ownership and tagging of the service family's resources (S-2, S-28; "In use, and tagging"), in every mode."""

from __future__ import annotations

from typing import Any

import pytest

from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World

from .service_helpers import (
    DEV,
    OTHER_REGION,
    PROD,
    body,
    create_service,
    instance_arn,
    pipeline_of,
    proton,
    refused,
    service_arn,
    service_template,
    setup,
    spec_of,
    tags_of,
    template_arn,
    template_version,
    version_arn,
)

TEAM = [{"key": "team", "value": "web"}]


def shop_in_dev_and_prod(world: World) -> None:
    setup(world, prod=True)
    create_service(world, "shop", DEV, PROD)


def reads(client: Any, pipeline_arn: str) -> list[tuple[str, Any, dict[str, Any]]]:
    """Every call naming one of shop's resources, as another account would make it."""
    names = {"serviceName": "shop", "serviceInstanceName": "shop-prod"}
    return [
        ("get_service_template", client.get_service_template, {"name": "web"}),
        (
            "get_service_template_version",
            client.get_service_template_version,
            {"templateName": "web", "majorVersion": "1", "minorVersion": "0"},
        ),
        ("list_service_template_versions", client.list_service_template_versions, {"templateName": "web"}),
        ("update_service_template", client.update_service_template, {"name": "web", "description": "x"}),
        ("delete_service_template", client.delete_service_template, {"name": "web"}),
        ("get_service", client.get_service, {"name": "shop"}),
        ("update_service", client.update_service, {"name": "shop", "description": "x"}),
        ("delete_service", client.delete_service, {"name": "shop"}),
        ("get_service_instance", client.get_service_instance, {"name": "shop-prod", "serviceName": "shop"}),
        (
            "update_service_instance",
            client.update_service_instance,
            {"name": "shop-prod", "serviceName": "shop", "deploymentType": "CURRENT_VERSION"},
        ),
        ("cancel_service_instance_deployment", client.cancel_service_instance_deployment, names),
        ("list_service_instance_outputs", client.list_service_instance_outputs, names),
        ("list_service_instance_provisioned_resources", client.list_service_instance_provisioned_resources, names),
        ("list_service_instances", client.list_service_instances, {"serviceName": "shop"}),
        (
            "update_service_pipeline",
            client.update_service_pipeline,
            {"serviceName": "shop", "deploymentType": "CURRENT_VERSION", "spec": spec_of()},
        ),
        ("cancel_service_pipeline_deployment", client.cancel_service_pipeline_deployment, {"serviceName": "shop"}),
        ("list_service_pipeline_outputs", client.list_service_pipeline_outputs, {"serviceName": "shop"}),
        (
            "list_service_pipeline_provisioned_resources",
            client.list_service_pipeline_provisioned_resources,
            {"serviceName": "shop"},
        ),
        ("list_deployments", client.list_deployments, {"serviceName": "shop"}),
        *[
            (f"list_tags_for_resource {arn}", client.list_tags_for_resource, {"resourceArn": arn})
            for arn in (template_arn(), version_arn("1.0"), service_arn(), instance_arn("shop-prod"), pipeline_arn)
        ],
        *[
            (f"tag_resource {arn}", client.tag_resource, {"resourceArn": arn, "tags": TEAM})
            for arn in (service_arn(), instance_arn("shop-prod"), pipeline_arn)
        ],
    ]


@pytest.mark.parametrize(
    ("account", "region"),
    [(OTHER_ACCOUNT, REGION), (ENV_ACCOUNT, REGION), (MGMT_ACCOUNT, OTHER_REGION)],
    ids=["other-account", "environment-account", "other-region"],
)
def test_every_other_caller_gets_not_found_and_empty_lists(world: World, account: str, region: str) -> None:
    shop_in_dev_and_prod(world)
    pipeline_arn = pipeline_of(world)["arn"]
    client = proton(world, account, region)
    for name, operation, params in reads(client, pipeline_arn):
        code, _, status = refused(operation, **params)
        assert (code, status) == ("ResourceNotFoundException", 400), name
    assert client.list_service_templates()["templates"] == []
    assert client.list_services()["services"] == []
    assert client.list_service_instances()["serviceInstances"] == []
    assert [d for d in client.list_deployments()["deployments"] if d["targetResourceType"] != "ENVIRONMENT"] == []
    # Nothing was changed by those calls.
    owner = proton(world)
    assert owner.get_service(name="shop")["service"]["status"] == "ACTIVE"
    assert "description" not in owner.get_service(name="shop")["service"]
    assert tags_of(world, service_arn()) == {}


def test_another_account_has_a_namespace_of_its_own(world: World) -> None:
    setup(world)
    create_service(world)
    other = proton(world, OTHER_ACCOUNT)
    created = other.create_service_template(name="web")["serviceTemplate"]
    assert created["arn"] == f"arn:aws:proton:{REGION}:{OTHER_ACCOUNT}:service-template/web"
    assert [t["name"] for t in other.list_service_templates()["templates"]] == ["web"]
    assert "recommendedVersion" not in created
    assert proton(world).get_service_template(name="web")["serviceTemplate"]["recommendedVersion"] == "1.0"


# -- tagging ----------------------------------------------------------------------------------------------------


def test_every_arn_of_the_family_is_tagged_by_its_owner(world: World) -> None:
    setup(world)
    service_template(world, "api", tags=[{"key": "kind", "value": "template"}])
    template_version(world, "api", tags=[{"key": "kind", "value": "version"}])
    create_service(world)
    client = proton(world)
    assert tags_of(world, template_arn("api")) == {"kind": "template"}
    assert tags_of(world, version_arn("1.0", "api")) == {"kind": "version"}
    for arn in (template_arn(), version_arn("1.0"), service_arn(), instance_arn("shop-dev"), pipeline_of(world)["arn"]):
        assert body(client.tag_resource(resourceArn=arn, tags=[*TEAM, {"key": "stage", "value": "beta"}])) == {}
        assert tags_of(world, arn) == {"team": "web", "stage": "beta"}
        assert body(client.untag_resource(resourceArn=arn, tagKeys=["stage"])) == {}
        assert tags_of(world, arn) == {"team": "web"}


def test_a_template_major_names_nothing(world: World) -> None:
    setup(world)
    arn = f"{template_arn()}:1"
    for operation, params in (
        (proton(world).list_tags_for_resource, {}),
        (proton(world).tag_resource, {"tags": TEAM}),
        (proton(world).untag_resource, {"tagKeys": ["team"]}),
    ):
        code, _, status = refused(operation, resourceArn=arn, **params)
        assert (code, status) == ("ResourceNotFoundException", 400)


def test_tagging_follows_the_limits(world: World) -> None:
    setup(world)
    create_service(world)
    code, _, status = refused(
        proton(world).tag_resource, resourceArn=service_arn(), tags=[{"key": "aws:x", "value": "y"}]
    )
    assert (code, status) == ("ValidationException", 400)
    many = [{"key": f"k{n}", "value": "v"} for n in range(50)]
    proton(world).tag_resource(resourceArn=service_arn(), tags=many)
    code, _, status = refused(
        proton(world).tag_resource, resourceArn=service_arn(), tags=[{"key": "one", "value": "more"}]
    )
    assert (code, status) == ("ValidationException", 400)


def test_tags_go_with_their_resource(world: World) -> None:
    setup(world)
    create_service(world, "shop", DEV, ("shop-two", "dev"), tags=TEAM)
    pipeline_arn = pipeline_of(world)["arn"]
    client = proton(world)
    client.tag_resource(resourceArn=pipeline_arn, tags=[{"key": "pipe", "value": "yes"}])
    client.update_service(name="shop", spec=spec_of(DEV))  # removes shop-two
    assert refused(client.list_tags_for_resource, resourceArn=instance_arn("shop-two"))[0] == (
        "ResourceNotFoundException"
    )
    client.delete_service(name="shop")
    for arn in (service_arn(), instance_arn("shop-dev"), pipeline_arn):
        assert refused(client.list_tags_for_resource, resourceArn=arn)[0] == "ResourceNotFoundException"
    # A service made again under the name starts without the old tags.
    create_service(world)
    assert tags_of(world, service_arn()) == {}
    assert tags_of(world, instance_arn("shop-dev")) == {}
    client.delete_service(name="shop")
    client.delete_service_template_version(templateName="web", majorVersion="1", minorVersion="0")
    client.tag_resource(resourceArn=template_arn(), tags=TEAM)
    client.delete_service_template(name="web")
    service_template(world)
    assert tags_of(world, template_arn()) == {}
