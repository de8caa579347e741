"""UpdateComponent (components.md, "UpdateComponent"; C-2, C-8, C-9), in every mode."""

from __future__ import annotations

from services.service_helpers import (
    DEV,
    deployments,
    environment,
    get_deployment,
    proton,
    refused,
    settle_all,
    spec_of,
    template_version,
)
from support import World

from .component_helpers import (
    COMPONENT_ROLE,
    DETACHED_STATE,
    NEW_SERVICE_SPEC,
    NEW_TEMPLATE_FILE,
    SERVICE_SPEC,
    TEMPLATE_FILE,
    TWO,
    component_state,
    component_world,
    create_component,
    detached,
    get_component,
    update_component,
)

ATTACHMENT = ("serviceName", "serviceInstanceName", "serviceSpec")


def attachment(component: dict) -> tuple:
    return tuple(component.get(key) for key in ATTACHMENT)


# -- NONE -----------------------------------------------------------------------------------------------------


def test_none_changes_the_description_only_and_deploys_nothing(world: World) -> None:
    component_world(world)
    create_component(world, serviceSpec=SERVICE_SPEC, description="old")
    before = get_component(world)
    updated = update_component(world, "NONE", description="new", clientToken="token-2")
    assert updated["description"] == "new"
    assert updated["lastAttemptedDeploymentId"] == before["lastAttemptedDeploymentId"]
    assert (updated["deploymentStatus"], attachment(updated)) == ("SUCCEEDED", attachment(before))
    assert get_component(world)["description"] == "new"
    assert len(deployments(world, componentName="queue")) == 1
    assert world.deployments_under_way() == []


def test_none_takes_no_other_member(world: World) -> None:
    component_world(world)
    create_component(world, description="old")
    for members in (
        {"templateFile": NEW_TEMPLATE_FILE},
        {"serviceSpec": NEW_SERVICE_SPEC},
        {"serviceName": "", "serviceInstanceName": ""},
        {"serviceName": "shop", "serviceInstanceName": "shop-dev", "description": "new"},
    ):
        code, _, status = refused(update_component, world=world, deployment_type="NONE", **members)
        assert (code, status) == ("ValidationException", 400), members
    assert get_component(world)["description"] == "old"
    assert len(deployments(world, componentName="queue")) == 1


# -- CURRENT_VERSION ------------------------------------------------------------------------------------------


def test_an_update_shows_the_old_state_until_its_deployment_succeeds(world: World) -> None:
    component_world(world)
    created = create_component(world, serviceSpec=SERVICE_SPEC)
    before = get_component(world)
    world.set_settle_policy("manual")
    updating = update_component(world, "CURRENT_VERSION", templateFile=NEW_TEMPLATE_FILE, serviceSpec=NEW_SERVICE_SPEC)
    deployment_id = updating["lastAttemptedDeploymentId"]
    assert deployment_id != created["lastAttemptedDeploymentId"]
    assert updating == {
        **before,
        "deploymentStatus": "IN_PROGRESS",
        "lastAttemptedDeploymentId": deployment_id,
        "lastDeploymentAttemptedAt": updating["lastDeploymentAttemptedAt"],
        "lastModifiedAt": updating["lastModifiedAt"],
        "lastClientRequestToken": updating["lastClientRequestToken"],
    }
    assert get_component(world) == updating
    deployment = get_deployment(world, deployment_id)
    assert deployment["initialState"] == component_state(spec=SERVICE_SPEC)
    assert deployment["targetState"] == component_state(spec=NEW_SERVICE_SPEC, template_file=NEW_TEMPLATE_FILE)
    world.settle(deployment_id)
    got = get_component(world)
    assert (got["deploymentStatus"], got["serviceSpec"], got["lastSucceededDeploymentId"]) == (
        "SUCCEEDED",
        NEW_SERVICE_SPEC,
        deployment_id,
    )
    # A failed update leaves the last successful state, which the next redeploy starts from.
    failing = update_component(world, "CURRENT_VERSION", serviceSpec=SERVICE_SPEC, templateFile=TEMPLATE_FILE)
    world.settle(failing["lastAttemptedDeploymentId"], "FAILED")
    got = get_component(world)
    assert (got["deploymentStatus"], got["serviceSpec"], got["lastSucceededDeploymentId"]) == (
        "FAILED",
        NEW_SERVICE_SPEC,
        deployment_id,
    )
    redeploy = update_component(world, "CURRENT_VERSION")
    assert get_deployment(world, redeploy["lastAttemptedDeploymentId"])["targetState"] == component_state(
        spec=NEW_SERVICE_SPEC, template_file=NEW_TEMPLATE_FILE
    )


def test_only_the_members_given_change(world: World) -> None:
    component_world(world)
    create_component(world, serviceSpec=SERVICE_SPEC)
    first = update_component(world, "CURRENT_VERSION", templateFile=NEW_TEMPLATE_FILE)
    assert get_deployment(world, first["lastAttemptedDeploymentId"])["targetState"] == component_state(
        spec=SERVICE_SPEC, template_file=NEW_TEMPLATE_FILE
    )
    second = update_component(world, "CURRENT_VERSION", serviceSpec=NEW_SERVICE_SPEC)
    assert get_deployment(world, second["lastAttemptedDeploymentId"])["targetState"] == component_state(
        spec=NEW_SERVICE_SPEC, template_file=NEW_TEMPLATE_FILE
    )
    assert attachment(get_component(world)) == ("shop", "shop-dev", NEW_SERVICE_SPEC)


def test_no_member_at_all_redeploys_the_current_state(world: World) -> None:
    component_world(world)
    created = create_component(world, serviceSpec=SERVICE_SPEC)
    again = update_component(world, "CURRENT_VERSION")
    assert again["lastAttemptedDeploymentId"] != created["lastAttemptedDeploymentId"]
    deployment = get_deployment(world, again["lastAttemptedDeploymentId"])
    assert deployment["initialState"] == deployment["targetState"] == component_state(spec=SERVICE_SPEC)
    assert get_component(world)["deploymentStatus"] == "SUCCEEDED"


def test_both_names_empty_detach_and_drop_the_inputs(world: World) -> None:
    component_world(world)
    create_component(world, serviceSpec=SERVICE_SPEC)
    detaching = update_component(world, "CURRENT_VERSION", serviceName="", serviceInstanceName="")
    assert attachment(detaching) == ("shop", "shop-dev", SERVICE_SPEC)  # C-2: until it succeeds
    deployment = get_deployment(world, detaching["lastAttemptedDeploymentId"])
    assert deployment["targetState"] == DETACHED_STATE
    # C-12: a detach names the instance it leaves.
    assert (deployment["serviceName"], deployment["serviceInstanceName"]) == ("shop", "shop-dev")
    got = get_component(world)
    assert (got["deploymentStatus"], got["environmentName"]) == ("SUCCEEDED", "dev")
    assert not set(ATTACHMENT) & set(got)
    # The instance is free for another component.
    assert create_component(world, "other")["serviceInstanceName"] == "shop-dev"


def test_both_names_attach_a_detached_component_with_creates_checks(world: World) -> None:
    component_world(world, DEV, TWO)
    create_component(world, "taken", instance="shop-two")
    detached(world)
    # The instance has a component already.
    assert refused(
        update_component,
        world=world,
        deployment_type="CURRENT_VERSION",
        name="bucket",
        serviceName="shop",
        serviceInstanceName="shop-two",
    ) == ("ConflictException", "Service instance shop/shop-two already has an attached component taken", 400)
    # The instance does not exist.
    code, _, status = refused(
        update_component,
        world=world,
        deployment_type="CURRENT_VERSION",
        name="bucket",
        serviceName="shop",
        serviceInstanceName="nope",
    )
    assert (code, status) == ("ResourceNotFoundException", 400)
    # An instance being deleted.
    proton(world).create_service_instance(
        name="shop-old", serviceName="shop", spec=spec_of(DEV, TWO, ("shop-old", "dev"))
    )
    world.set_settle_policy("manual")
    proton(world).update_service(name="shop", spec=spec_of(DEV, TWO))  # shop-old: DELETE_IN_PROGRESS
    code, _, status = refused(
        update_component,
        world=world,
        deployment_type="CURRENT_VERSION",
        name="bucket",
        serviceName="shop",
        serviceInstanceName="shop-old",
    )
    assert (code, status) == ("ValidationException", 400)
    settle_all(world)
    world.set_settle_policy("succeed")
    attaching = update_component(
        world, "CURRENT_VERSION", "bucket", serviceName="shop", serviceInstanceName="shop-dev", serviceSpec=SERVICE_SPEC
    )
    assert not set(ATTACHMENT) & set(attaching)  # C-2: still detached in the answer
    deployment = get_deployment(world, attaching["lastAttemptedDeploymentId"])
    assert deployment["initialState"] == DETACHED_STATE
    assert deployment["targetState"] == component_state(spec=SERVICE_SPEC)
    assert attachment(get_component(world, "bucket")) == ("shop", "shop-dev", SERVICE_SPEC)


def test_attaching_needs_a_version_with_directly_defined_components(world: World) -> None:
    component_world(world, DEV, TWO)
    detached(world)
    template_version(world, "web", "1")  # 1.1, without DIRECTLY_DEFINED
    proton(world).update_service_instance(
        name="shop-two", serviceName="shop", deploymentType="MINOR_VERSION", templateMinorVersion="1"
    )
    assert refused(
        update_component,
        world=world,
        deployment_type="CURRENT_VERSION",
        name="bucket",
        serviceName="shop",
        serviceInstanceName="shop-two",
    ) == ("ValidationException", "Service template version web:1.1 doesn't support directly defined components", 400)


def test_a_component_never_changes_environment(world: World) -> None:
    component_world(world)
    environment(world, "stage", componentRoleArn=COMPONENT_ROLE)
    proton(world).create_service_instance(
        name="shop-stage", serviceName="shop", spec=spec_of(DEV, ("shop-stage", "stage"))
    )
    detached(world)
    assert refused(
        update_component,
        world=world,
        deployment_type="CURRENT_VERSION",
        name="bucket",
        serviceName="shop",
        serviceInstanceName="shop-stage",
    ) == (
        "ValidationException",
        "Component bucket is in environment dev; service instance shop/shop-stage is in stage",
        400,
    )
    assert get_component(world, "bucket")["environmentName"] == "dev"


def test_an_attached_component_names_its_own_instance_or_is_detached_first(world: World) -> None:
    component_world(world, DEV, TWO)
    create_component(world, serviceSpec=SERVICE_SPEC)
    same = update_component(world, "CURRENT_VERSION", serviceName="shop", serviceInstanceName="shop-dev")
    assert get_deployment(world, same["lastAttemptedDeploymentId"])["targetState"] == component_state(spec=SERVICE_SPEC)
    assert refused(
        update_component,
        world=world,
        deployment_type="CURRENT_VERSION",
        serviceName="shop",
        serviceInstanceName="shop-two",
    ) == ("ConflictException", "Component queue is attached to shop/shop-dev; detach it first", 400)
    assert attachment(get_component(world)) == ("shop", "shop-dev", SERVICE_SPEC)


def test_names_come_both_or_neither_and_a_detached_component_takes_no_inputs(world: World) -> None:
    component_world(world)
    create_component(world)
    detached(world)
    for name, members in (
        ("queue", {"serviceName": "shop"}),
        ("queue", {"serviceInstanceName": "shop-dev"}),
        ("queue", {"serviceName": "", "serviceInstanceName": "shop-dev"}),
        ("queue", {"serviceName": "shop", "serviceInstanceName": ""}),
        ("queue", {"serviceName": "", "serviceInstanceName": "", "serviceSpec": SERVICE_SPEC}),
        ("bucket", {"serviceSpec": SERVICE_SPEC}),
        ("bucket", {"serviceName": "", "serviceInstanceName": "", "serviceSpec": SERVICE_SPEC}),
    ):
        code, _, status = refused(
            update_component, world=world, deployment_type="CURRENT_VERSION", name=name, **members
        )
        assert (code, status) == ("ValidationException", 400), (name, members)
    assert len(deployments(world, componentName="queue")) == len(deployments(world, componentName="bucket")) == 1


def test_a_detached_component_may_be_redeployed_with_a_new_template_file(world: World) -> None:
    component_world(world, service=False)
    detached(world)
    updated = update_component(world, "CURRENT_VERSION", "bucket", templateFile=NEW_TEMPLATE_FILE)
    assert get_deployment(world, updated["lastAttemptedDeploymentId"])["targetState"] == component_state(
        "", "", None, NEW_TEMPLATE_FILE
    )
    assert get_component(world, "bucket")["deploymentStatus"] == "SUCCEEDED"


# -- busy (C-9) -----------------------------------------------------------------------------------------------


def test_both_modes_conflict_while_the_components_own_deployment_is_under_way(world: World) -> None:
    component_world(world)
    world.set_settle_policy("manual")
    create_component(world)
    for mode, members in (("NONE", {"description": "x"}), ("CURRENT_VERSION", {})):
        code, _, status = refused(update_component, world=world, deployment_type=mode, **members)
        assert (code, status) == ("ConflictException", 400), mode
    settle_all(world)
    update_component(world, "CURRENT_VERSION", serviceName="", serviceInstanceName="")
    settle_all(world)
    proton(world).delete_component(name="queue")  # DELETE_IN_PROGRESS
    for mode in ("NONE", "CURRENT_VERSION"):
        code, _, status = refused(update_component, world=world, deployment_type=mode)
        assert (code, status) == ("ConflictException", 400), mode


def test_both_modes_conflict_while_the_attached_or_to_be_attached_instance_deploys(world: World) -> None:
    component_world(world, DEV, TWO)
    create_component(world)
    detached(world)
    world.set_settle_policy("manual")
    for instance in ("shop-dev", "shop-two"):
        proton(world).update_service_instance(name=instance, serviceName="shop", deploymentType="CURRENT_VERSION")
    for mode in ("NONE", "CURRENT_VERSION"):
        code, _, status = refused(update_component, world=world, deployment_type=mode, description="x")
        assert (code, status) == ("ConflictException", 400), mode
    code, _, status = refused(
        update_component,
        world=world,
        deployment_type="CURRENT_VERSION",
        name="bucket",
        serviceName="shop",
        serviceInstanceName="shop-two",
    )
    assert (code, status) == ("ConflictException", 400)
    settle_all(world)
    world.set_settle_policy("succeed")
    assert update_component(world, "NONE", description="x")["description"] == "x"
    update_component(world, "CURRENT_VERSION", "bucket", serviceName="shop", serviceInstanceName="shop-two")
    assert attachment(get_component(world, "bucket"))[:2] == ("shop", "shop-two")
