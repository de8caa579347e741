"""services.md's "Walkthrough a user runs", step by step through boto3 with the default settle policy, every
waiter done on its first poll, in every mode."""

from __future__ import annotations

from support import ENV_ACCOUNT, MGMT_ACCOUNT, World, create_connection

from .service_helpers import (
    ENV_SPEC,
    FIRST_POLL,
    PIPELINE_ROLE,
    REPOSITORY_MEMBERS,
    SERVICE_ROLE,
    SOURCE,
    proton,
    refused,
    spec_of,
)

SHOP_SPEC = spec_of(("shop-dev", "dev"), ("shop-prod", "prod"))
NEW_PIPELINE_SPEC = spec_of(("shop-dev", "dev"), ("shop-prod", "prod"), pipeline={"dockerfile": "Dockerfile.v2"})


def test_the_walkthrough(world: World) -> None:
    management = proton(world, MGMT_ACCOUNT)
    wait = {"WaiterConfig": FIRST_POLL}

    # 1. The connection, the environment template, two environments, the pipeline role.
    connection = create_connection(world, account=ENV_ACCOUNT, management=MGMT_ACCOUNT, name="prod")
    management.accept_environment_account_connection(id=connection["id"])
    management.create_environment_template(name="vpc")
    management.create_environment_template_version(templateName="vpc", source=SOURCE)
    management.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    environment = {"templateName": "vpc", "templateMajorVersion": "1", "spec": ENV_SPEC}
    management.create_environment(name="dev", protonServiceRoleArn=SERVICE_ROLE, **environment)
    management.create_environment(name="prod", environmentAccountConnectionId=connection["id"], **environment)
    for name in ("dev", "prod"):
        management.get_waiter("environment_deployed").wait(name=name, **wait)
    management.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)

    # 2. The service template, its version 1.0 registered and published.
    management.create_service_template(name="web")
    compatible = [{"templateName": "vpc", "majorVersion": "1"}]
    management.create_service_template_version(
        templateName="web", source=SOURCE, compatibleEnvironmentTemplates=compatible
    )
    version = {"templateName": "web", "majorVersion": "1"}
    management.get_waiter("service_template_version_registered").wait(minorVersion="0", **version, **wait)
    management.update_service_template_version(minorVersion="0", status="PUBLISHED", **version)

    # 3. The service, its instances and pipeline.
    created = management.create_service(
        name="shop", templateName="web", templateMajorVersion="1", spec=SHOP_SPEC, **REPOSITORY_MEMBERS
    )["service"]
    assert created["status"] == "CREATE_IN_PROGRESS"
    management.get_waiter("service_created").wait(name="shop", **wait)
    service = management.get_service(name="shop")["service"]
    assert (service["status"], service["pipeline"]["deploymentStatus"]) == ("ACTIVE", "SUCCEEDED")
    prod = management.get_service_instance(name="shop-prod", serviceName="shop")["serviceInstance"]
    assert prod["arn"] == f"arn:aws:proton:us-east-1:{MGMT_ACCOUNT}:service/shop/service-instance/shop-prod"
    assert prod["environmentName"] == "prod"

    # 4. Version 1.1; shop-prod moves to it.
    management.create_service_template_version(
        templateName="web", source=SOURCE, compatibleEnvironmentTemplates=compatible, majorVersion="1"
    )
    management.get_waiter("service_template_version_registered").wait(minorVersion="1", **version, **wait)
    management.update_service_template_version(minorVersion="1", status="PUBLISHED", **version)
    updating = management.update_service_instance(name="shop-prod", serviceName="shop", deploymentType="MINOR_VERSION")[
        "serviceInstance"
    ]
    assert (updating["deploymentStatus"], updating["templateMinorVersion"]) == ("IN_PROGRESS", "0")
    management.get_waiter("service_instance_deployed").wait(name="shop-prod", serviceName="shop", **wait)
    prod = management.get_service_instance(name="shop-prod", serviceName="shop")["serviceInstance"]
    assert (prod["templateMajorVersion"], prod["templateMinorVersion"]) == ("1", "1")

    # 5. The pipeline, redeployed with a new spec.
    management.update_service_pipeline(serviceName="shop", deploymentType="CURRENT_VERSION", spec=NEW_PIPELINE_SPEC)
    management.get_waiter("service_pipeline_deployed").wait(name="shop", **wait)
    assert management.get_service(name="shop")["service"]["pipeline"]["spec"] == NEW_PIPELINE_SPEC

    # 6. shop-prod's deployments: the update, then the create.
    listed = management.list_deployments(serviceName="shop", serviceInstanceName="shop-prod")["deployments"]
    assert len(listed) == 2
    assert listed[0]["id"] == updating["lastAttemptedDeploymentId"]
    assert [d["deploymentStatus"] for d in listed] == ["SUCCEEDED", "SUCCEEDED"]
    creation = management.get_deployment(id=listed[1]["id"])["deployment"]
    assert "initialState" not in creation and creation["targetState"]["serviceInstance"]["templateMinorVersion"] == "0"

    # 7. prod is in use; the service goes, then both environments.
    code, message, _ = refused(management.delete_environment, name="prod")
    assert code == "ConflictException" and "shop-prod" in message
    assert management.delete_service(name="shop")["service"]["status"] == "DELETE_IN_PROGRESS"
    management.get_waiter("service_deleted").wait(name="shop", **wait)
    for name in ("dev", "prod"):
        management.delete_environment(name=name)
    assert management.list_environments()["environments"] == []
    assert management.list_services()["services"] == []
