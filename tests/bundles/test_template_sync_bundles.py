"""Template sync with a bundle source (Y-12 step 6): a major directory registers as a fetched bundle does, with
B-6's checks and messages, and a version that fails registration fails its attempt. Real git, every mode."""

from __future__ import annotations

from typing import Any

from bundles.bundle_library import ENVIRONMENT_SCHEMA, environment_files
from bundles.bundle_support import Bundles
from repositories.git_support import GitRepo, repo  # noqa: F401 (the fixture)

LINK = {"repositoryProvider": "GITHUB", "repositoryName": "acme/templates"}


def _configured(bundles: Bundles, git: GitRepo) -> None:
    client = bundles.client
    client.create_environment_template(name="vpc")
    client.create_repository(
        provider="GITHUB",
        name="acme/templates",
        connectionArn="arn:aws:codestar-connections:us-east-1:222222222222:connection/c",
    )
    bundles.world.map_repository("GITHUB", "acme/templates", git.url)
    client.create_template_sync_config(templateName="vpc", templateType="ENVIRONMENT", branch="main", **LINK)
    bundles.world.sync("GITHUB", "acme/templates")


def _resource(attempts: list[dict[str, Any]]) -> dict[str, Any]:
    [attempt] = attempts
    [resource] = attempt["resourceAttempts"]
    return resource


def test_a_synced_major_registers_with_its_schema_and_renders(bundles: Bundles, repo: GitRepo) -> None:  # noqa: F811
    _configured(bundles, repo)
    repo.commit({f"vpc/v1/{path}": content for path, content in environment_files().items()})
    resource = _resource(bundles.world.sync("GITHUB", "acme/templates"))
    assert resource["status"] == "SUCCEEDED"
    version = bundles.client.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")
    assert version["environmentTemplateVersion"]["status"] == "DRAFT"
    assert version["environmentTemplateVersion"]["schema"] == ENVIRONMENT_SCHEMA
    bundles.client.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    environment = bundles.create_environment("dev", "vpc", "proton: EnvironmentSpec\n")
    assert "CidrBlock: '10.0.0.0/16'" in bundles.rendered(
        environment["lastAttemptedDeploymentId"], "cloudformation.yaml"
    )


def test_a_synced_major_that_fails_registration_fails_its_attempt(bundles: Bundles, repo: GitRepo) -> None:  # noqa: F811
    _configured(bundles, repo)
    files = {f"vpc/v1/{path}": content for path, content in environment_files().items()}
    del files["vpc/v1/infrastructure/manifest.yaml"]
    repo.commit(files)
    resource = _resource(bundles.world.sync("GITHUB", "acme/templates"))
    message = "Template manifest is not valid: infrastructure/manifest.yaml is missing"
    assert resource["status"] == "FAILED"
    assert [e["type"] for e in resource["events"]] == ["SYNC_STARTED", "VERSION_CREATED", "SYNC_FAILED"]
    assert resource["events"][2]["event"] == message
    version = bundles.client.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")
    assert (
        version["environmentTemplateVersion"]["status"],
        version["environmentTemplateVersion"]["statusMessage"],
    ) == (
        "REGISTRATION_FAILED",
        message,
    )
    # Y-12 step 7: the same contents are not registered again.
    repo.commit({"README.md": "unrelated\n"})
    [idle] = bundles.world.sync("GITHUB", "acme/templates")
    assert idle["resourceAttempts"] == []


def test_a_link_in_a_synced_major_is_an_entry_not_allowed(bundles: Bundles, repo: GitRepo) -> None:  # noqa: F811
    _configured(bundles, repo)
    repo.commit({f"vpc/v1/{path}": content for path, content in environment_files().items()})
    repo.git("rm", "-q", "vpc/v1/infrastructure/cloudformation.yaml")
    (repo.path / "vpc/v1/infrastructure/cloudformation.yaml").symlink_to("/etc/passwd")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "a link")
    resource = _resource(bundles.world.sync("GITHUB", "acme/templates"))
    assert resource["status"] == "FAILED"
    assert resource["events"][-1]["event"] == (
        "Template bundle contains an entry that is not allowed: infrastructure/cloudformation.yaml"
    )
