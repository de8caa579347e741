"""[decided] P-9: with a bundle, an environment's provisioning must fit its folder's method, at Create and
Update, whether or not that provisioner is enabled. Every mode."""

from __future__ import annotations

import pytest

from bundles.bundle_library import ENVIRONMENT_SCHEMA, environment_files
from bundles.bundle_support import Bundles
from support import MGMT_ACCOUNT

SPEC = "proton: EnvironmentSpec\n"
CODEBUILD = {
    "schema/schema.yaml": ENVIRONMENT_SCHEMA,
    "infrastructure/manifest.yaml": "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n"
    "      settings:\n        provision:\n          - make\n        deprovision: []\n",
    "infrastructure/Makefile": "all:\n\ttrue\n",
}
TERRAFORM = {
    "schema/schema.yaml": ENVIRONMENT_SCHEMA,
    "infrastructure/manifest.yaml": "infrastructure:\n  templates:\n    - file: main.tf\n      rendering_engine: hcl\n"
    "      template_language: terraform\n",
    "infrastructure/main.tf": "# nothing\n",
}
CODEBUILD_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/codebuild"


def refused(bundles: Bundles, **members: str) -> str:
    with pytest.raises(bundles.client.exceptions.ValidationException) as error:
        bundles.client.create_environment(name="dev", templateName="t", templateMajorVersion="1", spec=SPEC, **members)
    assert bundles.client.list_environments()["environments"] == []
    return str(error.value.response["Error"]["Message"])


def test_cloudformation_needs_a_service_role_or_a_connection(bundles: Bundles) -> None:
    bundles.publish("t", environment_files())
    assert refused(bundles, codebuildRoleArn=CODEBUILD_ROLE) == (
        "Template t:1.0 needs protonServiceRoleArn or environmentAccountConnectionId"
    )


def test_codebuild_needs_a_codebuild_role(bundles: Bundles) -> None:
    bundles.publish("t", CODEBUILD)
    assert refused(bundles, protonServiceRoleArn=f"arn:aws:iam::{MGMT_ACCOUNT}:role/p") == (
        "Template t:1.0 needs codebuildRoleArn"
    )
    created = bundles.client.create_environment(
        name="dev", templateName="t", templateMajorVersion="1", spec=SPEC, codebuildRoleArn=CODEBUILD_ROLE
    )
    assert created["environment"]["name"] == "dev"


def test_terraform_needs_a_provisioning_repository(bundles: Bundles) -> None:
    bundles.publish("t", TERRAFORM)
    assert refused(bundles, protonServiceRoleArn=f"arn:aws:iam::{MGMT_ACCOUNT}:role/p") == (
        "Template t:1.0 needs provisioningRepository"
    )


def test_an_update_to_a_version_of_another_method_is_checked(bundles: Bundles) -> None:
    bundles.publish("t", environment_files())
    bundles.create_environment("dev", "t", SPEC)
    client = bundles.client
    client.create_environment_template_version(templateName="t", majorVersion="1", source=bundles.source(CODEBUILD))
    client.update_environment_template_version(templateName="t", majorVersion="1", minorVersion="1", status="PUBLISHED")
    with pytest.raises(client.exceptions.ValidationException) as error:
        client.update_environment(name="dev", deploymentType="MINOR_VERSION")
    assert error.value.response["Error"]["Message"] == "Template t:1.1 needs codebuildRoleArn"
    assert client.get_environment(name="dev")["environment"]["templateMinorVersion"] == "0"
