"""Repository links (repositories-and-sync.md "Repository links", [decided] Y-1 to Y-4), in every mode of `world`."""

from __future__ import annotations

from typing import Any

from services.service_helpers import body, env_template, environment, proton, refused, tags_of
from support import MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World

CONNECTION = f"arn:aws:codestar-connections:{REGION}:{MGMT_ACCOUNT}:connection/0a1b2c3d"
KEY = f"arn:aws:kms:{REGION}:{MGMT_ACCOUNT}:key/k-1"
ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:repository"


def link(world: World, provider: str = "GITHUB", name: str = "acme/templates", **members: Any) -> dict[str, Any]:
    members.setdefault("connectionArn", CONNECTION)
    return proton(world).create_repository(provider=provider, name=name, **members)["repository"]


def missing(provider: str, name: str, account: str = MGMT_ACCOUNT) -> tuple[str, str, int]:
    arn = f"arn:aws:proton:{REGION}:{account}:repository/{provider.lower()}:{name}"
    return ("ResourceNotFoundException", f"The requested repository does not exist: {arn}", 400)


def test_a_link_answers_as_modelled_with_its_arn_for_every_provider(world: World) -> None:
    created = link(world, encryptionKey=KEY)
    assert created == {
        "arn": f"{ARN}/github:acme/templates",
        "connectionArn": CONNECTION,
        "encryptionKey": KEY,
        "name": "acme/templates",
        "provider": "GITHUB",
    }
    assert body(proton(world).get_repository(provider="GITHUB", name="acme/templates")) == {"repository": created}
    # [decided] Y-1: every provider in lowercase.
    assert link(world, "GITHUB_ENTERPRISE", "acme/a")["arn"] == f"{ARN}/github_enterprise:acme/a"
    assert link(world, "BITBUCKET", "acme/a")["arn"] == f"{ARN}/bitbucket:acme/a"


def test_linking_again_with_the_same_members_returns_the_link_and_with_others_is_a_conflict(world: World) -> None:
    created = link(world, tags=[{"key": "team", "value": "platform"}])
    assert link(world, tags=[{"key": "team", "value": "platform"}]) == created  # [decided] Y-3
    for members in ({"connectionArn": f"{CONNECTION}x"}, {"encryptionKey": KEY}, {"tags": []}):
        assert refused(
            proton(world).create_repository,
            provider="GITHUB",
            name="acme/templates",
            **{"connectionArn": CONNECTION, "tags": [{"key": "team", "value": "platform"}], **members},
        ) == ("ConflictException", "Repository GITHUB:acme/templates is already linked", 400)
    assert proton(world).get_repository(provider="GITHUB", name="acme/templates")["repository"] == created


def test_a_missing_link_is_not_found_naming_its_arn(world: World) -> None:
    link(world)
    assert refused(proton(world).get_repository, provider="BITBUCKET", name="acme/templates") == missing(
        "BITBUCKET", "acme/templates"
    )
    assert refused(proton(world).delete_repository, provider="GITHUB", name="acme/other") == missing(
        "GITHUB", "acme/other"
    )


def test_links_are_listed_by_name_then_provider_without_their_key_and_paged(world: World) -> None:
    for provider, name in [("GITHUB", "b/x"), ("BITBUCKET", "a/x"), ("GITHUB", "a/x"), ("GITHUB_ENTERPRISE", "a/x")]:
        link(world, provider, name, encryptionKey=KEY)
    listed = proton(world).list_repositories()["repositories"]
    assert [(item["name"], item["provider"]) for item in listed] == [
        ("a/x", "BITBUCKET"),
        ("a/x", "GITHUB"),
        ("a/x", "GITHUB_ENTERPRISE"),
        ("b/x", "GITHUB"),
    ]
    assert all("encryptionKey" not in item for item in listed)
    pages = proton(world).get_paginator("list_repositories").paginate(PaginationConfig={"PageSize": 3})
    sizes = [len(page["repositories"]) for page in pages]
    assert sizes == [3, 1]
    code, _, status = refused(proton(world).list_repositories, nextToken="bm90IGEgdG9rZW4=")
    assert (code, status) == ("ValidationException", 400)


def test_deleting_a_link_returns_it_and_takes_its_tags(world: World) -> None:
    created = link(world, tags=[{"key": "team", "value": "platform"}])
    assert tags_of(world, created["arn"]) == {"team": "platform"}
    assert body(proton(world).delete_repository(provider="GITHUB", name="acme/templates")) == {"repository": created}
    assert refused(proton(world).get_repository, provider="GITHUB", name="acme/templates") == missing(
        "GITHUB", "acme/templates"
    )
    relinked = link(world)
    assert tags_of(world, relinked["arn"]) == {}


def test_a_link_in_use_by_a_self_managed_environment_or_the_account_settings_cannot_be_deleted(world: World) -> None:
    link(world)
    env_template(world)
    repository = {"provider": "GITHUB", "name": "acme/templates", "branch": "main"}
    created = environment(world, "dev", provisioningRepository=repository)
    # A self-managed create waits for its automation's notification.
    proton(world).notify_resource_deployment_status_change(resourceArn=created["arn"], status="SUCCEEDED")
    proton(world).update_account_settings(pipelineProvisioningRepository=repository)
    assert refused(proton(world).delete_repository, provider="GITHUB", name="acme/templates") == (
        "ConflictException",
        "Repository GITHUB:acme/templates is in use by environment dev, the account settings' "
        "pipelineProvisioningRepository; it cannot be unlinked.",
        400,
    )
    proton(world).delete_environment(name="dev")  # self-managed: ends by the first read (S-29)
    proton(world).update_account_settings(deletePipelineProvisioningRepository=True)
    assert proton(world).delete_repository(provider="GITHUB", name="acme/templates")["repository"]["name"] == (
        "acme/templates"
    )


def test_another_account_or_region_sees_no_link_and_makes_its_own(world: World) -> None:
    created = link(world)
    for client in (proton(world, OTHER_ACCOUNT), proton(world, region="eu-west-1")):
        assert client.list_repositories()["repositories"] == []
        code, _, _ = refused(client.get_repository, provider="GITHUB", name="acme/templates")
        assert code == "ResourceNotFoundException"
        code, _, _ = refused(client.list_tags_for_resource, resourceArn=created["arn"])
        assert code == "ResourceNotFoundException"
    own = proton(world, OTHER_ACCOUNT).create_repository(
        provider="GITHUB", name="acme/templates", connectionArn=CONNECTION
    )
    assert own["repository"]["arn"] == created["arn"].replace(MGMT_ACCOUNT, OTHER_ACCOUNT)
    assert proton(world).get_repository(provider="GITHUB", name="acme/templates")["repository"] == created


def test_self_managed_resources_must_name_a_linked_repository(world: World) -> None:
    env_template(world)
    repository = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}
    not_linked = ("ValidationException", "Repository GITHUB:acme/infra is not linked", 400)
    client = proton(world)
    create = {"name": "dev", "templateName": "vpc", "templateMajorVersion": "1", "spec": "proton: EnvironmentSpec\n"}
    assert refused(client.create_environment, **create, provisioningRepository=repository) == not_linked
    assert refused(client.update_account_settings, pipelineProvisioningRepository=repository) == not_linked
    assert client.list_environments()["environments"] == []
    assert body(client.get_account_settings()) == {"accountSettings": {}}
    # A link of another account does not count; the caller's own does.
    proton(world, OTHER_ACCOUNT).create_repository(provider="GITHUB", name="acme/infra", connectionArn=CONNECTION)
    assert refused(client.create_environment, **create, provisioningRepository=repository) == not_linked
    link(world, name="acme/infra")
    assert client.create_environment(**create, provisioningRepository=repository)["environment"]["name"] == "dev"
    client.notify_resource_deployment_status_change(
        resourceArn=f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment/dev", status="SUCCEEDED"
    )
    moved = {"provider": "GITHUB", "name": "acme/moved", "branch": "main"}
    assert refused(client.update_environment, name="dev", deploymentType="NONE", provisioningRepository=moved) == (
        "ValidationException",
        "Repository GITHUB:acme/moved is not linked",
        400,
    )
    assert client.get_environment(name="dev")["environment"]["provisioningRepository"]["name"] == "acme/infra"
