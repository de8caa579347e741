"""A component's outputs, provisioned resources and deployments (components.md, "Outputs, provisioned resources,
deployments"; C-12 to C-14, with S-26, S-27, S-29, D-10, D-12, D-14), in every mode."""

from __future__ import annotations

from services.service_helpers import (
    DEPLOYMENT_ARN,
    connected,
    deployments,
    environment,
    get_deployment,
    get_instance,
    instance_arn,
    proton,
    refused,
)
from support import ENV_ACCOUNT, OTHER_ACCOUNT, World

from .component_helpers import (
    CONNECTION_COMPONENT_ROLE,
    NEW_TEMPLATE_FILE,
    SERVICE_SPEC,
    TERRAFORM_MANIFEST,
    component_arn,
    component_state,
    component_world,
    create_component,
    detached,
    get_component,
    missing_component,
    outputs_of,
    update_component,
)

OUTPUTS_1 = [{"key": "queueUrl", "valueString": "https://queue-1"}]
OUTPUTS_2 = [{"key": "queueUrl", "valueString": "https://queue-2"}, {"key": "arn", "valueString": "arn-2"}]
RESOURCES_1 = [{"name": "Queue", "identifier": "queue-1", "provisioningEngine": "CLOUDFORMATION"}]
REPOSITORY = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}


def test_outputs_and_provisioned_resources_come_from_the_deployments(world: World) -> None:
    component_world(world)
    world.set_settle_policy("manual")
    first = create_component(world)["lastAttemptedDeploymentId"]
    client = proton(world)
    # Nothing before a deployment succeeds, and never a nextToken.
    assert outputs_of(world) == {"outputs": []}
    resources = client.list_component_provisioned_resources(componentName="queue")
    assert (resources["provisionedResources"], "nextToken" in resources) == ([], False)
    world.settle(first, outputs=OUTPUTS_1, provisioned_resources=RESOURCES_1)
    assert outputs_of(world) == {"outputs": OUTPUTS_1}
    assert client.list_component_provisioned_resources(componentName="queue")["provisionedResources"] == RESOURCES_1
    second = update_component(world, "CURRENT_VERSION")["lastAttemptedDeploymentId"]
    assert outputs_of(world) == {"outputs": OUTPUTS_1}  # the last successful one's, while the next is under way
    world.settle(second, outputs=OUTPUTS_2)
    assert outputs_of(world) == {"outputs": OUTPUTS_2}
    assert outputs_of(world, deploymentId=first) == {"outputs": OUTPUTS_1}
    third = update_component(world, "CURRENT_VERSION")["lastAttemptedDeploymentId"]
    world.settle(third, "FAILED")
    assert outputs_of(world) == {"outputs": OUTPUTS_2}
    # Another target's deployment is not found.
    instance_deployment = get_instance(world)["lastAttemptedDeploymentId"]
    code, _, status = refused(client.list_component_outputs, componentName="queue", deploymentId=instance_deployment)
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert refused(client.list_component_outputs, componentName="nope") == missing_component("nope")
    assert refused(client.list_component_provisioned_resources, componentName="nope") == missing_component("nope")


def test_a_create_deployment_is_a_component_deployment_without_an_initial_state(world: World) -> None:
    component_world(world)
    created = create_component(world, serviceSpec=SERVICE_SPEC)
    deployment_id = created["lastAttemptedDeploymentId"]
    deployment = get_deployment(world, deployment_id)
    assert deployment == {
        "id": deployment_id,
        "arn": f"{DEPLOYMENT_ARN}/{deployment_id}",
        "targetArn": component_arn("queue"),
        "targetResourceType": "COMPONENT",
        "targetResourceCreatedAt": created["createdAt"],
        "environmentName": "dev",
        "componentName": "queue",
        "serviceName": "shop",
        "serviceInstanceName": "shop-dev",
        "deploymentStatus": "SUCCEEDED",
        "targetState": component_state(spec=SERVICE_SPEC),
        "createdAt": deployment["createdAt"],
        "lastModifiedAt": deployment["lastModifiedAt"],
        "completedAt": deployment["completedAt"],
    }
    # The summary in ListDeployments carries the same names.
    (summary,) = deployments(world, componentName="queue")
    assert {k: summary.get(k) for k in ("id", "targetResourceType", "componentName", "serviceName")} == {
        "id": deployment_id,
        "targetResourceType": "COMPONENT",
        "componentName": "queue",
        "serviceName": "shop",
    }


def test_a_detached_components_deployments_name_no_instance_and_a_delete_targets_the_current_state(
    world: World,
) -> None:
    component_world(world, service=False)
    created = detached(world)
    update_component(world, "CURRENT_VERSION", "bucket", templateFile=NEW_TEMPLATE_FILE)
    deleting = proton(world).delete_component(name="bucket")["component"]
    create = get_deployment(world, created["lastAttemptedDeploymentId"])
    delete = get_deployment(world, deleting["lastAttemptedDeploymentId"])
    for deployment in (create, delete):
        assert not {"serviceName", "serviceInstanceName"} & set(deployment)
        assert (deployment["environmentName"], deployment["componentName"]) == ("dev", "bucket")
    assert create["targetState"] == component_state("", "", None)
    assert "initialState" not in create
    assert delete["targetState"] == component_state("", "", None, NEW_TEMPLATE_FILE)
    assert delete["deploymentStatus"] == "DELETE_COMPLETE"


def test_deployment_filters_and_gets_name_components(world: World) -> None:
    component_world(world)
    created = create_component(world)
    bucket = detached(world)
    client = proton(world)
    ids = [d["id"] for d in deployments(world, componentName="queue")]
    assert ids == [created["lastAttemptedDeploymentId"]]
    # serviceName and serviceInstanceName also match an attached component's deployments.
    by_instance = {d["id"] for d in deployments(world, serviceName="shop", serviceInstanceName="shop-dev")}
    assert created["lastAttemptedDeploymentId"] in by_instance
    assert bucket["lastAttemptedDeploymentId"] not in by_instance
    assert created["lastAttemptedDeploymentId"] in {d["id"] for d in deployments(world, serviceName="shop")}
    by_env = {d["id"] for d in deployments(world, environmentName="dev")}
    assert {created["lastAttemptedDeploymentId"], bucket["lastAttemptedDeploymentId"]} <= by_env
    assert refused(client.list_deployments, componentName="nope")[0] == "ResourceNotFoundException"
    # GetDeployment: each name given must match.
    assert client.get_deployment(id=bucket["lastAttemptedDeploymentId"], componentName="bucket")["deployment"]
    code, _, status = refused(client.get_deployment, id=bucket["lastAttemptedDeploymentId"], componentName="queue")
    assert (code, status) == ("ResourceNotFoundException", 400)
    code, _, status = refused(client.get_deployment, id=created["lastAttemptedDeploymentId"], componentName="nope")
    assert (code, status) == ("ResourceNotFoundException", 400)


def test_delete_deployment_keeps_the_last_attempted_and_succeeded_of_a_component(world: World) -> None:
    component_world(world, service=False)
    first = detached(world)["lastAttemptedDeploymentId"]
    second = update_component(world, "CURRENT_VERSION", "bucket")["lastAttemptedDeploymentId"]
    client = proton(world)
    code, _, status = refused(client.delete_deployment, id=second)
    assert (code, status) == ("ValidationException", 400)
    deleted = client.delete_deployment(id=first)["deployment"]
    assert (deleted["id"], deleted["componentName"]) == (first, "bucket")
    assert [d["id"] for d in deployments(world, componentName="bucket")] == [second]


def test_the_policy_at_the_start_fixes_the_ending(world: World) -> None:
    component_world(world, service=False)
    world.set_settle_policy("fail", message="The queue could not be made.")
    created = detached(world)
    world.set_settle_policy("succeed")
    got = get_component(world, "bucket")
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", "The queue could not be made.")
    assert not {"lastSucceededDeploymentId", "lastDeploymentSucceededAt"} & set(got)  # C-2
    assert get_deployment(world, created["lastAttemptedDeploymentId"])["deploymentStatus"] == "FAILED"
    # A failed create may be redeployed; that one follows the policy of its own start.
    update_component(world, "CURRENT_VERSION", "bucket")
    got = get_component(world, "bucket")
    assert got["deploymentStatus"] == "SUCCEEDED"
    assert "deploymentStatusMessage" not in got


def test_in_a_self_managed_environment_a_deployment_waits_for_notify_from_the_owner(world: World) -> None:
    component_world(world, service=False)
    client = proton(world)
    own = environment(world, "own", provisioningRepository=REPOSITORY)
    client.notify_resource_deployment_status_change(resourceArn=own["arn"], status="SUCCEEDED")
    created = detached(world, environment_name="own", manifest=TERRAFORM_MANIFEST)
    assert get_component(world, "bucket")["deploymentStatus"] == "IN_PROGRESS"  # the policy is `succeed`
    arn = component_arn("bucket")
    code, _, status = refused(
        proton(world, OTHER_ACCOUNT).notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED"
    )
    assert (code, status) == ("ResourceNotFoundException", 400)
    client.notify_resource_deployment_status_change(resourceArn=arn, outputs=OUTPUTS_1)  # outputs only
    assert get_component(world, "bucket")["deploymentStatus"] == "IN_PROGRESS"
    client.notify_resource_deployment_status_change(
        resourceArn=arn, status="SUCCEEDED", deploymentId=created["lastAttemptedDeploymentId"]
    )
    got = get_component(world, "bucket")
    assert (got["deploymentStatus"], got["lastSucceededDeploymentId"]) == (
        "SUCCEEDED",
        created["lastAttemptedDeploymentId"],
    )
    assert outputs_of(world, "bucket") == {"outputs": OUTPUTS_1}
    code, _, status = refused(client.notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED")
    assert (code, status) == ("ConflictException", 400)  # nothing under way
    # S-29: a self-managed delete ends by the first read, whatever the policy.
    world.set_settle_policy("manual")
    client.delete_component(name="bucket")
    assert refused(client.get_component, name="bucket") == missing_component("bucket")


def test_notify_ends_any_components_deployment_and_merges_outputs_by_key(world: World) -> None:
    component_world(world)
    world.set_settle_policy("manual")
    created = create_component(world)
    arn = component_arn("queue")
    client = proton(world)
    client.notify_resource_deployment_status_change(resourceArn=arn, status="IN_PROGRESS", outputs=OUTPUTS_2)
    assert get_component(world)["deploymentStatus"] == "IN_PROGRESS"
    code, _, status = refused(
        client.notify_resource_deployment_status_change,
        resourceArn=arn,
        status="SUCCEEDED",
        deploymentId=get_instance(world)["lastAttemptedDeploymentId"],  # another target's
    )
    assert (code, status) == ("ResourceNotFoundException", 400)
    client.notify_resource_deployment_status_change(resourceArn=arn, status="SUCCEEDED", outputs=OUTPUTS_1)
    got = get_component(world)
    assert (got["deploymentStatus"], got["lastSucceededDeploymentId"]) == (
        "SUCCEEDED",
        created["lastAttemptedDeploymentId"],
    )
    assert world.deployments_under_way() == []
    merged = {o["key"]: o["valueString"] for o in outputs_of(world)["outputs"]}
    assert merged == {"queueUrl": "https://queue-1", "arn": "arn-2"}


def test_a_delete_through_a_deleted_connection_fails_at_once_naming_it(world: World) -> None:
    component_world(world, service=False)
    connection = connected(world, "prod")
    proton(world, ENV_ACCOUNT).update_environment_account_connection(
        id=connection["id"], componentRoleArn=CONNECTION_COMPONENT_ROLE
    )
    environment(world, "prod", environmentAccountConnectionId=connection["id"])
    detached(world, environment_name="prod")
    proton(world, ENV_ACCOUNT).delete_environment_account_connection(id=connection["id"])
    # C-5: the connection must still exist for a new component there.
    code, _, status = refused(detached, world=world, name="other", environment_name="prod")
    assert (code, status) == ("ValidationException", 400)
    # Create's role check applies to UpdateComponent.
    code, _, status = refused(update_component, world=world, deployment_type="CURRENT_VERSION", name="bucket")
    assert (code, status) == ("ValidationException", 400)
    # D-14: a deployment through it fails at once, naming it (a delete needs no role).
    proton(world).delete_component(name="bucket")
    got = get_component(world, "bucket")
    assert got["deploymentStatus"] == "DELETE_FAILED"
    assert connection["id"] in got["deploymentStatusMessage"]


def test_a_components_deployment_never_starts_its_instances_and_the_instances_next_records_it(world: World) -> None:
    component_world(world)
    before = get_instance(world)
    created = create_component(world)
    first = update_component(world, "CURRENT_VERSION")  # the component's last successful deployment
    assert created["lastAttemptedDeploymentId"] != first["lastAttemptedDeploymentId"]
    after = get_instance(world)
    assert after["lastAttemptedDeploymentId"] == before["lastAttemptedDeploymentId"]
    assert (
        get_deployment(world, before["lastAttemptedDeploymentId"])["targetState"]["serviceInstance"].get(
            "lastSuccessfulComponentDeploymentIds", []
        )
        == []
    )
    updated = proton(world).update_service_instance(
        name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION"
    )["serviceInstance"]
    state = get_deployment(world, updated["lastAttemptedDeploymentId"])["targetState"]["serviceInstance"]
    assert state["lastSuccessfulComponentDeploymentIds"] == [first["lastAttemptedDeploymentId"]]
    assert get_deployment(world, updated["lastAttemptedDeploymentId"])["targetArn"] == instance_arn("shop-dev")
