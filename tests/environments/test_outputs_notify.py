"""An environment's outputs and provisioned resources, and NotifyResourceDeploymentStatusChange for
self-managed environments, in every mode.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

import uuid

from support import MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World

from .helpers import (
    ENV_ARN,
    OTHER_REGION,
    REPOSITORY,
    create_env,
    get_deployment,
    get_env,
    not_found,
    proton,
    published_template,
    refused,
    update_env,
)

# -- outputs and provisioned resources ------------------------------------------------------------------------

OUTPUTS_1 = [{"key": "vpcId", "valueString": "vpc-1"}]
OUTPUTS_2 = [{"key": "vpcId", "valueString": "vpc-2"}, {"key": "subnetId", "valueString": "subnet-2"}]
RESOURCES_1 = [{"name": "Vpc", "identifier": "vpc-1", "provisioningEngine": "CLOUDFORMATION"}]
RESOURCES_2 = [
    {"name": "Vpc", "identifier": "vpc-2", "provisioningEngine": "CLOUDFORMATION"},
    {"name": "Subnet", "identifier": "subnet-2", "provisioningEngine": "TERRAFORM"},
]


def test_outputs_and_provisioned_resources_come_from_the_deployments(world: World) -> None:
    published_template(world)
    world.set_settle_policy("manual")
    first = create_env(world)["lastAttemptedDeploymentId"]
    client = proton(world)
    # Nothing has been produced before a deployment succeeds.
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == []
    assert client.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"] == []
    world.settle(first, "SUCCEEDED", outputs=OUTPUTS_1, provisioned_resources=RESOURCES_1)
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == OUTPUTS_1
    assert client.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"] == RESOURCES_1
    second = update_env(world, "CURRENT_VERSION")["lastAttemptedDeploymentId"]
    world.settle(second, "SUCCEEDED", outputs=OUTPUTS_2, provisioned_resources=RESOURCES_2)
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == OUTPUTS_2
    assert client.list_environment_outputs(environmentName="dev", deploymentId=first)["outputs"] == OUTPUTS_1
    assert client.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"] == RESOURCES_2
    outputs = client.get_paginator("list_environment_outputs").paginate(environmentName="dev")
    assert [o for page in outputs for o in page["outputs"]] == OUTPUTS_2
    resources = client.get_paginator("list_environment_provisioned_resources").paginate(environmentName="dev")
    assert [r for page in resources for r in page["provisionedResources"]] == RESOURCES_2


def test_outputs_of_a_deployment_of_another_environment_are_not_found(world: World) -> None:
    published_template(world)
    create_env(world)
    other = create_env(world, "prod")["lastAttemptedDeploymentId"]
    assert refused(proton(world).list_environment_outputs, environmentName="dev", deploymentId=other) == (
        "ResourceNotFoundException",
        f"The requested deployment does not exist: {other}",
        400,
    )


# -- NotifyResourceDeploymentStatusChange ---------------------------------------------------------------------


def self_managed(world: World) -> tuple[str, str]:
    """A self-managed environment `dev`, its first deployment waiting: (its ARN, the deployment id)."""
    published_template(world)
    created = create_env(world, provisioningRepository=REPOSITORY)
    return created["arn"], created["lastAttemptedDeploymentId"]


def test_notify_reports_outputs_in_progress_and_then_success(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(
        resourceArn=arn, deploymentId=deployment_id, status="IN_PROGRESS", outputs=OUTPUTS_1
    )
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"
    assert client.list_environment_outputs(environmentName="dev", deploymentId=deployment_id)["outputs"] == OUTPUTS_1
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == []  # nothing has succeeded yet
    client.notify_resource_deployment_status_change(
        resourceArn=arn, deploymentId=deployment_id, status="SUCCEEDED", outputs=[OUTPUTS_2[1]]
    )
    got = get_env(world)
    assert (got["deploymentStatus"], got["lastSucceededDeploymentId"]) == ("SUCCEEDED", deployment_id)
    # A later value for a key replaces the earlier one; new keys are added.
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == [*OUTPUTS_1, OUTPUTS_2[1]]
    assert world.deployments_under_way() == []


def test_notify_without_a_status_records_outputs_of_the_latest_deployment(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(resourceArn=arn, outputs=OUTPUTS_2)
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"
    assert client.list_environment_outputs(environmentName="dev", deploymentId=deployment_id)["outputs"] == OUTPUTS_2


def test_notify_failed_ends_the_deployment_with_its_message(world: World) -> None:
    arn, deployment_id = self_managed(world)
    proton(world).notify_resource_deployment_status_change(
        resourceArn=arn, deploymentId=deployment_id, status="FAILED", statusMessage="terraform apply failed"
    )
    got = get_env(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", "terraform apply failed")
    deployment = get_deployment(world, deployment_id)
    assert (deployment["deploymentStatus"], deployment["deploymentStatusMessage"]) == (
        "FAILED",
        "terraform apply failed",
    )


def test_notify_ends_a_deployment_of_any_provisioning_method(world: World) -> None:
    published_template(world)
    world.set_settle_policy("manual")
    created = create_env(world)
    # [decided] S-27 (replacing D-11): Notify ends the deployment under way whatever the provisioning method.
    proton(world).notify_resource_deployment_status_change(
        resourceArn=created["arn"],
        deploymentId=created["lastAttemptedDeploymentId"],
        status="FAILED",
        statusMessage="stack rolled back",
    )
    got = get_env(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", "stack rolled back")


def test_notify_on_an_ended_deployment_conflicts(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(resourceArn=arn, deploymentId=deployment_id, status="SUCCEEDED")
    # [decided] D-11
    assert refused(
        client.notify_resource_deployment_status_change, resourceArn=arn, deploymentId=deployment_id, status="FAILED"
    ) == ("ConflictException", f"Deployment {deployment_id} of environment dev is not in progress.", 400)
    assert get_env(world)["deploymentStatus"] == "SUCCEEDED"


def test_notify_of_an_unknown_deployment_or_environment_is_not_found(world: World) -> None:
    arn, _ = self_managed(world)
    client = proton(world)
    unknown = str(uuid.uuid4())
    assert refused(
        client.notify_resource_deployment_status_change, resourceArn=arn, deploymentId=unknown, status="SUCCEEDED"
    ) == ("ResourceNotFoundException", f"The requested deployment does not exist: {unknown}", 400)
    assert refused(
        client.notify_resource_deployment_status_change, resourceArn=f"{ENV_ARN}/missing", status="SUCCEEDED"
    ) == not_found("missing")
    template_arn = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment-template/web"
    assert refused(client.notify_resource_deployment_status_change, resourceArn=template_arn, status="SUCCEEDED") == (
        "ResourceNotFoundException",
        f"The requested resource does not exist: {template_arn}",
        400,
    )
    # Another account (or region) is answered as if the environment did not exist, naming no account.
    for other in (proton(world, OTHER_ACCOUNT), proton(world, MGMT_ACCOUNT, OTHER_REGION)):
        assert refused(other.notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED") == (
            not_found()
        )
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"


def test_deleting_a_self_managed_environment_ends_at_once(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(resourceArn=arn, deploymentId=deployment_id, status="SUCCEEDED")
    world.set_settle_policy("manual")
    deleting = client.delete_environment(name="dev")["environment"]
    assert deleting["deploymentStatus"] == "DELETE_IN_PROGRESS"
    # [decided] S-29: nothing would notify a self-managed deletion, so it ends by the first read, whatever
    # the settle policy.
    assert refused(client.get_environment, name="dev") == not_found()
    ended = client.get_deployment(id=deleting["lastAttemptedDeploymentId"])["deployment"]
    assert ended["deploymentStatus"] == "DELETE_COMPLETE"
