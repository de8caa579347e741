"""Directly defined components provisioned by their manifest's method (components.md: "as a bundle folder is"):
a CloudFormation component through moto's CloudFormation API, in every mode: as the environment's
componentRoleArn, as its connection's, and attached to a service instance whose inputs it renders. A Terraform
component of a self-managed environment committed to its repository is in test_self_managed.py."""

from __future__ import annotations

import time
from typing import Any

from bundles.bundle_support import Bundles
from support import ENV_ACCOUNT, MGMT_ACCOUNT, REGION, create_connection

from .test_cloudformation import SPEC, bundle, ended, stacks_of, web_instance

COMPONENT_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-component"
MANIFEST = (
    "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n"
    "      template_language: cloudformation\n"
)
TEMPLATE = """\
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: '{{ component.name }}-{{ environment.name }}'
Outputs:
  TopicArn:
    Value: !Ref Topic
"""


def deletes_its_stack(cloud: Bundles, component: str, stacks: Any) -> None:
    """The component's one live stack (`stacks`: a client in its role's account) is deleted with it."""
    named = [
        s["StackName"]
        for s in stacks.list_stacks()["StackSummaries"]
        if s["StackName"].startswith(f"AWSProton-{component}-cloudformation--")
        and s["StackStatus"] != "DELETE_COMPLETE"
    ]
    assert len(named) == 1
    cloud.client.delete_component(name=component)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and cloud.client.list_components()["components"]:
        time.sleep(0.1)
    assert cloud.client.list_components()["components"] == []
    summaries = stacks.list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in summaries if s["StackName"] == named[0]] == ["DELETE_COMPLETE"]


def test_a_cloudformation_component_gets_a_stack_as_its_component_role(cloud: Bundles, cloud_endpoint: str) -> None:
    cloud.publish("vpc", bundle())
    cloud.create_environment("dev", "vpc", SPEC, componentRoleArn=COMPONENT_ROLE)
    assert ended(lambda: cloud.client.get_environment(name="dev")["environment"])["deploymentStatus"] == "SUCCEEDED"

    created = cloud.client.create_component(
        name="alerts", environmentName="dev", manifest=MANIFEST, templateFile=TEMPLATE
    )["component"]
    assert created["deploymentStatus"] == "IN_PROGRESS"
    done = ended(lambda: cloud.client.get_component(name="alerts")["component"])
    assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
    outputs = cloud.client.list_component_outputs(componentName="alerts")["outputs"]
    assert [o["key"] for o in outputs] == ["TopicArn"]
    assert outputs[0]["valueString"].endswith(":alerts-dev")  # rendered from the component's namespaces
    resources = cloud.client.list_component_provisioned_resources(componentName="alerts")["provisionedResources"]
    assert [(r["name"], r["provisioningEngine"]) for r in resources] == [("Topic", "CLOUDFORMATION")]
    deployment = done["lastAttemptedDeploymentId"]
    assert cloud.rendered(deployment)["files"][0]["content"].count("alerts-dev") == 1

    # The stack is in the component role's account, named after the component (P-14); deleted with it.
    deletes_its_stack(cloud, "alerts", stacks_of(cloud_endpoint, COMPONENT_ROLE))


def test_a_component_without_a_role_to_assume_fails_with_the_reason(cloud: Bundles) -> None:
    other = f"arn:aws:iam::{'9' * 12}:role/elsewhere"
    cloud.publish("vpc", bundle())
    cloud.create_environment("dev", "vpc", SPEC, componentRoleArn=other)
    assert ended(lambda: cloud.client.get_environment(name="dev")["environment"])["deploymentStatus"] == "SUCCEEDED"
    cloud.client.create_component(name="alerts", environmentName="dev", manifest=MANIFEST, templateFile=TEMPLATE)
    done = ended(lambda: cloud.client.get_component(name="alerts")["component"])
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == f"Role {other} is not in account {MGMT_ACCOUNT}"  # P-26
    assert REGION in done["arn"]


def test_a_component_through_a_connection_is_provisioned_as_the_connections_component_role(
    cloud: Bundles, cloud_endpoint: str
) -> None:
    """[decided] C-5: an environment of another account provisions its components as its connection's
    componentRoleArn, so their stacks land in that account."""
    env_role = f"arn:aws:iam::{ENV_ACCOUNT}:role/proton-environment"
    component_role = f"arn:aws:iam::{ENV_ACCOUNT}:role/proton-component"
    connection = create_connection(cloud.world, roleArn=env_role, componentRoleArn=component_role)
    cloud.client.accept_environment_account_connection(id=connection["id"])
    cloud.publish("vpc", bundle())
    cloud.client.create_environment(
        name="dev",
        templateName="vpc",
        templateMajorVersion="1",
        spec=SPEC,
        environmentAccountConnectionId=connection["id"],
    )
    assert ended(lambda: cloud.client.get_environment(name="dev")["environment"])["deploymentStatus"] == "SUCCEEDED"

    cloud.client.create_component(name="relay", environmentName="dev", manifest=MANIFEST, templateFile=TEMPLATE)
    done = ended(lambda: cloud.client.get_component(name="relay")["component"])
    assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
    outputs = cloud.client.list_component_outputs(componentName="relay")["outputs"]
    assert outputs[0]["valueString"].split(":")[4] == ENV_ACCOUNT  # the topic is the environment account's
    # Deleted as the same role (so the next mode's run finds no stack of this one's).
    deletes_its_stack(cloud, "relay", stacks_of(cloud_endpoint, component_role))


def test_an_attached_component_renders_its_service_instances_inputs(cloud: Bundles) -> None:
    """components.md: an attached component's template sees `service.name`, `service_instance.name` and the
    instance's inputs, rendered from the instance's spec."""
    cloud.publish("vpc", bundle())
    cloud.create_environment("dev", "vpc", SPEC, componentRoleArn=COMPONENT_ROLE)
    assert ended(lambda: cloud.client.get_environment(name="dev")["environment"])["deploymentStatus"] == "SUCCEEDED"
    web_instance(cloud, "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n", components=True)

    template = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
        "    Properties:\n      TopicName: '{{ service.name }}-{{ service_instance.name }}-{{ component.name }}'\n"
        "Outputs:\n  Port:\n    Value: '{{ service_instance.inputs.port }}'\n"
        "  Image:\n    Value: '{{ service_instance.inputs.image }}'\n"
    )
    cloud.client.create_component(
        name="sidecar", serviceName="shop", serviceInstanceName="web-dev", manifest=MANIFEST, templateFile=template
    )
    done = ended(lambda: cloud.client.get_component(name="sidecar")["component"])
    assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
    assert done["environmentName"] == "dev"
    outputs = cloud.client.list_component_outputs(componentName="sidecar")["outputs"]
    assert {o["key"]: o["valueString"] for o in outputs} == {"Port": "8080", "Image": "nginx"}
    rendered = cloud.rendered(done["lastAttemptedDeploymentId"])["files"][0]["content"]
    assert "TopicName: 'shop-web-dev-sidecar'" in rendered
