"""Deployments of service instances and pipelines (services.md, "Deployments: one mechanism for every target";
S-25, S-26, D-10, D-14), and DeleteEnvironment while instances exist, in every mode."""

from __future__ import annotations

import uuid
from typing import Any

from support import ENV_ACCOUNT, World

from .service_helpers import (
    DEPLOYMENT_ARN,
    DEV,
    PROD,
    create_service,
    deployments,
    get_deployment,
    get_instance,
    get_service,
    instance_arn,
    missing_instance,
    missing_service,
    pipeline_of,
    proton,
    refused,
    settle_all,
    setup,
    spec_of,
)

NEW_SPEC = spec_of(("shop-dev", "dev", {"port": 8080}))


def newest_first(items: list[dict[str, Any]]) -> list[str]:
    """D-9: by createdAt, newest first, then by id."""
    return [d["id"] for d in sorted(items, key=lambda d: (d["createdAt"], d["id"]), reverse=True)]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [d["id"] for d in items]


def not_found_deployment(deployment_id: str) -> tuple[str, str, int]:
    return ("ResourceNotFoundException", f"The requested deployment does not exist: {deployment_id}", 400)


# -- the records ------------------------------------------------------------------------------------------------


def test_an_instance_deployment_record(world: World) -> None:
    setup(world)
    create_service(world)
    instance = get_instance(world)
    environment_deployment = proton(world).get_environment(name="dev")["environment"]["lastSucceededDeploymentId"]
    creation_id = instance["lastAttemptedDeploymentId"]
    creation = get_deployment(world, creation_id)
    assert creation == {
        "arn": f"{DEPLOYMENT_ARN}/{creation_id}",
        "completedAt": creation["createdAt"],
        "createdAt": creation["createdAt"],
        "deploymentStatus": "SUCCEEDED",
        "environmentName": "dev",
        "id": creation_id,
        "lastModifiedAt": creation["lastModifiedAt"],
        "serviceInstanceName": "shop-dev",
        "serviceName": "shop",
        "targetArn": instance_arn("shop-dev"),
        "targetResourceCreatedAt": instance["createdAt"],
        "targetResourceType": "SERVICE_INSTANCE",
        "targetState": {
            "serviceInstance": {
                "lastSuccessfulEnvironmentDeploymentId": environment_deployment,
                "spec": spec_of(DEV),
                "templateMajorVersion": "1",
                "templateMinorVersion": "0",
                "templateName": "web",
            }
        },
    }
    pipeline_deployment = pipeline_of(world)["lastSucceededDeploymentId"]
    update_id = proton(world).update_service_instance(
        name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION", spec=NEW_SPEC
    )["serviceInstance"]["lastAttemptedDeploymentId"]
    update = get_deployment(world, update_id)
    assert (update["lastAttemptedDeploymentId"], update["lastSucceededDeploymentId"]) == (creation_id, creation_id)
    assert update["targetState"] == {
        "serviceInstance": {
            "lastSuccessfulEnvironmentDeploymentId": environment_deployment,
            "lastSuccessfulServicePipelineDeploymentId": pipeline_deployment,
            "spec": NEW_SPEC,
            "templateMajorVersion": "1",
            "templateMinorVersion": "0",
            "templateName": "web",
        }
    }
    initial = update["initialState"]["serviceInstance"]
    assert (initial["spec"], initial["templateMinorVersion"], initial["templateName"]) == (spec_of(DEV), "0", "web")
    summary = next(d for d in proton(world).list_deployments()["deployments"] if d["id"] == update_id)
    assert summary == {k: v for k, v in update.items() if k not in ("initialState", "targetState")}


def test_a_pipeline_deployment_record(world: World) -> None:
    setup(world)
    create_service(world)
    pipeline = pipeline_of(world)
    deployment_id = pipeline["lastAttemptedDeploymentId"]
    record = get_deployment(world, deployment_id)
    assert record == {
        "arn": f"{DEPLOYMENT_ARN}/{deployment_id}",
        "completedAt": record["createdAt"],
        "createdAt": record["createdAt"],
        "deploymentStatus": "SUCCEEDED",
        "environmentName": "dev",
        "id": deployment_id,
        "lastModifiedAt": record["lastModifiedAt"],
        "serviceName": "shop",
        "targetArn": pipeline["arn"],
        "targetResourceCreatedAt": pipeline["createdAt"],
        "targetResourceType": "SERVICE_PIPELINE",
        "targetState": {
            "servicePipeline": {
                "spec": spec_of(DEV),
                "templateMajorVersion": "1",
                "templateMinorVersion": "0",
                "templateName": "web",
            }
        },
    }


def test_a_pipeline_deployment_is_in_the_environment_of_the_first_instance_by_name(world: World) -> None:
    setup(world, prod=True)
    create_service(world, "shop", ("b-web", "dev"), ("a-web", "prod"))
    assert get_deployment(world, pipeline_of(world)["lastAttemptedDeploymentId"])["environmentName"] == "prod"
    create_service(world, "lone", spec=spec_of())
    record = get_deployment(world, pipeline_of(world, "lone")["lastAttemptedDeploymentId"])
    assert "environmentName" not in record
    # At its start: once a-web is removed, the redeploy is in dev.
    proton(world).update_service(name="shop", spec=spec_of(("b-web", "dev")))
    assert get_deployment(world, pipeline_of(world)["lastAttemptedDeploymentId"])["environmentName"] == "dev"


def test_a_deployment_through_a_connection_that_is_gone_fails_at_once_naming_it(world: World) -> None:
    setup(world, prod=True)
    create_service(world, "shop", DEV, PROD)
    connection_id = proton(world).get_environment(name="prod")["environment"]["environmentAccountConnectionId"]
    proton(world, ENV_ACCOUNT).delete_environment_account_connection(id=connection_id)
    world.set_settle_policy("manual")
    proton(world).update_service_instance(name="shop-prod", serviceName="shop", deploymentType="CURRENT_VERSION")
    got = get_instance(world, "shop-prod")
    assert got["deploymentStatus"] == "FAILED"
    assert connection_id in got["deploymentStatusMessage"]


# -- ListDeployments (S-26) -------------------------------------------------------------------------------------


def many_deployments(world: World) -> None:
    """shop: shop-dev, shop-prod and a pipeline, shop-old added then removed, shop-dev updated; blog: blog-dev."""
    setup(world, prod=True)
    create_service(world, "shop", DEV, PROD)
    client = proton(world)
    client.update_service(name="shop", spec=spec_of(DEV, PROD, ("shop-old", "dev")))
    client.update_service(name="shop", spec=spec_of(DEV, PROD))
    client.update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")
    create_service(world, "blog", ("blog-dev", "dev"))


def test_the_service_name_filter_covers_instances_present_or_removed_and_the_pipeline(world: World) -> None:
    many_deployments(world)
    everything = deployments(world)
    assert ids(everything) == newest_first(everything)
    shop = deployments(world, serviceName="shop")
    assert ids(shop) == [d["id"] for d in everything if d.get("serviceName") == "shop"]
    assert {(d["targetResourceType"], d.get("serviceInstanceName")) for d in shop} == {
        ("SERVICE_INSTANCE", "shop-dev"),
        ("SERVICE_INSTANCE", "shop-prod"),
        ("SERVICE_INSTANCE", "shop-old"),
        ("SERVICE_PIPELINE", None),
    }
    assert len([d for d in shop if d.get("serviceInstanceName") == "shop-old"]) == 2  # created, then deleted
    assert len([d for d in shop if d["targetResourceType"] == "SERVICE_PIPELINE"]) == 3


def test_the_instance_filter_lists_its_deployments_newest_first(world: World) -> None:
    many_deployments(world)
    listed = deployments(world, serviceName="shop", serviceInstanceName="shop-dev")
    assert ids(listed) == newest_first(listed)
    assert len(listed) == 2
    assert {d["serviceInstanceName"] for d in listed} == {"shop-dev"}
    assert listed[0]["id"] == get_instance(world)["lastAttemptedDeploymentId"]
    pages = (
        proton(world).get_paginator("list_deployments").paginate(serviceName="shop", PaginationConfig={"PageSize": 2})
    )
    assert [d["id"] for page in pages for d in page["deployments"]] == ids(deployments(world, serviceName="shop"))


def test_the_environment_filter_matches_the_deployment_member(world: World) -> None:
    many_deployments(world)
    everything = deployments(world)
    for name in ("dev", "prod"):
        assert ids(deployments(world, environmentName=name)) == [
            d["id"] for d in everything if d["environmentName"] == name
        ]
    assert ids(deployments(world, environmentName="prod", serviceName="shop")) == [
        d["id"] for d in everything if d["environmentName"] == "prod" and d.get("serviceName") == "shop"
    ]


def test_list_filter_refusals(world: World) -> None:
    many_deployments(world)
    client = proton(world)
    code, _, status = refused(client.list_deployments, serviceInstanceName="shop-dev")
    assert (code, status) == ("ValidationException", 400)
    assert refused(client.list_deployments, serviceName="nope") == missing_service("nope")
    assert refused(client.list_deployments, serviceName="shop", serviceInstanceName="nope") == missing_instance("nope")
    # A removed instance no longer exists.
    assert refused(client.list_deployments, serviceName="shop", serviceInstanceName="shop-old") == (
        missing_instance("shop-old")
    )
    assert refused(client.list_deployments, environmentName="nowhere")[0] == "ResourceNotFoundException"
    assert refused(client.list_deployments, componentName="widget")[0] == "ResourceNotFoundException"


# -- GetDeployment (S-26) -------------------------------------------------------------------------------------


def test_get_deployment_checks_each_name_given(world: World) -> None:
    setup(world)
    create_service(world, "shop", DEV, ("shop-two", "dev"))
    create_service(world, "blog", ("blog-dev", "dev"))
    deployment_id = get_instance(world)["lastAttemptedDeploymentId"]
    client = proton(world)
    record = get_deployment(world, deployment_id)
    assert client.get_deployment(id=deployment_id, serviceName="shop")["deployment"] == record
    assert client.get_deployment(id=deployment_id, serviceName="shop", serviceInstanceName="shop-dev")[
        "deployment"
    ] == record  # fmt: skip
    assert client.get_deployment(id=deployment_id, environmentName="dev", serviceName="shop")["deployment"] == record
    for names in (
        {"serviceName": "blog"},
        {"serviceName": "shop", "serviceInstanceName": "shop-two"},
        {"environmentName": "prod"},
    ):
        assert refused(client.get_deployment, id=deployment_id, **names)[0] == "ResourceNotFoundException"
    code, _, status = refused(client.get_deployment, id=deployment_id, serviceInstanceName="shop-dev")
    assert (code, status) == ("ValidationException", 400)
    pipeline_id = pipeline_of(world)["lastAttemptedDeploymentId"]
    assert client.get_deployment(id=pipeline_id, serviceName="shop")["deployment"]["id"] == pipeline_id
    code, _, _ = refused(client.get_deployment, id=pipeline_id, serviceName="shop", serviceInstanceName="shop-dev")
    assert code == "ResourceNotFoundException"
    unknown = str(uuid.uuid4())
    assert refused(client.get_deployment, id=unknown) == not_found_deployment(unknown)


# -- DeleteDeployment (D-10) --------------------------------------------------------------------------------


def test_delete_deployment_keeps_the_latest_of_an_instance_and_a_pipeline(world: World) -> None:
    setup(world)
    create_service(world)
    client = proton(world)
    creation = get_instance(world)["lastAttemptedDeploymentId"]
    pipeline_creation = pipeline_of(world)["lastAttemptedDeploymentId"]
    for deployment_id in (creation, pipeline_creation):
        code, _, status = refused(client.delete_deployment, id=deployment_id)
        assert (code, status) == ("ValidationException", 400)
    client.update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")
    world.set_settle_policy("manual")
    running = client.update_service_pipeline(serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV))[
        "pipeline"
    ]["lastAttemptedDeploymentId"]
    code, _, status = refused(client.delete_deployment, id=running)
    assert (code, status) == ("ValidationException", 400)
    ended = get_deployment(world, creation)
    assert client.delete_deployment(id=creation)["deployment"] == ended
    assert refused(client.get_deployment, id=creation) == not_found_deployment(creation)
    settle_all(world)
    assert client.delete_deployment(id=pipeline_creation)["deployment"]["id"] == pipeline_creation


def test_deployments_outlive_their_service(world: World) -> None:
    setup(world)
    create_service(world)
    instance_creation = get_instance(world)["lastAttemptedDeploymentId"]
    proton(world).delete_service(name="shop")
    listed = deployments(world)
    shop = [d for d in listed if d.get("serviceName") == "shop"]
    assert {(d["targetResourceType"], d["deploymentStatus"]) for d in shop} == {
        ("SERVICE_INSTANCE", "SUCCEEDED"),
        ("SERVICE_INSTANCE", "DELETE_COMPLETE"),
        ("SERVICE_PIPELINE", "SUCCEEDED"),
        ("SERVICE_PIPELINE", "DELETE_COMPLETE"),
    }
    assert proton(world).delete_deployment(id=instance_creation)["deployment"]["id"] == instance_creation


# -- DeleteEnvironment while instances exist ------------------------------------------------------------------


def test_an_environment_with_instances_cannot_be_deleted_until_they_are_gone(world: World) -> None:
    setup(world, prod=True)
    create_service(world, "shop", DEV, PROD)
    create_service(world, "blog", ("blog-dev", "dev"))
    client = proton(world)
    code, message, status = refused(client.delete_environment, name="dev")
    assert (code, status) == ("ConflictException", 400)
    assert "shop-dev" in message and "blog-dev" in message and "shop-prod" not in message
    client.delete_service(name="blog")
    # An instance in any status counts: a DELETE_FAILED one too.
    world.set_settle_policy("fail")
    client.delete_service(name="shop")
    assert get_service(world)["status"] == "DELETE_FAILED"
    code, message, _ = refused(client.delete_environment, name="dev")
    assert code == "ConflictException" and "shop-dev" in message
    world.set_settle_policy("succeed")
    client.delete_service(name="shop")
    client.delete_environment(name="dev")
    client.delete_environment(name="prod")
    assert client.list_environments()["environments"] == []


def test_once_the_service_is_gone_its_name_is_no_filter(world: World) -> None:
    setup(world)
    create_service(world)
    proton(world).delete_service(name="shop")
    assert refused(proton(world).list_deployments, serviceName="shop") == missing_service()
    assert {d.get("serviceName") for d in deployments(world) if d["targetResourceType"] != "ENVIRONMENT"} == {"shop"}
