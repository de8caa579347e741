"""NotifyResourceDeploymentStatusChange on environments, instances and pipelines (S-3, S-27), self-managed
instances, and self-managed deletes that end at once (S-29), in every mode."""

from __future__ import annotations

import uuid

from support import ENV_ACCOUNT, OTHER_ACCOUNT, World, link_repository

from .service_helpers import (
    DEV,
    PIPELINE_REPOSITORY,
    PROD,
    create_service,
    deployments,
    environment,
    get_deployment,
    get_instance,
    get_service,
    instance_arn,
    instance_names,
    missing_service,
    pipeline_of,
    proton,
    refused,
    service_arn,
    setup,
    spec_of,
    template_arn,
    under_way_ids,
)

OUTPUTS_1 = [{"key": "url", "valueString": "https://one"}]
OUTPUTS_2 = [{"key": "url", "valueString": "https://two"}, {"key": "port", "valueString": "80"}]
REPOSITORY = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}


def notify(world: World, arn: str, account: str = "222222222222", **members: object) -> dict:
    return proton(world, account).notify_resource_deployment_status_change(resourceArn=arn, **members)


# -- S-27: instances and pipelines ------------------------------------------------------------------------------


def test_notify_ends_an_instance_deployment_under_way_overriding_the_policy(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    deployment_id = get_instance(world)["lastAttemptedDeploymentId"]
    notify(world, instance_arn("shop-dev"), deploymentId=deployment_id, status="IN_PROGRESS", outputs=OUTPUTS_1)
    assert get_instance(world)["deploymentStatus"] == "IN_PROGRESS"
    names = {"serviceName": "shop", "serviceInstanceName": "shop-dev"}
    assert proton(world).list_service_instance_outputs(**names, deploymentId=deployment_id)["outputs"] == OUTPUTS_1
    notify(world, instance_arn("shop-dev"), status="SUCCEEDED", outputs=[OUTPUTS_2[1]])
    got = get_instance(world)
    assert (got["deploymentStatus"], got["lastSucceededDeploymentId"]) == ("SUCCEEDED", deployment_id)
    assert proton(world).list_service_instance_outputs(**names)["outputs"] == [*OUTPUTS_1, OUTPUTS_2[1]]
    assert under_way_ids(world) == {pipeline_of(world)["lastAttemptedDeploymentId"]}


def test_notify_without_a_status_records_outputs_only(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    pipeline = pipeline_of(world)
    notify(world, pipeline["arn"], outputs=OUTPUTS_2)
    assert pipeline_of(world)["deploymentStatus"] == "IN_PROGRESS"
    outputs = proton(world).list_service_pipeline_outputs(
        serviceName="shop", deploymentId=pipeline["lastAttemptedDeploymentId"]
    )["outputs"]
    assert outputs == OUTPUTS_2


def test_notify_failed_on_the_pipeline_ends_it_with_its_message(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    pipeline = pipeline_of(world)
    notify(world, pipeline["arn"], status="FAILED", statusMessage="The build broke.")
    got = pipeline_of(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", "The build broke.")
    record = get_deployment(world, pipeline["lastAttemptedDeploymentId"])
    assert (record["deploymentStatus"], record["deploymentStatusMessage"]) == ("FAILED", "The build broke.")


def test_notify_on_a_deletion_ends_it_delete_complete_or_delete_failed(world: World) -> None:
    setup(world)
    create_service(world, "shop", DEV, ("shop-two", "dev"))
    world.set_settle_policy("manual")
    proton(world).update_service(name="shop", spec=spec_of(DEV))
    removal = get_instance(world, "shop-two")["lastAttemptedDeploymentId"]
    notify(world, instance_arn("shop-two"), deploymentId=removal, status="FAILED")
    assert get_instance(world, "shop-two")["deploymentStatus"] == "DELETE_FAILED"
    proton(world).update_service(name="shop", spec=spec_of(DEV))  # retries the removal
    notify(world, instance_arn("shop-two"), status="SUCCEEDED")
    assert instance_names(world, "shop") == ["shop-dev"]
    assert get_deployment(world, removal)["deploymentStatus"] == "DELETE_FAILED"


def test_notify_refusals(world: World) -> None:
    setup(world)
    create_service(world)
    arn = instance_arn("shop-dev")
    deployment_id = get_instance(world)["lastAttemptedDeploymentId"]
    code, _, status = refused(
        proton(world).notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED"
    )
    assert (code, status) == ("ConflictException", 400)  # not under way
    world.set_settle_policy("manual")
    proton(world).update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")
    unknown = str(uuid.uuid4())
    client = proton(world)
    for other in (unknown, pipeline_of(world)["lastAttemptedDeploymentId"]):
        code, _, _ = refused(
            client.notify_resource_deployment_status_change, resourceArn=arn, deploymentId=other, status="SUCCEEDED"
        )
        assert code == "ResourceNotFoundException"
    code, _, _ = refused(
        client.notify_resource_deployment_status_change, resourceArn=arn, deploymentId=deployment_id, status="FAILED"
    )
    assert code == "ConflictException"  # an ended deployment of this target
    for other_arn in (service_arn(), template_arn(), instance_arn("gone")):
        code, _, _ = refused(client.notify_resource_deployment_status_change, resourceArn=other_arn, status="SUCCEEDED")
        assert code == "ResourceNotFoundException"
    assert get_instance(world)["deploymentStatus"] == "IN_PROGRESS"


# -- S-3: who may notify ----------------------------------------------------------------------------------------


def test_the_environment_account_may_notify_for_an_instance_in_its_environment_only(world: World) -> None:
    setup(world, prod=True)
    world.set_settle_policy("manual")
    create_service(world, "shop", DEV, PROD)
    env_account = proton(world, ENV_ACCOUNT)
    for arn in (instance_arn("shop-dev"), pipeline_of(world)["arn"]):
        code, _, _ = refused(env_account.notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED")
        assert code == "ResourceNotFoundException"
    for arn in (instance_arn("shop-prod"), instance_arn("shop-dev"), pipeline_of(world)["arn"]):
        code, _, _ = refused(
            proton(world, OTHER_ACCOUNT).notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED"
        )
        assert code == "ResourceNotFoundException"
    notify(world, instance_arn("shop-prod"), account=ENV_ACCOUNT, status="SUCCEEDED", outputs=OUTPUTS_1)
    assert get_instance(world, "shop-prod")["deploymentStatus"] == "SUCCEEDED"
    assert get_instance(world, "shop-dev")["deploymentStatus"] == "IN_PROGRESS"
    # The environment account still cannot read the instance.
    code, _, _ = refused(env_account.get_service_instance, name="shop-prod", serviceName="shop")
    assert code == "ResourceNotFoundException"


def test_environments_take_notify_whatever_their_provisioning_and_from_their_environment_account(
    world: World,
) -> None:
    setup(world, prod=True)
    world.set_settle_policy("manual")
    client = proton(world)
    dev = client.update_environment(name="dev", deploymentType="CURRENT_VERSION")["environment"]
    notify(world, dev["arn"], status="SUCCEEDED")
    assert client.get_environment(name="dev")["environment"]["deploymentStatus"] == "SUCCEEDED"
    prod = client.update_environment(name="prod", deploymentType="CURRENT_VERSION")["environment"]
    notify(world, prod["arn"], account=ENV_ACCOUNT, status="FAILED", statusMessage="denied")
    got = client.get_environment(name="prod")["environment"]
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", "denied")


# -- self-managed instances and S-29 ------------------------------------------------------------------------------


def self_managed_environment(world: World) -> dict:
    """Environment `own`, provisioned from a repository, its first deployment notified SUCCEEDED."""
    created = environment(world, "own", provisioningRepository=REPOSITORY)
    notify(world, created["arn"], status="SUCCEEDED")
    return created


def test_an_instance_in_a_self_managed_environment_waits_for_notify(world: World) -> None:
    setup(world)
    self_managed_environment(world)
    create_service(world, "shop", ("shop-own", "own"))
    instance = get_instance(world, "shop-own")
    assert instance["deploymentStatus"] == "IN_PROGRESS"  # the policy is `succeed`
    assert get_service(world)["status"] == "CREATE_IN_PROGRESS"
    notify(world, instance_arn("shop-own"), status="SUCCEEDED")
    assert get_instance(world, "shop-own")["deploymentStatus"] == "SUCCEEDED"
    assert get_service(world)["status"] == "ACTIVE"


def test_self_managed_deletes_end_at_once_whatever_the_policy(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    setup(world, roles=False)
    proton(world).update_account_settings(pipelineProvisioningRepository=PIPELINE_REPOSITORY)
    self_managed_environment(world)
    create_service(world, "shop", ("shop-own", "own"))
    notify(world, instance_arn("shop-own"), status="SUCCEEDED")
    notify(world, pipeline_of(world)["arn"], status="SUCCEEDED")
    assert get_service(world)["status"] == "ACTIVE"
    world.set_settle_policy("manual")
    proton(world).delete_service(name="shop")
    assert refused(proton(world).get_service, name="shop") == missing_service()
    shop = [d for d in deployments(world) if d.get("serviceName") == "shop"]
    assert sorted((d["targetResourceType"], d["deploymentStatus"]) for d in shop) == [
        ("SERVICE_INSTANCE", "DELETE_COMPLETE"),
        ("SERVICE_INSTANCE", "SUCCEEDED"),
        ("SERVICE_PIPELINE", "DELETE_COMPLETE"),
        ("SERVICE_PIPELINE", "SUCCEEDED"),
    ]
    assert world.deployments_under_way() == []
    # The environment too.
    proton(world).delete_environment(name="own")
    code, _, _ = refused(proton(world).get_environment, name="own")
    assert code == "ResourceNotFoundException"
