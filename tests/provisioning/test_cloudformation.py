"""The `cloudformation` provisioner (P-13 to P-17) against a real CloudFormation API: moto's standalone server,
reached by `--cloudformation-endpoint`, with the resource's role assumed through STS. Every mode."""

from __future__ import annotations

import re
import time
from typing import Any

import boto3
import pytest

from bundles.bundle_library import CLOUDFORMATION_MANIFEST, ENVIRONMENT_SCHEMA, environment_files, service_files
from bundles.bundle_support import PIPELINE_ROLE, SERVICE_ROLE, Bundles
from console_support import Reader, main_of
from openproton import Settings, mock_proton
from support import MGMT_ACCOUNT, REGION, InProcessWorld

STACK = """\
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: {{ environment.inputs.delay }}
Outputs:
  BucketName:
    Value: !Ref Bucket
  QueueUrl:
    Value: !Ref Queue
"""
SCHEMA = ENVIRONMENT_SCHEMA.replace(
    "        subnet_one_cidr:",
    "        delay:\n          type: integer\n          default: 0\n        subnet_one_cidr:",
)
SPEC = "proton: EnvironmentSpec\nspec:\n  delay: 5\n"
UNDER_WAY = ("IN_PROGRESS", "DELETE_IN_PROGRESS", "CANCELLING")


def bundle(template: str = STACK) -> dict[str, str | bytes]:
    return {
        "schema/schema.yaml": SCHEMA,
        "infrastructure/manifest.yaml": CLOUDFORMATION_MANIFEST,
        "infrastructure/cloudformation.yaml": template,
    }


def ended(read: Any, timeout: float = 30) -> dict[str, Any]:
    """The resource once its deployment ended (a server's worker runs it in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        found = read()
        if found["deploymentStatus"] not in UNDER_WAY or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def stacks_of(endpoint: str, role: str = SERVICE_ROLE) -> Any:
    """A CloudFormation client in the role's account, as the provisioner's own stacks are."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
    )
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    return boto3.client(
        "cloudformation",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def environment(cloud: Bundles, name: str = "dev", **members: Any) -> dict[str, Any]:
    cloud.create_environment(name, "vpc", SPEC, **members)
    return ended(lambda: cloud.client.get_environment(name=name)["environment"])


def test_an_environment_is_provisioned_with_the_stacks_outputs_and_resources(
    cloud: Bundles, cloud_endpoint: str
) -> None:
    cloud.publish("vpc", bundle())
    created = cloud.create_environment("dev", "vpc", SPEC)
    assert created["deploymentStatus"] == "IN_PROGRESS"  # [decided] P-10: the request answers at once
    done = ended(lambda: cloud.client.get_environment(name="dev")["environment"])
    assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
    outputs = cloud.client.list_environment_outputs(environmentName="dev")["outputs"]
    assert [o["key"] for o in outputs] == ["BucketName", "QueueUrl"]
    resources = cloud.client.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"]
    assert [(r["name"], r["provisioningEngine"]) for r in resources] == [
        ("Bucket", "CLOUDFORMATION"),
        ("Queue", "CLOUDFORMATION"),
    ]
    assert {r["identifier"] for r in resources} == {o["valueString"] for o in outputs}
    stack_name = _stack_of_bucket(stacks_of(cloud_endpoint), outputs[0]["valueString"])
    assert re.fullmatch(r"AWSProton-dev-cloudformation--[A-Z]{15}", stack_name)
    stack = stacks_of(cloud_endpoint).describe_stacks(StackName=stack_name)["Stacks"][0]
    tags = {tag["Key"]: tag["Value"] for tag in stack["Tags"]}
    assert tags["proton:environment"] == f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment/dev"
    assert cloud.rendered(done["lastAttemptedDeploymentId"])["provisioner"] == "cloudformation"

    # An update keeps the stack (P-14: named for life) and takes the new inputs.
    cloud.client.update_environment(
        name="dev", deploymentType="CURRENT_VERSION", spec="proton: EnvironmentSpec\nspec:\n  delay: 7\n"
    )
    updated = ended(lambda: cloud.client.get_environment(name="dev")["environment"])
    assert updated["deploymentStatus"] == "SUCCEEDED", updated.get("deploymentStatusMessage")
    again = cloud.client.list_environment_outputs(environmentName="dev")["outputs"]
    assert _stack_of_bucket(stacks_of(cloud_endpoint), again[0]["valueString"]) == stack_name

    # Deleting deletes the stack; the deletion renders nothing, and the console still names its provisioner.
    deleting = cloud.client.delete_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    code, html = Reader(cloud.world).get(f"/console/deployments/{deleting}", account=MGMT_ACCOUNT)
    assert code == 200 and "<dd>cloudformation</dd>" in main_of(html), main_of(html)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        e["name"] == "dev" for e in cloud.client.list_environments()["environments"]
    ):
        time.sleep(0.1)
    assert cloud.client.list_environments()["environments"] == []
    summaries = stacks_of(cloud_endpoint).list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in summaries if s["StackName"] == stack_name] == ["DELETE_COMPLETE"]


def _stack_of_bucket(client: Any, bucket: str) -> str:
    for summary in client.list_stacks()["StackSummaries"]:
        if summary["StackStatus"] == "DELETE_COMPLETE":
            continue
        for resource in client.list_stack_resources(StackName=summary["StackId"])["StackResourceSummaries"]:
            if resource.get("PhysicalResourceId") == bucket:
                return str(summary["StackName"])
    raise AssertionError(f"no stack holds bucket {bucket}")


def web_instance(cloud: Bundles, template: str, *, components: bool = False) -> dict[str, Any]:
    """Service `shop`'s instance `web-dev` (port 8080, image nginx) on environment `dev`, its infrastructure
    `template`, provisioned; `components`: it may have components attached."""
    files = service_files(pipeline=False)
    files["instance_infrastructure/cloudformation.yaml"] = template
    cloud.publish_service_template("web", files, environment_template="vpc", pipeline=False, components=components)
    spec = (
        "proton: ServiceSpec\ninstances:\n  - name: web-dev\n    environment: dev\n    spec:\n      image: nginx\n"
        "      port: 8080\n"
    )
    cloud.client.create_service(name="shop", templateName="web", templateMajorVersion="1", spec=spec)
    instance = ended(lambda: cloud.client.get_service_instance(serviceName="shop", name="web-dev")["serviceInstance"])
    assert instance["deploymentStatus"] == "SUCCEEDED", instance.get("deploymentStatusMessage")
    return instance


def test_a_service_instance_gets_a_stack_of_its_own(cloud: Bundles) -> None:
    cloud.publish("vpc", bundle())
    environment(cloud)
    web_instance(
        cloud,
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
        "Outputs:\n  QueueUrl:\n    Value: !Ref Queue\n  Port:\n    Value: '{{ service_instance.inputs.port }}'\n",
    )
    outputs = cloud.client.list_service_instance_outputs(serviceName="shop", serviceInstanceName="web-dev")["outputs"]
    assert [(o["key"], o["valueString"]) for o in outputs][1] == ("Port", "8080")
    assert outputs[0]["key"] == "QueueUrl"


def test_a_template_cloudformation_refuses_fails_with_its_reason(cloud: Bundles) -> None:
    cloud.publish("vpc", bundle("Outputs:\n  X:\n    Value: '{{ environment.inputs.delay }}'\n"))
    done = environment(cloud)
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == "Template format error: At least one Resources member must be defined."


def test_a_role_of_another_account_is_not_used(cloud: Bundles) -> None:
    """[decided] P-26: the confused deputy: a role outside the resource's provisioning account."""
    cloud.publish("vpc", bundle())
    done = environment(cloud, protonServiceRoleArn="arn:aws:iam::999999999999:role/theirs")
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == (
        f"Role arn:aws:iam::999999999999:role/theirs is not in account {MGMT_ACCOUNT}"
    )


def test_a_rendered_template_over_51200_bytes_is_not_sent(cloud: Bundles) -> None:
    cloud.publish("vpc", bundle(STACK + "#" * 52000 + "\n"))
    done = environment(cloud)
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == "Rendered template is larger than the 51200 bytes CloudFormation accepts"


def test_the_admin_interface_does_not_settle_a_cloudformation_deployment(cloud: Bundles, cloud_endpoint: str) -> None:
    """[decided] P-8: its provisioner ends it."""
    cloud.publish("vpc", bundle())
    done = environment(cloud)
    deployment = done["lastAttemptedDeploymentId"]
    if isinstance(cloud.world, InProcessWorld):
        with pytest.raises(Exception, match="cannot be settled"):
            cloud.world.settle(deployment)
    else:
        response = cloud.world.raw("POST", f"/_openproton/deployments/{deployment}/settle", {}, b"{}")
        assert response.status == 409


def test_an_endpoint_that_is_down_fails_the_deployment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    settings = Settings(
        bundle_dir=str(tmp_path), provisioners=("cloudformation",), cloudformation_endpoint="http://127.0.0.1:1"
    )
    with mock_proton(settings=settings) as mock:
        cloud = Bundles(InProcessWorld(mock), tmp_path)
        cloud.publish("vpc", environment_files())
        done = environment(cloud)
    assert done["deploymentStatus"] == "FAILED"
    assert done["deploymentStatusMessage"] == 'Could not connect to the endpoint URL: "http://127.0.0.1:1/"'


def test_pipelines_use_the_accounts_pipeline_role(cloud: Bundles) -> None:
    cloud.publish("vpc", bundle())
    environment(cloud)
    files = service_files()
    files["instance_infrastructure/cloudformation.yaml"] = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
    files["pipeline_infrastructure/cloudformation.yaml"] = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
    cloud.publish_service_template("web", files, environment_template="vpc")
    cloud.client.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)
    spec = "proton: ServiceSpec\ninstances:\n  - name: web-dev\n    environment: dev\n    spec:\n      image: x\n"
    cloud.create_service_with_pipeline("shop", "web", spec)
    pipeline = ended(lambda: cloud.client.get_service(name="shop")["service"]["pipeline"])
    assert pipeline["deploymentStatus"] == "SUCCEEDED", pipeline.get("deploymentStatusMessage")
    resources = cloud.client.list_service_pipeline_provisioned_resources(serviceName="shop")["provisionedResources"]
    assert [r["name"] for r in resources] == ["Queue"]
