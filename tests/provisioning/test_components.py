"""Directly defined components provisioned by their manifest's method (components.md: "as a bundle folder is"):
a CloudFormation component through moto's CloudFormation API as the environment's componentRoleArn, in every
mode; a Terraform component of a self-managed environment committed to its repository is in
test_self_managed.py."""

from __future__ import annotations

import time

from bundles.bundle_support import Bundles
from support import MGMT_ACCOUNT, REGION

from .test_cloudformation import SPEC, bundle, ended, stacks_of

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

    # The stack is in the component role's account, named after the component (P-14).
    stacks = stacks_of(cloud_endpoint, COMPONENT_ROLE)
    names = [
        s["StackName"]
        for s in stacks.list_stacks()["StackSummaries"]
        if s["StackName"].startswith("AWSProton-alerts-cloudformation--") and s["StackStatus"] != "DELETE_COMPLETE"
    ]
    assert len(names) == 1

    cloud.client.delete_component(name="alerts")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and cloud.client.list_components()["components"]:
        time.sleep(0.1)
    assert cloud.client.list_components()["components"] == []
    summaries = stacks.list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in summaries if s["StackName"] == names[0]] == ["DELETE_COMPLETE"]


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
