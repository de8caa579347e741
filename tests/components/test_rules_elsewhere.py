"""The rules other resources keep because of components (components.md, "Rules other resources keep"; C-9, C-15):
DeleteEnvironment, UpdateService, DeleteService and UpdateServiceInstance, in every mode."""

from __future__ import annotations

from services.service_helpers import (
    DEV,
    environment,
    get_instance,
    get_service,
    instance_names,
    proton,
    refused,
    settle_all,
    spec_of,
    template_version,
    version_of,
)
from support import World

from .component_helpers import (
    COMPONENT_ROLE,
    TWO,
    component_world,
    create_component,
    detached,
    get_component,
    update_component,
)


def test_delete_environment_conflicts_while_any_component_is_in_it_naming_them_sorted(world: World) -> None:
    component_world(world)
    environment(world, "spare", componentRoleArn=COMPONENT_ROLE)
    detached(world, "zeta", "spare")
    world.set_settle_policy("fail")
    detached(world, "alpha", "spare")  # FAILED
    world.set_settle_policy("succeed")
    client = proton(world)
    assert refused(client.delete_environment, name="spare") == (
        "ConflictException",
        "Environment spare has components: alpha, zeta",
        400,
    )
    world.set_settle_policy("fail")
    client.delete_component(name="zeta")  # DELETE_FAILED: still in it
    assert refused(client.delete_environment, name="spare") == (
        "ConflictException",
        "Environment spare has components: alpha, zeta",
        400,
    )
    world.set_settle_policy("succeed")
    client.delete_component(name="zeta")
    client.delete_component(name="alpha")
    assert client.delete_environment(name="spare")["environment"]["deploymentStatus"] == "DELETE_IN_PROGRESS"


def test_an_instance_with_a_component_attached_cannot_be_removed_or_deleted(world: World) -> None:
    component_world(world, DEV, TWO)
    create_component(world, instance="shop-two")
    client = proton(world)
    code, _, status = refused(client.update_service, name="shop", spec=spec_of(DEV))
    assert (code, status) == ("ConflictException", 400)
    code, _, status = refused(client.delete_service, name="shop")
    assert (code, status) == ("ConflictException", 400)
    assert instance_names(world, "shop") == ["shop-dev", "shop-two"]
    assert get_service(world)["status"] == "ACTIVE"
    # Detached, the instance goes.
    update_component(world, "CURRENT_VERSION", serviceName="", serviceInstanceName="")
    client.update_service(name="shop", spec=spec_of(DEV))
    settle_all(world)
    assert instance_names(world, "shop") == ["shop-dev"]


def test_an_attachment_under_way_also_protects_the_instance(world: World) -> None:
    component_world(world, DEV, TWO)
    detached(world)
    world.set_settle_policy("manual")
    update_component(world, "CURRENT_VERSION", "bucket", serviceName="shop", serviceInstanceName="shop-two")
    client = proton(world)
    code, _, status = refused(client.update_service, name="shop", spec=spec_of(DEV))
    assert (code, status) == ("ConflictException", 400)
    code, _, status = refused(client.delete_service, name="shop")
    assert (code, status) == ("ConflictException", 400)
    assert instance_names(world, "shop") == ["shop-dev", "shop-two"]


def test_update_service_instance_conflicts_while_its_components_deployment_is_under_way(world: World) -> None:
    component_world(world)
    world.set_settle_policy("manual")
    create_component(world)
    client = proton(world)
    code, _, status = refused(
        client.update_service_instance, name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION"
    )
    assert (code, status) == ("ConflictException", 400)
    settle_all(world)
    update_component(world, "CURRENT_VERSION")
    code, _, status = refused(
        client.update_service_instance, name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION"
    )
    assert (code, status) == ("ConflictException", 400)
    settle_all(world)
    updated = client.update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")
    assert updated["serviceInstance"]["deploymentStatus"] == "IN_PROGRESS"


def test_an_attached_instance_cannot_move_to_a_version_without_directly_defined_components(world: World) -> None:
    component_world(world)
    create_component(world)
    template_version(world, "web", "1")  # 1.1, without DIRECTLY_DEFINED
    client = proton(world)
    code, _, status = refused(
        client.update_service_instance,
        name="shop-dev",
        serviceName="shop",
        deploymentType="MINOR_VERSION",
        templateMinorVersion="1",
    )
    assert (code, status) == ("ValidationException", 400)
    assert version_of(get_instance(world)) == "1.0"
    # Without a component attached, the move is allowed.
    update_component(world, "CURRENT_VERSION", serviceName="", serviceInstanceName="")
    client.update_service_instance(
        name="shop-dev", serviceName="shop", deploymentType="MINOR_VERSION", templateMinorVersion="1"
    )
    assert version_of(get_instance(world)) == "1.1"


def test_a_versions_component_sources_changing_leaves_existing_attachments_alone(world: World) -> None:
    component_world(world)
    create_component(world)
    client = proton(world)
    client.update_service_template_version(
        templateName="web", majorVersion="1", minorVersion="0", supportedComponentSources=[]
    )
    got = get_component(world)
    assert (got["serviceName"], got["serviceInstanceName"], got["deploymentStatus"]) == (
        "shop",
        "shop-dev",
        "SUCCEEDED",
    )
    # New attachments to that version are refused.
    proton(world).create_service_instance(name="shop-two", serviceName="shop", spec=spec_of(DEV, TWO))
    assert refused(create_component, world=world, name="other", instance="shop-two") == (
        "ValidationException",
        "Service template version web:1.0 doesn't support directly defined components",
        400,
    )
