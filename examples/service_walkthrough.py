"""A walk through services with two accounts, as a boto3 user would write it.

Point it at an OpenProton server with the standard endpoint variable and run it:

    openproton serve &
    AWS_ENDPOINT_URL_PROTON=http://127.0.0.1:4575 python examples/service_walkthrough.py

As in examples/environment_walkthrough.py, a 12-digit access key id is the caller's account in OpenProton's
default mode, so the two clients below act as two accounts: the environment account, where `prod`'s
infrastructure would live, and the management account, which owns the templates, both environments, the
service, its instances, its pipeline and the component attached to `shop-dev`. The management account deploys
`dev` itself and `prod` through a connection the environment account requested. Names carry a random suffix, so
the script can run again and again against one server. It tidies up after itself, the account settings included.

It can also be imported: `main()` returns what it saw, so a test can run it inside `mock_proton()`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
from botocore.exceptions import ClientError

REGION = "us-east-1"
ENVIRONMENT_ACCOUNT = "111111111111"
MANAGEMENT_ACCOUNT = "222222222222"
ENVIRONMENT_BUNDLE = {"s3": {"bucket": "my-proton-templates", "key": "vpc-environment.tar.gz"}}
SERVICE_BUNDLE = {"s3": {"bucket": "my-proton-templates", "key": "web-service.tar.gz"}}
ENVIRONMENT_SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.0.0.0/16\n"
PIPELINE_ROLE = f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/proton-pipeline"
REPOSITORY_CONNECTION = (
    f"arn:aws:codestar-connections:{REGION}:{MANAGEMENT_ACCOUNT}:connection/2f1cbd4e-6a4f-4a7e-9d0b-5b2a3c1d7e90"
)
COMPONENT_ROLE = f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/proton-component"
# A directly defined component brings its own infrastructure: a manifest naming one IaC file, and that file.
COMPONENT_MANIFEST = (
    "infrastructure:\n"
    "  templates:\n"
    "    - file: cloudformation.yaml\n"
    "      rendering_engine: jinja\n"
    "      template_language: cloudformation\n"
)
COMPONENT_TEMPLATE = (
    "Resources:\n"
    "  Cache:\n"
    "    Type: AWS::SQS::Queue\n"
    "    Properties:\n"
    "      QueueName: '{{ service_instance.name }}-{{ component.inputs.queue }}'\n"
)
COMPONENT_SPEC = "queue: jobs\n"


def service_spec(dev: str, prod: str, test_command: str) -> str:
    """The whole service document: both instances and the pipeline's inputs."""
    return (
        "proton: ServiceSpec\n"
        "pipeline:\n"
        f"  unit_test_command: {test_command}\n"
        "instances:\n"
        "  - name: shop-dev\n"
        f"    environment: {dev}\n"
        "    spec:\n"
        "      port: 8080\n"
        "  - name: shop-prod\n"
        f"    environment: {prod}\n"
        "    spec:\n"
        "      port: 80\n"
        "      desired_count: 3\n"
    )


def proton_client(account: str) -> Any:
    # No endpoint_url here: botocore reads AWS_ENDPOINT_URL_PROTON from the environment.
    return boto3.client(
        "proton",
        region_name=REGION,
        aws_access_key_id=account,
        aws_secret_access_key="any-secret",
    )


def wait(client: Any, waiter_name: str, operation: str, **params: Any) -> int:
    """Wait with one of botocore's own waiters; returns how many times it polled."""
    polls = 0

    def count(**_kwargs: Any) -> None:
        nonlocal polls
        polls += 1

    event = f"before-call.proton.{operation}"
    client.meta.events.register(event, count, unique_id="walkthrough-poll-counter")
    try:
        client.get_waiter(waiter_name).wait(**params, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    finally:
        client.meta.events.unregister(event, unique_id="walkthrough-poll-counter")
    return polls


def plural(polls: int) -> str:
    return counted(polls, "poll")


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def expect(what: str, got: Any, wanted: Any) -> None:
    """Stop with a message (and exit status 1) when the service does not answer as Proton would."""
    if got != wanted:
        raise SystemExit(f"unexpected {what}: {got!r}, wanted {wanted!r}")


def delete_environment(client: Any, name: str) -> tuple[str, str | None, int]:
    """Delete an environment and read it until it is gone; no waiter exists for that."""
    deleting = client.delete_environment(name=name)["environment"]
    after, polls = None, 0
    while after is None and polls < 120:
        polls += 1
        try:
            client.get_environment(name=name)
            time.sleep(1)
        except ClientError as error:
            after = error_code(error)
    return deleting["deploymentStatus"], after, polls


def main() -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    environment_template = f"vpc-{suffix}"
    dev, prod = f"dev-{suffix}", f"prod-{suffix}"
    service_template = f"web-{suffix}"
    service = f"shop-{suffix}"
    component = f"jobs-{suffix}"
    environment_account = proton_client(ENVIRONMENT_ACCOUNT)
    management = proton_client(MANAGEMENT_ACCOUNT)
    seen: dict[str, Any] = {"serviceName": service, "dev": dev, "prod": prod}

    # 1. The environments: the environment account requests a connection for `prod`, the management account
    # accepts it, publishes environment template version 1.0 and deploys `dev` itself (with a role for the
    # components developers add to it) and `prod` through the connection. Then it gives its pipelines a role.
    connection = environment_account.create_environment_account_connection(
        environmentName=prod,
        managementAccountId=MANAGEMENT_ACCOUNT,
        roleArn=f"arn:aws:iam::{ENVIRONMENT_ACCOUNT}:role/proton-environment",
    )["environmentAccountConnection"]
    connection_id = connection["id"]
    accepted = management.accept_environment_account_connection(id=connection_id)["environmentAccountConnection"]
    seen["connectionStatus"] = accepted["status"]
    expect("connection status", accepted["status"], "CONNECTED")
    print(f"1. connection {connection_id} for {prod} requested: {connection['status']}, then {accepted['status']}")

    management.create_environment_template(name=environment_template, displayName="VPC")
    version = management.create_environment_template_version(
        templateName=environment_template, source=ENVIRONMENT_BUNDLE
    )["environmentTemplateVersion"]
    environment_major, environment_minor = version["majorVersion"], version["minorVersion"]
    polls = wait(
        management,
        "environment_template_version_registered",
        "GetEnvironmentTemplateVersion",
        templateName=environment_template,
        majorVersion=environment_major,
        minorVersion=environment_minor,
    )
    seen["environmentTemplateRegisteredPolls"] = polls
    published = management.update_environment_template_version(
        templateName=environment_template,
        majorVersion=environment_major,
        minorVersion=environment_minor,
        status="PUBLISHED",
    )["environmentTemplateVersion"]
    expect("environment template version status", published["status"], "PUBLISHED")
    print(
        f"1. environment template {environment_template} version {published['majorVersion']}."
        f"{published['minorVersion']} registered ({plural(polls)}), then {published['status']}"
    )

    management.create_environment(
        name=dev,
        templateName=environment_template,
        templateMajorVersion=environment_major,
        spec=ENVIRONMENT_SPEC,
        protonServiceRoleArn=f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/proton-service",
        componentRoleArn=COMPONENT_ROLE,
    )
    management.create_environment(
        name=prod,
        templateName=environment_template,
        templateMajorVersion=environment_major,
        spec=ENVIRONMENT_SPEC,
        environmentAccountConnectionId=connection_id,
    )
    for name, key in ((dev, "dev"), (prod, "prod")):
        polls = wait(management, "environment_deployed", "GetEnvironment", name=name)
        environment = management.get_environment(name=name)["environment"]
        seen[f"{key}DeployedPolls"] = polls
        seen[f"{key}AccountId"] = environment["environmentAccountId"]
        expect(f"deployment status of {name}", environment["deploymentStatus"], "SUCCEEDED")
        print(
            f"1. environment {name} {environment['deploymentStatus']} ({plural(polls)}) "
            f"in account {environment['environmentAccountId']}"
        )
    expect("account of prod", seen["prodAccountId"], ENVIRONMENT_ACCOUNT)

    previous_settings = management.get_account_settings()["accountSettings"]
    settings = management.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)["accountSettings"]
    seen["pipelineServiceRoleArn"] = settings.get("pipelineServiceRoleArn")
    expect("pipeline service role", seen["pipelineServiceRoleArn"], PIPELINE_ROLE)
    print(f"1. pipeline service role set: {settings['pipelineServiceRoleArn']}")

    # 2. The service template `web`: version 1.0, for environments of the `vpc` template's major 1, whose
    # instances may have a directly defined component attached.
    compatible = [{"templateName": environment_template, "majorVersion": environment_major}]
    management.create_service_template(name=service_template, displayName="Web", description="A web service")
    version = management.create_service_template_version(
        templateName=service_template,
        source=SERVICE_BUNDLE,
        compatibleEnvironmentTemplates=compatible,
        supportedComponentSources=["DIRECTLY_DEFINED"],
    )["serviceTemplateVersion"]
    major, minor = version["majorVersion"], version["minorVersion"]
    polls = wait(
        management,
        "service_template_version_registered",
        "GetServiceTemplateVersion",
        templateName=service_template,
        majorVersion=major,
        minorVersion=minor,
    )
    seen["serviceTemplateRegisteredPolls"] = polls
    published = management.update_service_template_version(
        templateName=service_template, majorVersion=major, minorVersion=minor, status="PUBLISHED"
    )["serviceTemplateVersion"]
    seen["serviceTemplateVersion"] = f"{published['majorVersion']}.{published['minorVersion']}"
    expect("service template version status", published["status"], "PUBLISHED")
    print(
        f"2. service template {service_template} version {seen['serviceTemplateVersion']} registered "
        f"({plural(polls)}), then {published['status']}"
    )

    # 3. The service `shop`: an instance in each environment and a pipeline fed from a repository.
    first_spec = service_spec(dev, prod, "make test")
    created = management.create_service(
        name=service,
        templateName=service_template,
        templateMajorVersion=major,
        spec=first_spec,
        repositoryConnectionArn=REPOSITORY_CONNECTION,
        repositoryId="my-org/shop",
        branchName="main",
    )["service"]
    seen["createStatus"] = created["status"]
    polls = wait(management, "service_created", "GetService", name=service)
    got = management.get_service(name=service)["service"]
    seen["serviceCreatedPolls"] = polls
    seen["serviceStatus"] = got["status"]
    seen["pipelineStatus"] = got["pipeline"]["deploymentStatus"]
    expect("service status", got["status"], "ACTIVE")
    expect("pipeline deployment status", got["pipeline"]["deploymentStatus"], "SUCCEEDED")
    print(f"3. service {service} {got['status']} ({plural(polls)}), pipeline {got['pipeline']['deploymentStatus']}")
    instance = management.get_service_instance(serviceName=service, name="shop-prod")["serviceInstance"]
    seen["instanceArn"] = instance["arn"]
    seen["instanceEnvironment"] = instance["environmentName"]
    seen["createDeploymentId"] = instance["lastSucceededDeploymentId"]
    expect("account in the instance's ARN", instance["arn"].split(":")[4], MANAGEMENT_ACCOUNT)
    expect("environment of shop-prod", instance["environmentName"], prod)
    print(f"3. instance shop-prod in environment {instance['environmentName']}: {instance['arn']}")

    # 4. Version 1.1: register and publish it, then move shop-prod to it.
    version = management.create_service_template_version(
        templateName=service_template,
        majorVersion=major,
        source=SERVICE_BUNDLE,
        compatibleEnvironmentTemplates=compatible,
    )["serviceTemplateVersion"]
    new_minor = version["minorVersion"]
    seen["minorVersionRegisteredPolls"] = wait(
        management,
        "service_template_version_registered",
        "GetServiceTemplateVersion",
        templateName=service_template,
        majorVersion=major,
        minorVersion=new_minor,
    )
    management.update_service_template_version(
        templateName=service_template, majorVersion=major, minorVersion=new_minor, status="PUBLISHED"
    )
    updating = management.update_service_instance(
        serviceName=service, name="shop-prod", deploymentType="MINOR_VERSION"
    )["serviceInstance"]
    seen["updateAnswer"] = (
        updating["deploymentStatus"],
        f"{updating['templateMajorVersion']}.{updating['templateMinorVersion']}",
    )
    expect("answer to UpdateServiceInstance", seen["updateAnswer"], ("IN_PROGRESS", f"{major}.{minor}"))
    polls = wait(management, "service_instance_deployed", "GetServiceInstance", serviceName=service, name="shop-prod")
    instance = management.get_service_instance(serviceName=service, name="shop-prod")["serviceInstance"]
    seen["instanceDeployedPolls"] = polls
    seen["updatedVersion"] = f"{instance['templateMajorVersion']}.{instance['templateMinorVersion']}"
    seen["updateDeploymentId"] = instance["lastSucceededDeploymentId"]
    expect("template minor version of shop-prod", instance["templateMinorVersion"], new_minor)
    print(
        f"4. instance shop-prod answered {updating['deploymentStatus']} on {seen['updateAnswer'][1]}, then "
        f"{instance['deploymentStatus']} on {seen['updatedVersion']} ({plural(polls)})"
    )

    # 5. The pipeline, redeployed on its version with new inputs.
    second_spec = service_spec(dev, prod, "make test-all")
    management.update_service_pipeline(serviceName=service, deploymentType="CURRENT_VERSION", spec=second_spec)
    polls = wait(management, "service_pipeline_deployed", "GetService", name=service)
    pipeline = management.get_service(name=service)["service"]["pipeline"]
    seen["pipelineDeployedPolls"] = polls
    expect("pipeline spec after the update", pipeline["spec"], second_spec)
    print(f"5. pipeline redeployed with a new spec: {pipeline['deploymentStatus']} ({plural(polls)})")

    # 6. shop-prod's deployments, newest first: the update, then the create.
    deployments = management.list_deployments(serviceName=service, serviceInstanceName="shop-prod")["deployments"]
    seen["deployments"] = [(deployment["id"], deployment["deploymentStatus"]) for deployment in deployments]
    expect(
        "deployments of shop-prod",
        seen["deployments"],
        [(seen["updateDeploymentId"], "SUCCEEDED"), (seen["createDeploymentId"], "SUCCEEDED")],
    )
    print("6. deployments of shop-prod, newest first: the update SUCCEEDED, the create SUCCEEDED")

    # 7. A component: a queue a developer adds to shop-dev, defined directly by its manifest and CloudFormation
    # file rather than by a template. `dev` has a component role and web 1.0 supports directly defined
    # components, so it may be attached to shop-dev, with inputs of its own (serviceSpec).
    creating = management.create_component(
        name=component,
        serviceName=service,
        serviceInstanceName="shop-dev",
        manifest=COMPONENT_MANIFEST,
        templateFile=COMPONENT_TEMPLATE,
        serviceSpec=COMPONENT_SPEC,
        description="The shop's job queue",
    )["component"]
    seen["componentCreateStatus"] = creating["deploymentStatus"]
    polls = wait(management, "component_deployed", "GetComponent", name=component)
    got = management.get_component(name=component)["component"]
    seen["componentDeployedPolls"] = polls
    seen["componentAttachment"] = (got["environmentName"], got.get("serviceName"), got.get("serviceInstanceName"))
    expect("deployment status of the component", got["deploymentStatus"], "SUCCEEDED")
    expect("attachment of the component", seen["componentAttachment"], (dev, service, "shop-dev"))
    print(
        f"7. component {component} {creating['deploymentStatus']}, then {got['deploymentStatus']} "
        f"({plural(polls)}), attached to {got['serviceName']}/{got['serviceInstanceName']} in {got['environmentName']}"
    )
    # What the account holds now, counted by the service (on a shared server, other runs' resources count too).
    counts = management.get_resources_summary()["counts"]
    seen["summary"] = {kind: counts[kind]["total"] for kind in counts}
    expect("components counted", counts["components"]["total"] >= 1, True)
    summary = ", ".join(
        counted(counts[kind]["total"], noun)
        for kind, noun in (
            ("environmentTemplates", "environment template"),
            ("environments", "environment"),
            ("serviceTemplates", "service template"),
            ("services", "service"),
            ("serviceInstances", "service instance"),
            ("pipelines", "pipeline"),
            ("components", "component"),
        )
    )
    print(f"7. resources summary: {summary}")

    # 8. An environment with an instance in it cannot be deleted, nor a component attached to an instance: the
    # component is detached (a deployment with both names empty) and deleted, then the service goes, then both
    # environments.
    try:
        management.delete_environment(name=prod)
        seen["deleteProdError"] = None
    except ClientError as error:
        seen["deleteProdError"] = error_code(error)
    print(f"8. deleting environment {prod} while shop-prod is in it: {seen['deleteProdError']}")
    expect("answer to deleting an environment in use", seen["deleteProdError"], "ConflictException")
    try:
        management.delete_component(name=component)
        seen["deleteAttachedError"] = None
    except ClientError as error:
        seen["deleteAttachedError"] = error_code(error)
    print(f"8. deleting component {component} while it is attached to shop-dev: {seen['deleteAttachedError']}")
    expect("answer to deleting an attached component", seen["deleteAttachedError"], "ConflictException")

    management.update_component(
        name=component, deploymentType="CURRENT_VERSION", serviceName="", serviceInstanceName=""
    )
    polls = wait(management, "component_deployed", "GetComponent", name=component)
    got = management.get_component(name=component)["component"]
    seen["componentDetachedPolls"] = polls
    seen["componentAfterDetach"] = (got["environmentName"], got.get("serviceName"), got.get("serviceInstanceName"))
    expect("attachment after detaching", seen["componentAfterDetach"], (dev, None, None))
    print(f"8. component {component} detached ({plural(polls)}): still in {got['environmentName']}, on its own")
    deleting = management.delete_component(name=component)["component"]
    seen["componentDeleteStatus"] = deleting["deploymentStatus"]
    polls = wait(management, "component_deleted", "GetComponent", name=component)
    seen["componentDeletedPolls"] = polls
    print(f"8. component {component} deleted ({deleting['deploymentStatus']}), then gone ({plural(polls)})")

    deleting = management.delete_service(name=service)["service"]
    seen["serviceDeleteStatus"] = deleting["status"]
    polls = wait(management, "service_deleted", "GetService", name=service)
    seen["serviceDeletedPolls"] = polls
    print(f"8. service {service} deleted ({deleting['status']}), then gone ({plural(polls)})")
    for name, key in ((dev, "dev"), (prod, "prod")):
        status, after, polls = delete_environment(management, name)
        seen[f"{key}DeleteStatus"], seen[f"{key}AfterDelete"], seen[f"{key}DeletedPolls"] = status, after, polls
        print(f"   environment {name} deleted ({status}), then Get: {after} ({plural(polls)})")
        expect(f"answer to Get after deleting {name}", after, "ResourceNotFoundException")

    # Tidy up, so the next run starts from the same place: the connection, the templates and their versions
    # (the recommended version goes last) and the pipeline role as it was before.
    environment_account.delete_environment_account_connection(id=connection_id)
    for old_minor in (minor, new_minor):
        management.delete_service_template_version(
            templateName=service_template, majorVersion=major, minorVersion=old_minor
        )
    management.delete_service_template(name=service_template)
    management.delete_environment_template_version(
        templateName=environment_template, majorVersion=environment_major, minorVersion=environment_minor
    )
    management.delete_environment_template(name=environment_template)
    management.update_account_settings(pipelineServiceRoleArn=previous_settings.get("pipelineServiceRoleArn", ""))
    print("done")
    return seen


if __name__ == "__main__":
    main()
