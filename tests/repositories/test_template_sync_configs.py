"""Template sync configs and ListRepositorySyncDefinitions (repositories-and-sync.md, [decided] Y-10, Y-13, and
Y-3, Y-4, Y-5 for what they share with links), in every mode of `world`."""

from __future__ import annotations

from typing import Any

from repositories.test_links import link
from services.service_helpers import body, env_template, proton, refused, service_template
from support import OTHER_ACCOUNT, World

CONFIG = {"repositoryProvider": "GITHUB", "repositoryName": "acme/templates", "branch": "main"}
VPC = {"templateName": "vpc", "templateType": "ENVIRONMENT"}


def configure(world: World, **members: Any) -> dict[str, Any]:
    return proton(world).create_template_sync_config(**{**VPC, **CONFIG, **members})["templateSyncConfig"]


def definitions(world: World, sync_type: str = "TEMPLATE_SYNC", name: str = "acme/templates") -> list[dict[str, str]]:
    return proton(world).list_repository_sync_definitions(
        repositoryProvider="GITHUB", repositoryName=name, syncType=sync_type
    )["syncDefinitions"]


def test_a_config_answers_as_given_and_reads_back(world: World) -> None:
    link(world)
    env_template(world)
    created = configure(world, subdirectory="templates")
    assert created == {**VPC, **CONFIG, "subdirectory": "templates"}
    assert body(proton(world).get_template_sync_config(**VPC)) == {"templateSyncConfig": created}
    assert configure(world, subdirectory="templates") == created  # [decided] Y-3
    assert refused(proton(world).create_template_sync_config, **VPC, **{**CONFIG, "branch": "dev"}) == (
        "ConflictException",
        "Template ENVIRONMENT/vpc already has a sync config",
        400,
    )


def test_a_config_needs_its_template_the_link_and_no_dotdot(world: World) -> None:
    link(world)
    client = proton(world)
    assert refused(client.create_template_sync_config, **VPC, **CONFIG) == (
        "ValidationException",
        "Environment template vpc does not exist",
        400,
    )
    assert refused(client.create_template_sync_config, templateName="web", templateType="SERVICE", **CONFIG) == (
        "ValidationException",
        "Service template web does not exist",
        400,
    )
    env_template(world)
    assert refused(client.create_template_sync_config, **VPC, **{**CONFIG, "repositoryName": "acme/other"}) == (
        "ValidationException",
        "Repository GITHUB:acme/other is not linked",
        400,
    )
    code, _, status = refused(client.create_template_sync_config, **VPC, **CONFIG, subdirectory="a/../b")
    assert (code, status) == ("ValidationException", 400)
    assert configure(world, subdirectory="a/..b")["subdirectory"] == "a/..b"  # a name, not a `..` segment


def test_update_changes_everything_but_the_template_and_a_missing_config_is_not_found(world: World) -> None:
    link(world)
    link(world, "BITBUCKET", "acme/templates")
    env_template(world)
    missing = ("ResourceNotFoundException", "The requested template sync config does not exist: ENVIRONMENT/vpc", 400)
    assert refused(proton(world).get_template_sync_config, **VPC) == missing
    assert refused(proton(world).update_template_sync_config, **VPC, **CONFIG) == missing
    configure(world, subdirectory="templates")
    moved = {"repositoryProvider": "BITBUCKET", "repositoryName": "acme/templates", "branch": "release"}
    updated = proton(world).update_template_sync_config(**VPC, **moved)["templateSyncConfig"]
    assert updated == {**VPC, **moved}
    assert proton(world).get_template_sync_config(**VPC)["templateSyncConfig"] == updated


def test_delete_returns_the_config_and_deleting_the_template_deletes_it(world: World) -> None:
    link(world)
    env_template(world)
    created = configure(world)
    assert body(proton(world).delete_template_sync_config(**VPC)) == {"templateSyncConfig": created}
    code, _, _ = refused(proton(world).get_template_sync_config, **VPC)
    assert code == "ResourceNotFoundException"
    service_template(world, "web")
    configure(world, templateName="web", templateType="SERVICE")
    proton(world).delete_service_template(name="web")
    code, _, _ = refused(proton(world).get_template_sync_config, templateName="web", templateType="SERVICE")
    assert code == "ResourceNotFoundException"
    service_template(world, "web")  # a new template of the name has no config
    code, _, _ = refused(proton(world).get_template_sync_config, templateName="web", templateType="SERVICE")
    assert code == "ResourceNotFoundException"


def test_definitions_list_a_links_configs_by_type_then_name(world: World) -> None:
    link(world)
    env_template(world, "vpc")
    env_template(world, "net")
    service_template(world, "web")
    configure(world, templateName="web", templateType="SERVICE", subdirectory="services")
    configure(world, templateName="vpc")
    configure(world, templateName="net", branch="dev")
    assert definitions(world) == [
        {"branch": "dev", "directory": "/", "parent": "net", "target": "ENVIRONMENT/net"},
        {"branch": "main", "directory": "/", "parent": "vpc", "target": "ENVIRONMENT/vpc"},
        {"branch": "main", "directory": "services", "parent": "web", "target": "SERVICE/web"},
    ]
    assert definitions(world, name="acme/unlinked") == []
    assert refused(
        proton(world).list_repository_sync_definitions,
        repositoryProvider="GITHUB",
        repositoryName="acme/templates",
        syncType="SERVICE_SYNC",
    ) == ("ValidationException", "Only TEMPLATE_SYNC is supported", 400)
    assert (
        proton(world, OTHER_ACCOUNT).list_repository_sync_definitions(
            repositoryProvider="GITHUB", repositoryName="acme/templates", syncType="TEMPLATE_SYNC"
        )["syncDefinitions"]
        == []
    )


def test_a_link_a_config_syncs_from_cannot_be_deleted(world: World) -> None:
    link(world)
    env_template(world)
    configure(world)
    assert refused(proton(world).delete_repository, provider="GITHUB", name="acme/templates") == (
        "ConflictException",
        "Repository GITHUB:acme/templates is in use by template sync config ENVIRONMENT/vpc; it cannot be unlinked.",
        400,
    )
    proton(world).delete_template_sync_config(**VPC)
    assert proton(world).delete_repository(provider="GITHUB", name="acme/templates")["repository"]["name"] == (
        "acme/templates"
    )
