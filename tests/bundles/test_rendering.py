"""Deployments of bundle versions are rendered as they start (P-1) and their files kept (P-6), in every mode:
CloudFormation with each namespace, Terraform's files, CodeBuild's inputs, and failures that fail the deployment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bundles.bundle_library import (
    ENVIRONMENT_SCHEMA,
    environment_files,
    service_files,
)
from bundles.bundle_support import PIPELINE_ROLE, Bundles
from support import MGMT_ACCOUNT, REGION, InProcessWorld

ENV_ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment/dev"
SOURCE = {
    "repositoryConnectionArn": f"arn:aws:codestar-connections:{REGION}:{MGMT_ACCOUNT}:connection/0a1b2c3d",
    "repositoryId": "acme/shop",
    "branchName": "main",
}
SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.1.0.0/16\n"


def test_an_environment_deployment_renders_its_cloudformation_with_defaults(bundles: Bundles) -> None:
    bundles.publish("vpc", environment_files())
    environment = bundles.create_environment("dev", "vpc", SPEC)
    deployment_id = environment["lastAttemptedDeploymentId"]
    rendered = bundles.rendered(deployment_id)
    assert rendered["deploymentId"] == deployment_id
    assert rendered["provisioner"] == "settle"
    assert [f["path"] for f in rendered["files"]] == ["cloudformation.yaml"]
    text = bundles.rendered(deployment_id, "cloudformation.yaml")
    assert "Description: The environment dev\n" in text
    assert "CidrBlock: '10.1.0.0/16'" in text
    assert "CidrBlock: '10.0.0.0/24'" in text  # subnet_one_cidr's default
    assert bundles.client.get_environment(name="dev")["environment"]["deploymentStatus"] == "SUCCEEDED"


def test_a_deployment_without_a_render_is_404(bundles: Bundles) -> None:
    assert bundles.rendered("4b2cbb33-3b5b-4bd4-9e52-3dd0b7e4c0a1") is None
    if bundles.world.mode == "server":
        log = bundles.world.raw("GET", "/_openproton/deployments/4b2cbb33-3b5b-4bd4-9e52-3dd0b7e4c0a1/log")
        assert log.status == 404
        assert json.loads(log.body)["message"].endswith("has no provisioner log.")
    else:
        assert bundles.world.mock.log("4b2cbb33-3b5b-4bd4-9e52-3dd0b7e4c0a1") is None


def test_an_undefined_name_fails_the_deployment_with_its_line(bundles: Bundles) -> None:
    files = environment_files(
        "Resources:\n  X: {{ environment.inputs.vpc_cidr }}\n  Y: {{ environment.inputs.nothing }}\n"
    )
    bundles.publish("vpc", files)
    environment = bundles.create_environment("dev", "vpc", SPEC)
    assert environment["deploymentStatus"] == "IN_PROGRESS"
    read = bundles.client.get_environment(name="dev")["environment"]
    assert read["deploymentStatus"] == "FAILED"
    assert read["deploymentStatusMessage"] == (
        "Template rendering failed: infrastructure/cloudformation.yaml line 3: 'dict object' has no attribute 'nothing'"
    )
    assert bundles.rendered(environment["lastAttemptedDeploymentId"]) is None


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe."),
        ("{% include 'x.yaml' %}", "no loader for this environment specified"),
        (
            "{% for i in range(200000) %}x{% endfor %}",
            "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
        ),
    ],
    ids=["an underscore attribute", "a file", "a long range"],
)
def test_hostile_templates_fail_their_deployment_and_nothing_else(bundles: Bundles, template: str, reason: str) -> None:
    bundles.publish("vpc", environment_files(f"X: {template}\n"))
    bundles.create_environment("dev", "vpc", SPEC)
    read = bundles.client.get_environment(name="dev")["environment"]
    assert read["deploymentStatus"] == "FAILED"
    assert read["deploymentStatusMessage"].startswith("Template rendering failed: infrastructure/cloudformation.yaml")
    assert reason in read["deploymentStatusMessage"]
    # The server is fine: the next call answers.
    assert bundles.client.list_environments()["environments"][0]["name"] == "dev"


def _service(bundles: Bundles) -> None:
    bundles.publish("env", environment_files())
    bundles.publish_service_template("web", service_files(), environment_template="env")
    environment = bundles.create_environment("dev", "env", SPEC)
    # The environment's outputs, as its provisioning would report them (Notify of a manual settle).
    bundles.world.set_settle_policy("manual")
    bundles.client.update_environment(name="dev", deploymentType="CURRENT_VERSION")
    deployment = bundles.client.get_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    assert deployment != environment["lastAttemptedDeploymentId"]
    bundles.world.settle(deployment, outputs=[{"key": "VpcId", "valueString": "vpc-0abc"}])
    bundles.world.set_settle_policy("succeed")
    bundles.client.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)


def test_a_service_renders_its_instances_and_pipeline_with_their_namespaces(bundles: Bundles) -> None:
    _service(bundles)
    spec = yaml.safe_dump(
        {
            "proton": "ServiceSpec",
            "instances": [{"name": "web-dev", "environment": "dev", "spec": {"image": "nginx", "port": 8080}}],
            "pipeline": {},
        }
    )
    bundles.client.create_service(name="shop", templateName="web", templateMajorVersion="1", spec=spec, **SOURCE)
    instance = bundles.client.get_service_instance(serviceName="shop", name="web-dev")["serviceInstance"]
    text = bundles.rendered(instance["lastAttemptedDeploymentId"], "cloudformation.yaml")
    assert text == (
        "Resources:\n"
        "  Service:\n"
        "    Type: AWS::ECS::Service\n"
        "    Properties:\n"
        "      ServiceName: 'shop_web-dev'\n"
        "      DesiredCount: 1\n"
        "      Port: 8080\n"
        "      Image: 'nginx'\n"
        "      Vpc: 'vpc-0abc'\n"
        "      Environment: dev\n"
    )
    pipeline = bundles.client.get_service(name="shop")["service"]["pipeline"]
    pipeline_text = bundles.rendered(pipeline["lastAttemptedDeploymentId"], "cloudformation.yaml")
    assert "Directory: 'ecs-static-website'" in pipeline_text
    assert "# deploys web-dev to dev" in pipeline_text


def test_an_instance_without_a_component_reads_components_default_as_empty(bundles: Bundles) -> None:
    files = service_files()
    files["instance_infrastructure/cloudformation.yaml"] = (
        "Default: {{ service_instance.components.default }}\n"
        "Outputs: {{ service_instance.components.default.outputs }}\n"
        "Name: {{ service.name }} {{ service.repository_id }} {{ service.branch_name }}\n"
    )
    bundles.publish("env", environment_files())
    bundles.publish_service_template("web", files, environment_template="env")
    bundles.create_environment("dev", "env", SPEC)
    bundles.client.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)
    spec = yaml.safe_dump(
        {"proton": "ServiceSpec", "instances": [{"name": "web-dev", "environment": "dev", "spec": {"image": "x"}}]}
    )
    bundles.client.create_service(name="shop", templateName="web", templateMajorVersion="1", spec=spec, **SOURCE)
    instance = bundles.client.get_service_instance(serviceName="shop", name="web-dev")["serviceInstance"]
    assert bundles.rendered(instance["lastAttemptedDeploymentId"], "cloudformation.yaml") == (
        "Default: {}\nOutputs: {}\nName: shop acme/shop main\n"
    )


def _infrastructure_repository(bundles: Bundles) -> dict[str, str]:
    """A linked repository for self-managed provisioning (nothing is mapped, so nothing is pushed)."""
    bundles.client.create_repository(
        provider="GITHUB",
        name="acme/infra",
        connectionArn=f"arn:aws:codestar-connections:{REGION}:{MGMT_ACCOUNT}:connection/x",
    )
    return {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}


TERRAFORM_MANIFEST = (
    "infrastructure:\n  templates:\n    - file: '*'\n      rendering_engine: hcl\n      template_language: terraform\n"
)


def test_a_terraform_environment_renders_its_files_and_variables(bundles: Bundles) -> None:
    files: dict[str, Any] = {
        "schema/schema.yaml": ENVIRONMENT_SCHEMA,
        "infrastructure/manifest.yaml": TERRAFORM_MANIFEST,
        "infrastructure/main.tf": 'resource "aws_vpc" "vpc" {\n  cidr_block = var.environment.inputs.vpc_cidr\n}\n',
        "infrastructure/README.md": "not a template",
    }
    bundles.publish("tf", files)
    repository = _infrastructure_repository(bundles)
    environment = bundles.client.create_environment(
        name="dev", templateName="tf", templateMajorVersion="1", provisioningRepository=repository, spec=SPEC
    )["environment"]
    rendered = bundles.rendered(environment["lastAttemptedDeploymentId"])
    paths = [f["path"] for f in rendered["files"]]
    assert paths == ["main.tf", "proton.environment.variables.tf", "proton.auto.tfvars.json"]
    main = rendered["files"][0]["content"]
    assert main.startswith("/*\nThis file is managed by AWS Proton.")
    assert f"To manage this resource, see AWS Proton Resource: {ENV_ARN}\n" in main
    assert main.endswith('resource "aws_vpc" "vpc" {\n  cidr_block = var.environment.inputs.vpc_cidr\n}\n')
    tfvars = rendered["files"][2]["content"]
    assert json.loads(tfvars)["environment"] == {
        "name": "dev",
        "inputs": {"vpc_cidr": "10.1.0.0/16", "subnet_one_cidr": "10.0.0.0/24"},
    }
    assert json.loads(tfvars)["//"] == ENV_ARN
    assert tfvars.startswith('{\n  "environment" : {')
    assert not tfvars.endswith("\n")
    # Self-managed: it waits for the customer's automation to notify (S-27).
    assert bundles.client.get_environment(name="dev")["environment"]["deploymentStatus"] == "IN_PROGRESS"


def test_a_codebuild_environment_renders_its_files_and_inputs(bundles: Bundles) -> None:
    manifest = (
        "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n"
        "        image: aws/codebuild/amazonlinux2-x86_64-standard:4.0\n"
        "        provision:\n          - ./deploy.sh\n        deprovision:\n          - ./destroy.sh\n"
    )
    files = {
        "schema/schema.yaml": ENVIRONMENT_SCHEMA,
        "infrastructure/manifest.yaml": manifest,
        "infrastructure/deploy.sh": "#!/bin/sh\necho deploy\n",
        "infrastructure/destroy.sh": "#!/bin/sh\necho destroy\n",
    }
    bundles.publish("cb", files)
    environment = bundles.create_environment(
        "dev", "cb", SPEC, codebuildRoleArn=f"arn:aws:iam::{MGMT_ACCOUNT}:role/codebuild"
    )
    rendered = bundles.rendered(environment["lastAttemptedDeploymentId"])
    by_path = {f["path"]: f["content"] for f in rendered["files"]}
    assert by_path["deploy.sh"] == "#!/bin/sh\necho deploy\n"
    assert json.loads(by_path["proton-inputs.json"]) == {
        "environment": {"name": "dev", "inputs": {"vpc_cidr": "10.1.0.0/16", "subnet_one_cidr": "10.0.0.0/24"}}
    }
    # Deleting renders too: its commands need the files.
    deleting = bundles.client.delete_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    assert deleting != environment["lastAttemptedDeploymentId"]
    assert [f["path"] for f in bundles.rendered(deleting)["files"]] == list(by_path)


def test_a_customer_managed_environment_renders_nothing(bundles: Bundles) -> None:
    schema = yaml.safe_dump(
        {
            "schema": {
                "format": {"openapi": "3.0.0"},
                "environment_input_type": "Outputs",
                "types": {"Outputs": {"type": "object", "properties": {"vpc_id": {"type": "string"}}}},
            }
        }
    )
    bundles.publish("byo", {"schema/schema.yaml": schema}, provisioning="CUSTOMER_MANAGED")
    repository = _infrastructure_repository(bundles)
    environment = bundles.client.create_environment(
        name="byo",
        templateName="byo",
        templateMajorVersion="1",
        provisioningRepository=repository,
        spec="proton: EnvironmentSpec\nspec:\n  vpc_id: vpc-1\n",
    )["environment"]
    assert bundles.rendered(environment["lastAttemptedDeploymentId"]) is None
    # [decided] P-8: provisioned by nothing here, it succeeds at once with its spec as its outputs.
    assert bundles.client.get_environment(name="byo")["environment"]["deploymentStatus"] == "SUCCEEDED"
    assert bundles.client.list_environment_outputs(environmentName="byo")["outputs"] == [
        {"key": "vpc_id", "valueString": "vpc-1"}
    ]


def test_cloudformation_deletes_render_nothing(bundles: Bundles) -> None:
    bundles.publish("vpc", environment_files())
    bundles.create_environment("dev", "vpc", SPEC)
    created = bundles.client.get_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    deleting = bundles.client.delete_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    assert bundles.rendered(created) is not None
    assert bundles.rendered(deleting) is None  # a stack is deleted by name


def test_a_deleted_deployment_takes_its_rendered_files_with_it(bundles: Bundles) -> None:
    bundles.publish("vpc", environment_files())
    first = bundles.create_environment("dev", "vpc", SPEC)["lastAttemptedDeploymentId"]
    bundles.client.update_environment(name="dev", deploymentType="CURRENT_VERSION")
    assert bundles.rendered(first) is not None
    bundles.client.delete_deployment(id=first)
    assert bundles.rendered(first) is None


def test_a_render_past_the_render_timeout_fails_its_deployment(tmp_path: Path) -> None:
    """[decided] P-25: `--render-timeout` bounds the whole render; the deployment fails with the spec's text."""
    from bundles.bundle_library import archive, put
    from openproton import Settings, mock_proton

    slow = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n"
    source = put(tmp_path, "templates", "slow.tar.gz", archive(environment_files(slow)))
    with mock_proton(settings=Settings(bundle_dir=str(tmp_path), render_timeout_seconds=0.3)) as mock:
        bundles = Bundles(InProcessWorld(mock), tmp_path)
        bundles.client.create_environment_template(name="vpc")
        bundles.client.create_environment_template_version(templateName="vpc", source=source)
        bundles.client.update_environment_template_version(
            templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        bundles.create_environment("dev", "vpc", SPEC)
        read = bundles.client.get_environment(name="dev")["environment"]
    assert (read["deploymentStatus"], read["deploymentStatusMessage"]) == (
        "FAILED",
        "Rendering took longer than 0.3 seconds",
    )
