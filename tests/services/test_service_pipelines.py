"""Service pipelines (services.md, "Service pipelines"; S-21, S-24): UpdateServicePipeline,
CancelServicePipelineDeployment, outputs and provisioned resources, the waiter, and self-managed pipelines, in
every mode."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import WaiterError

from support import World, link_repository

from .service_helpers import (
    CANCELLED,
    DEV,
    FIRST_POLL,
    PIPELINE_REPOSITORY,
    SOURCE,
    create_service,
    get_deployment,
    get_instance,
    get_service,
    missing_service,
    no_pipeline,
    pipeline_of,
    proton,
    refused,
    service_deployments,
    settle_all,
    setup,
    spec_of,
    template_version,
    under_way_ids,
    version_of,
)

NEW_PIPELINE = {"dockerfile": "Dockerfile.prod"}
OUTPUTS = [{"key": "pipelineUrl", "valueString": "https://pipeline"}]
RESOURCES = [{"name": "Pipeline", "identifier": "shop-pipeline", "provisioningEngine": "CLOUDFORMATION"}]


def update_pipeline(world: World, deployment_type: str, spec: str | None = None, **members: Any) -> dict[str, Any]:
    return proton(world).update_service_pipeline(
        serviceName="shop",
        deploymentType=deployment_type,
        spec=spec if spec is not None else spec_of(DEV),
        **members,
    )["pipeline"]


def pipeline_state(version: str, spec: str) -> dict[str, Any]:
    major, minor = version.split(".")
    return {
        "servicePipeline": {
            "spec": spec,
            "templateMajorVersion": major,
            "templateMinorVersion": minor,
            "templateName": "web",
        }
    }


def without_pipeline(world: World) -> None:
    setup(world, pipelineProvisioning="CUSTOMER_MANAGED")
    create_service(world, "shop", DEV, pipeline=False)


# -- UpdateServicePipeline ------------------------------------------------------------------------------------


def test_current_version_deploys_the_new_spec_answering_in_progress_on_the_old_one(world: World) -> None:
    setup(world)
    create_service(world)
    before = pipeline_of(world)
    world.set_settle_policy("manual")
    spec = spec_of(DEV, pipeline=NEW_PIPELINE)
    updating = update_pipeline(world, "CURRENT_VERSION", spec)
    assert updating == {
        **before,
        "deploymentStatus": "IN_PROGRESS",
        "lastAttemptedDeploymentId": updating["lastAttemptedDeploymentId"],
        "lastDeploymentAttemptedAt": updating["lastDeploymentAttemptedAt"],
    }
    deployment = get_deployment(world, updating["lastAttemptedDeploymentId"])
    assert deployment["initialState"] == pipeline_state("1.0", before["spec"])
    assert deployment["targetState"] == pipeline_state("1.0", spec)
    settle_all(world)
    got = pipeline_of(world)
    assert (got["deploymentStatus"], got["spec"]) == ("SUCCEEDED", spec)
    assert got["lastSucceededDeploymentId"] == updating["lastAttemptedDeploymentId"]
    # The service's own spec and the instances stay.
    assert get_service(world)["spec"] == spec_of(DEV)
    assert get_instance(world)["spec"] == spec_of(DEV)
    proton(world).get_waiter("service_pipeline_deployed").wait(name="shop", WaiterConfig=FIRST_POLL)


def test_minor_and_major_version_move_the_pipeline_alone_without_a_compatibility_check(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1
    template_version(world, compatible=(("vpc", "1"),))  # 2.0
    update_pipeline(world, "MINOR_VERSION")
    assert version_of(pipeline_of(world)) == "1.1"
    # 3.0 fits no environment template the instances are in: the pipeline is not checked.
    proton(world).create_environment_template(name="net")
    proton(world).create_environment_template_version(templateName="net", source=SOURCE)
    template_version(world, compatible=(("net", "1"),))  # 3.0
    update_pipeline(world, "MAJOR_VERSION", templateMajorVersion="3")
    assert version_of(pipeline_of(world)) == "3.0"
    assert version_of(get_instance(world)) == "1.0"
    code, _, status = refused(update_pipeline, world=world, deployment_type="MAJOR_VERSION")
    assert (code, status) == ("ValidationException", 400)  # no higher major
    code, _, status = refused(update_pipeline, world=world, deployment_type="CURRENT_VERSION", templateMajorVersion="3")
    assert (code, status) == ("ValidationException", 400)


def test_none_deploys_and_stores_nothing_but_checks_the_spec(world: World) -> None:
    setup(world)
    create_service(world)
    before = pipeline_of(world)
    deployed = len(service_deployments(world))
    assert update_pipeline(world, "NONE", spec_of(DEV, pipeline=NEW_PIPELINE)) == before
    assert pipeline_of(world) == before
    assert len(service_deployments(world)) == deployed
    assert refused(update_pipeline, world=world, deployment_type="NONE", spec="proton: EnvironmentSpec\n") == (
        "ValidationException",
        "Invalid spec: 1 validation error detected: proton: must be ServiceSpec",
        400,
    )


def test_the_spec_is_required_and_checked(world: World) -> None:
    setup(world)
    create_service(world)
    # Required by the model: the raw call shows the server checks it too.
    response = world.call(
        "UpdateServicePipeline", {"serviceName": "shop", "deploymentType": "CURRENT_VERSION"}, account="222222222222"
    )
    assert response.status == 400
    assert response.json()["__type"].endswith("#ValidationException")
    code, message, _ = refused(update_pipeline, world=world, deployment_type="CURRENT_VERSION", spec="pipeline: [")
    assert code == "ValidationException"
    assert message.startswith("Invalid spec: not valid YAML at line ")


def test_a_service_without_a_pipeline_has_none_to_update_cancel_or_list(world: World) -> None:
    without_pipeline(world)
    client = proton(world)
    assert refused(update_pipeline, world=world, deployment_type="CURRENT_VERSION") == no_pipeline()
    assert refused(client.cancel_service_pipeline_deployment, serviceName="shop") == no_pipeline()
    assert refused(client.list_service_pipeline_outputs, serviceName="shop") == no_pipeline()
    assert refused(client.list_service_pipeline_provisioned_resources, serviceName="shop") == no_pipeline()
    with pytest.raises(WaiterError):
        client.get_waiter("service_pipeline_deployed").wait(name="shop", WaiterConfig=FIRST_POLL)


def test_a_missing_service_is_not_found(world: World) -> None:
    assert refused(update_pipeline, world=world, deployment_type="CURRENT_VERSION") == missing_service()
    assert refused(proton(world).list_service_pipeline_outputs, serviceName="shop") == missing_service()


def test_the_pipeline_cannot_update_while_its_deployment_is_under_way(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    update_pipeline(world, "CURRENT_VERSION")
    code, _, status = refused(update_pipeline, world=world, deployment_type="CURRENT_VERSION")
    assert (code, status) == ("ConflictException", 400)


def test_a_failed_pipeline_update_keeps_the_old_spec_and_the_waiter_stops(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("fail", message="The build broke.")
    update_pipeline(world, "CURRENT_VERSION", spec_of(DEV, pipeline=NEW_PIPELINE))
    got = pipeline_of(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"], got["spec"]) == (
        "FAILED",
        "The build broke.",
        spec_of(DEV),
    )
    assert get_service(world)["status"] == "ACTIVE"  # not an operation of the service
    with pytest.raises(WaiterError) as excinfo:
        proton(world).get_waiter("service_pipeline_deployed").wait(name="shop", WaiterConfig=FIRST_POLL)
    assert "terminal failure state" in str(excinfo.value)


# -- CancelServicePipelineDeployment ------------------------------------------------------------------------


def test_cancel_answers_cancelling_then_cancelled_and_keeps_the_version_and_spec(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1
    world.set_settle_policy("manual")
    updating = update_pipeline(world, "MINOR_VERSION", spec_of(DEV, pipeline=NEW_PIPELINE))
    cancelling = proton(world).cancel_service_pipeline_deployment(serviceName="shop")["pipeline"]
    assert cancelling == {**updating, "deploymentStatus": "CANCELLING"}
    got = pipeline_of(world)
    assert got == {**updating, "deploymentStatus": "CANCELLED", "deploymentStatusMessage": CANCELLED}
    assert (version_of(got), got["spec"]) == ("1.0", spec_of(DEV))
    assert get_deployment(world, updating["lastAttemptedDeploymentId"])["deploymentStatus"] == "CANCELLED"
    assert world.deployments_under_way() == []
    code, _, status = refused(proton(world).cancel_service_pipeline_deployment, serviceName="shop")
    assert (code, status) == ("ConflictException", 400)


def test_the_creating_deployment_cannot_be_cancelled(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    code, _, status = refused(proton(world).cancel_service_pipeline_deployment, serviceName="shop")
    assert (code, status) == ("ConflictException", 400)
    assert pipeline_of(world)["deploymentStatus"] == "IN_PROGRESS"


# -- outputs and provisioned resources ------------------------------------------------------------------------


def test_outputs_and_resources_of_the_pipeline(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    client = proton(world)
    first = pipeline_of(world)["lastAttemptedDeploymentId"]
    assert client.list_service_pipeline_outputs(serviceName="shop")["outputs"] == []
    world.settle(first, outputs=OUTPUTS, provisioned_resources=RESOURCES)
    assert client.list_service_pipeline_outputs(serviceName="shop")["outputs"] == OUTPUTS
    assert client.list_service_pipeline_provisioned_resources(serviceName="shop")["provisionedResources"] == RESOURCES
    assert client.list_service_pipeline_outputs(serviceName="shop", deploymentId=first)["outputs"] == OUTPUTS
    instance_deployment = get_instance(world)["lastAttemptedDeploymentId"]
    code, _, status = refused(
        client.list_service_pipeline_outputs, serviceName="shop", deploymentId=instance_deployment
    )
    assert (code, status) == ("ResourceNotFoundException", 400)


# -- S-24: a self-managed pipeline ----------------------------------------------------------------------------


def test_a_pipeline_is_self_managed_when_the_settings_hold_only_the_repository(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    setup(world, roles=False)
    proton(world).update_account_settings(pipelineProvisioningRepository=PIPELINE_REPOSITORY)
    create_service(world)
    pipeline = pipeline_of(world)
    # The settle policy is `succeed`: the instance ends, the pipeline waits for its notification.
    assert get_instance(world)["deploymentStatus"] == "SUCCEEDED"
    assert pipeline["deploymentStatus"] == "IN_PROGRESS"
    assert get_service(world)["status"] == "CREATE_IN_PROGRESS"
    assert under_way_ids(world) == {pipeline["lastAttemptedDeploymentId"]}
    proton(world).notify_resource_deployment_status_change(
        resourceArn=pipeline["arn"], status="SUCCEEDED", outputs=OUTPUTS
    )
    assert pipeline_of(world)["deploymentStatus"] == "SUCCEEDED"
    assert get_service(world)["status"] == "ACTIVE"
    assert proton(world).list_service_pipeline_outputs(serviceName="shop")["outputs"] == OUTPUTS


def test_a_pipeline_with_a_role_as_well_as_the_repository_is_not_self_managed(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    setup(world)
    proton(world).update_account_settings(pipelineProvisioningRepository=PIPELINE_REPOSITORY)
    create_service(world)
    assert pipeline_of(world)["deploymentStatus"] == "SUCCEEDED"


def test_self_management_is_fixed_when_the_deployment_starts(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    setup(world, roles=False)
    client = proton(world)
    client.update_account_settings(pipelineProvisioningRepository=PIPELINE_REPOSITORY)
    create_service(world)
    first = pipeline_of(world)["lastAttemptedDeploymentId"]
    client.notify_resource_deployment_status_change(
        resourceArn=pipeline_of(world)["arn"], deploymentId=first, status="SUCCEEDED"
    )
    client.update_account_settings(pipelineServiceRoleArn="arn:aws:iam::222222222222:role/proton-pipeline")
    update_pipeline(world, "CURRENT_VERSION")
    assert pipeline_of(world)["deploymentStatus"] == "SUCCEEDED"  # a role now: settled by the policy
