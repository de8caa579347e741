"""DeleteComponent and CancelComponentDeployment (components.md; C-10, C-11), in every mode."""

from __future__ import annotations

from services.service_helpers import (
    CANCELLED,
    get_deployment,
    proton,
    refused,
    tags_of,
)
from support import World

from .component_helpers import (
    NEW_SERVICE_SPEC,
    NEW_TEMPLATE_FILE,
    SERVICE_SPEC,
    component_arn,
    component_names,
    component_state,
    component_world,
    create_component,
    detached,
    get_component,
    missing_component,
    update_component,
)

TEAM = [{"key": "team", "value": "web"}]


def test_an_attached_component_must_be_detached_before_deleting(world: World) -> None:
    component_world(world)
    create_component(world)
    assert refused(proton(world).delete_component, name="queue") == (
        "ConflictException",
        "Component queue is attached to service instance shop/shop-dev; detach it before deleting",
        400,
    )
    assert get_component(world)["deploymentStatus"] == "SUCCEEDED"


def test_delete_answers_delete_in_progress_then_the_component_is_gone_with_its_tags_and_outputs(world: World) -> None:
    component_world(world, service=False)
    world.set_settle_policy("manual")
    created = detached(world, tags=TEAM)
    world.settle(created["lastAttemptedDeploymentId"], outputs=[{"key": "url", "valueString": "https://one"}])
    world.set_settle_policy("succeed")
    assert proton(world).list_component_outputs(componentName="bucket")["outputs"] != []
    assert tags_of(world, component_arn("bucket")) == {"team": "web"}
    before = get_component(world, "bucket")
    client = proton(world)
    deleting = client.delete_component(name="bucket")["component"]
    deployment_id = deleting["lastAttemptedDeploymentId"]
    assert deployment_id != before["lastAttemptedDeploymentId"]
    assert deleting == {
        **before,
        "deploymentStatus": "DELETE_IN_PROGRESS",
        "lastAttemptedDeploymentId": deployment_id,
        "lastDeploymentAttemptedAt": deleting["lastDeploymentAttemptedAt"],
        "lastModifiedAt": deleting["lastModifiedAt"],
    }
    gone = missing_component("bucket")
    assert refused(client.get_component, name="bucket") == gone
    assert refused(client.delete_component, name="bucket") == gone
    assert refused(client.list_component_outputs, componentName="bucket") == gone
    assert refused(client.list_component_provisioned_resources, componentName="bucket") == gone
    assert refused(client.list_tags_for_resource, resourceArn=component_arn("bucket"))[0] == (
        "ResourceNotFoundException"
    )
    assert component_names(world) == []
    # D-10: the deployment outlives its target, and a delete targets the state the component had.
    deployment = get_deployment(world, deployment_id)
    assert (deployment["deploymentStatus"], deployment["componentName"]) == ("DELETE_COMPLETE", "bucket")
    assert deployment["targetState"] == component_state("", "", None)
    # A component made again under the name starts without the old tags.
    detached(world)
    assert tags_of(world, component_arn("bucket")) == {}


def test_a_repeated_delete_during_delete_in_progress_returns_it(world: World) -> None:
    component_world(world, service=False)
    detached(world)
    world.set_settle_policy("manual")
    client = proton(world)
    first = client.delete_component(name="bucket")["component"]
    assert client.delete_component(name="bucket")["component"] == first
    assert get_component(world, "bucket") == first
    assert [d["id"] for d in world.deployments_under_way()] == [first["lastAttemptedDeploymentId"]]
    world.settle(first["lastAttemptedDeploymentId"])
    assert refused(client.get_component, name="bucket") == missing_component("bucket")


def test_a_failed_delete_leaves_delete_failed_and_is_tried_again(world: World) -> None:
    component_world(world, service=False)
    detached(world)
    world.set_settle_policy("fail", message="The stack could not be deleted.")
    client = proton(world)
    first = client.delete_component(name="bucket")["component"]
    got = get_component(world, "bucket")
    assert got == {
        **first,
        "deploymentStatus": "DELETE_FAILED",
        "deploymentStatusMessage": "The stack could not be deleted.",
        "lastModifiedAt": got["lastModifiedAt"],
    }
    assert component_names(world) == ["bucket"]
    world.set_settle_policy("succeed")
    again = client.delete_component(name="bucket")["component"]
    assert again["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert again["lastAttemptedDeploymentId"] != first["lastAttemptedDeploymentId"]
    assert refused(client.get_component, name="bucket") == missing_component("bucket")


def test_delete_conflicts_while_a_deployment_is_in_progress(world: World) -> None:
    component_world(world, service=False)
    world.set_settle_policy("manual")
    detached(world)
    code, _, status = refused(proton(world).delete_component, name="bucket")
    assert (code, status) == ("ConflictException", 400)
    assert get_component(world, "bucket")["deploymentStatus"] == "IN_PROGRESS"
    assert refused(proton(world).delete_component, name="nope") == missing_component("nope")


# -- cancel (C-11) --------------------------------------------------------------------------------------------


def test_cancel_answers_cancelling_then_reads_cancelled_and_keeps_the_last_successful_state(world: World) -> None:
    component_world(world)
    create_component(world, serviceSpec=SERVICE_SPEC)
    world.set_settle_policy("manual")
    updating = update_component(world, "CURRENT_VERSION", serviceSpec=NEW_SERVICE_SPEC, templateFile=NEW_TEMPLATE_FILE)
    client = proton(world)
    cancelling = client.cancel_component_deployment(componentName="queue")["component"]
    assert cancelling == {**updating, "deploymentStatus": "CANCELLING", "lastModifiedAt": cancelling["lastModifiedAt"]}
    got = get_component(world)
    assert got == {
        **updating,
        "deploymentStatus": "CANCELLED",
        "deploymentStatusMessage": CANCELLED,
        "lastModifiedAt": got["lastModifiedAt"],
    }
    assert got["serviceSpec"] == SERVICE_SPEC
    deployment = get_deployment(world, updating["lastAttemptedDeploymentId"])
    assert deployment["deploymentStatus"] == "CANCELLED"
    assert "completedAt" in deployment
    assert world.deployments_under_way() == []
    code, _, status = refused(client.cancel_component_deployment, componentName="queue")
    assert (code, status) == ("ConflictException", 400)
    # A cancelled deployment blocks nothing, and the next one starts from the last successful state (C-2: its
    # template file too).
    world.set_settle_policy("succeed")
    redeploy = update_component(world, "CURRENT_VERSION")
    assert get_deployment(world, redeploy["lastAttemptedDeploymentId"])["targetState"] == component_state(
        spec=SERVICE_SPEC
    )
    assert get_component(world)["serviceSpec"] == SERVICE_SPEC


def test_only_an_update_in_progress_can_be_cancelled(world: World) -> None:
    component_world(world, service=False)
    client = proton(world)
    detached(world)
    code, _, status = refused(client.cancel_component_deployment, componentName="bucket")  # SUCCEEDED
    assert (code, status) == ("ConflictException", 400)
    world.set_settle_policy("manual")
    detached(world, "fresh")  # a create in progress
    code, _, status = refused(client.cancel_component_deployment, componentName="fresh")
    assert (code, status) == ("ConflictException", 400)
    assert get_component(world, "fresh")["deploymentStatus"] == "IN_PROGRESS"
    client.delete_component(name="bucket")  # a delete in progress
    code, _, status = refused(client.cancel_component_deployment, componentName="bucket")
    assert (code, status) == ("ConflictException", 400)
    assert get_component(world, "bucket")["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert refused(client.cancel_component_deployment, componentName="nope") == missing_component("nope")
