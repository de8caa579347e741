"""Property tests for components and the resources summary: on a database that already holds what components need
(a deployed environment with a component role, a published service template version supporting directly defined
components, a service with an instance, a component attached to it and a detached one), model-valid and
model-invalid calls never answer 5xx, and a failed call changes no row.

The strategies are tests/test_properties.py's (built from the model); the hints steer names, attachments and
manifests towards what exists, so that most calls reach the business rules rather than a not-found.
"""

from __future__ import annotations

from typing import Any

from family_properties import check_family
from openproton.proton.provider import ROUTES
from support import MGMT_ACCOUNT, REGION, InProcessWorld

ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton"
SOURCE = {"s3": {"bucket": "templates", "key": "bundle.tar.gz"}}
SPEC = "proton: ServiceSpec\ninstances:\n  - name: shop-dev\n    environment: dev\n"
MANIFEST = (
    "infrastructure:\n  templates:\n    - file: queue.yaml\n      rendering_engine: jinja\n"
    "      template_language: cloudformation\n"
)
MANIFESTS = [
    MANIFEST,
    MANIFEST.replace("jinja", "hcl").replace("cloudformation", "terraform"),
    "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n",
    "infrastructure:\n  templates: []\n",
    "infrastructure: [unclosed\n",
    "a: &x [1]\nb: *x\n",
    "- just a list\n",
]

# Hypothesis draws the first entries most (it shrinks towards them), so the component writes come first: the
# model-wide properties already cover the rest.
FIRST = ["UpdateComponent", "CreateComponent", "DeleteComponent", "CancelComponentDeployment"]
OPERATIONS = FIRST + sorted(
    name
    for name in ROUTES
    if name not in FIRST
    and (
        "Component" in name
        or name
        in (
            "GetResourcesSummary",
            "GetDeployment",
            "ListDeployments",
            "DeleteDeployment",
            "NotifyResourceDeploymentStatusChange",
            "DeleteEnvironment",
            "UpdateService",
            "DeleteService",
            "UpdateServiceInstance",
            "TagResource",
            "UntagResource",
        )
    )
)


def hints() -> dict[str, list[Any]]:
    return {
        "name": ["queue", "bucket", "new", "shop"],
        "componentName": ["queue", "bucket", "missing"],
        "serviceName": ["shop", "", "missing"],
        "serviceInstanceName": ["shop-dev", "", "other"],
        "environmentName": ["dev", "gone"],
        "manifest": MANIFESTS,
        "spec": [SPEC, "proton: ServiceSpec\ninstances: []\n"],
        "serviceSpec": ["size: 1\n", "size: [2\n"],
        "templateFile": ["Resources: {}\n"],
        # Listed first, CURRENT_VERSION is drawn most: a NONE update with every member drawn is refused.
        "deploymentType": ["CURRENT_VERSION", "NONE"],
        "description": ["settled"],
        "clientToken": ["token-1", "token-2"],
        "key": ["team", "aws:reserved"],
    }


def prepare(world: InProcessWorld) -> None:
    proton = world.client(MGMT_ACCOUNT, REGION)
    proton.create_environment_template(name="vpc")
    proton.create_environment_template_version(templateName="vpc", source=SOURCE)
    proton.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    proton.create_environment(
        name="dev",
        templateName="vpc",
        templateMajorVersion="1",
        protonServiceRoleArn=ROLE,
        componentRoleArn=ROLE,
        spec="proton: X\n",
    )
    proton.create_service_template(name="web", pipelineProvisioning="CUSTOMER_MANAGED")
    proton.create_service_template_version(
        templateName="web",
        source=SOURCE,
        compatibleEnvironmentTemplates=[{"templateName": "vpc", "majorVersion": "1"}],
        supportedComponentSources=["DIRECTLY_DEFINED"],
    )
    proton.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")
    proton.create_service(name="shop", templateName="web", templateMajorVersion="1", spec=SPEC)
    proton.create_component(
        name="queue", serviceName="shop", serviceInstanceName="shop-dev", manifest=MANIFEST, templateFile="R: {}"
    )
    proton.create_component(name="bucket", environmentName="dev", manifest=MANIFEST, templateFile="R: {}")


def test_component_calls_never_fail_with_a_5xx_and_a_failed_call_changes_nothing() -> None:
    check_family(prepare, hints, OPERATIONS)
