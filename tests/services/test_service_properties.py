"""Property tests for the services family: on a database that already holds what services need (a deployed
environment, a published compatible service template version, pipeline roles, a service), model-valid and
model-invalid calls of the services operations never answer 5xx, and a failed call changes no row.

The strategies are tests/test_properties.py's (built from the model); the hints here steer generated names and
specs towards the resources that exist, so that most calls reach the business rules rather than a not-found.
"""

from __future__ import annotations

from typing import Any

from family_properties import check_family
from openproton.proton.provider import ROUTES
from support import MGMT_ACCOUNT, REGION, InProcessWorld

ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton"
SOURCE = {"s3": {"bucket": "templates", "key": "bundle.tar.gz"}}


def _spec(*instances: tuple[str, str], pipeline: str = "  size: 1\n") -> str:
    text = f"proton: ServiceSpec\npipeline:\n{pipeline}"
    if instances:
        text += "instances:\n" + "".join(
            f"  - name: {name}\n    environment: {environment}\n    spec:\n      port: 80\n"
            for name, environment in instances
        )
    return text


SPECS = [
    _spec(("shop-dev", "dev")),
    _spec(("shop-dev", "dev"), ("shop-two", "dev")),
    _spec(("shop-two", "dev")),
    _spec(("shop-dev", "dev"), pipeline="  size: 2\n"),
    _spec(("shop-dev", "gone")),
    _spec(),
    "proton: ServiceSpec\ninstances: {}\n",
    "proton: [unclosed\n",
    "a: &x [1]\nb: *x\n",
    "- just a list\n",
]

# Hypothesis draws the first entries most (it shrinks towards them), so the services' writes come first.
FIRST = ["UpdateServiceInstance", "UpdateService", "CreateServiceInstance", "UpdateServicePipeline", "CreateService"]
OPERATIONS = FIRST + sorted(
    name
    for name in ROUTES
    if name not in FIRST
    and (
        "Service" in name
        or name
        in (
            "GetAccountSettings",
            "UpdateAccountSettings",
            "GetDeployment",
            "ListDeployments",
            "DeleteDeployment",
            "NotifyResourceDeploymentStatusChange",
            "DeleteEnvironment",
            "DeleteEnvironmentTemplateVersion",
            "TagResource",
            "UntagResource",
        )
    )
)


def hints() -> dict[str, list[Any]]:
    return {
        "name": ["shop", "shop-dev", "shop-two", "web", "other"],
        "serviceName": ["shop", "missing"],
        "serviceInstanceName": ["shop-dev", "shop-two"],
        "templateName": ["web", "vpc"],
        "environmentName": ["dev", "gone"],
        "spec": SPECS,
        "templateMajorVersion": ["1", "2"],
        "templateMinorVersion": ["0", "1"],
        "majorVersion": ["1", "2"],
        "minorVersion": ["0", "1"],
        "pipelineServiceRoleArn": [ROLE, ""],
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
        name="dev", templateName="vpc", templateMajorVersion="1", protonServiceRoleArn=ROLE, spec="proton: X\n"
    )
    proton.update_account_settings(pipelineServiceRoleArn=ROLE)
    proton.create_service_template(name="web")
    proton.create_service_template_version(
        templateName="web", source=SOURCE, compatibleEnvironmentTemplates=[{"templateName": "vpc", "majorVersion": "1"}]
    )
    proton.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")
    proton.create_service(
        name="shop",
        templateName="web",
        templateMajorVersion="1",
        spec=SPECS[0],
        repositoryConnectionArn=f"arn:aws:codestar-connections:{REGION}:{MGMT_ACCOUNT}:connection/c",
        repositoryId="acme/shop",
        branchName="main",
    )


def test_service_calls_never_fail_with_a_5xx_and_a_failed_call_changes_nothing() -> None:
    check_family(prepare, hints, OPERATIONS)
