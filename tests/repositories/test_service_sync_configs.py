"""Service sync configs (repositories-and-sync.md, [decided] Y-14, with Y-3, Y-4 and Y-5), in every mode of `world`."""

from __future__ import annotations

from typing import Any

from repositories.test_links import link
from services.service_helpers import body, create_service, proton, refused, setup
from support import World

CONFIG = {"repositoryProvider": "GITHUB", "repositoryName": "acme/ops", "branch": "main", "filePath": "proton-ops.yaml"}


def configure(world: World, service: str = "shop", **members: Any) -> dict[str, Any]:
    return proton(world).create_service_sync_config(serviceName=service, **{**CONFIG, **members})["serviceSyncConfig"]


def missing(service: str = "shop") -> tuple[str, str, int]:
    return ("ResourceNotFoundException", f"The requested service sync config does not exist: {service}", 400)


def test_a_config_answers_as_given_reads_back_and_is_one_per_service(world: World) -> None:
    setup(world)
    create_service(world)
    link(world, name="acme/ops")
    created = configure(world)
    assert created == {"serviceName": "shop", **CONFIG}
    assert body(proton(world).get_service_sync_config(serviceName="shop")) == {"serviceSyncConfig": created}
    assert configure(world) == created  # [decided] Y-3
    assert refused(proton(world).create_service_sync_config, serviceName="shop", **{**CONFIG, "branch": "dev"}) == (
        "ConflictException",
        "Service shop already has a sync config",
        400,
    )


def test_a_config_needs_the_service_the_link_and_no_dotdot(world: World) -> None:
    setup(world)
    client = proton(world)
    link(world, name="acme/ops")
    assert refused(client.create_service_sync_config, serviceName="shop", **CONFIG) == (
        "ValidationException",
        "Service shop does not exist",
        400,
    )
    create_service(world)
    assert refused(client.create_service_sync_config, serviceName="shop", **{**CONFIG, "repositoryName": "a/b"}) == (
        "ValidationException",
        "Repository GITHUB:a/b is not linked",
        400,
    )
    code, _, status = refused(client.create_service_sync_config, serviceName="shop", **{**CONFIG, "filePath": "../x"})
    assert (code, status) == ("ValidationException", 400)
    assert refused(client.get_service_sync_config, serviceName="shop") == missing()


def test_update_changes_the_config_and_a_missing_one_is_not_found(world: World) -> None:
    setup(world)
    create_service(world)
    link(world, name="acme/ops")
    assert refused(proton(world).update_service_sync_config, serviceName="shop", **CONFIG) == missing()
    configure(world)
    moved = {**CONFIG, "branch": "release", "filePath": "ops/proton.yaml"}
    updated = proton(world).update_service_sync_config(serviceName="shop", **moved)["serviceSyncConfig"]
    assert updated == {"serviceName": "shop", **moved}
    assert proton(world).get_service_sync_config(serviceName="shop")["serviceSyncConfig"] == updated


def test_delete_returns_the_config_keeps_the_instances_and_the_service_takes_it_along(world: World) -> None:
    setup(world)
    create_service(world)
    link(world, name="acme/ops")
    created = configure(world)
    assert refused(proton(world).delete_repository, provider="GITHUB", name="acme/ops") == (
        "ConflictException",
        "Repository GITHUB:acme/ops is in use by service sync config shop; it cannot be unlinked.",
        400,
    )
    assert body(proton(world).delete_service_sync_config(serviceName="shop")) == {"serviceSyncConfig": created}
    assert refused(proton(world).get_service_sync_config, serviceName="shop") == missing()
    assert proton(world).get_service_instance(serviceName="shop", name="shop-dev")["serviceInstance"]["name"]
    configure(world)
    proton(world).delete_service(name="shop")
    assert refused(proton(world).get_service_sync_config, serviceName="shop") == missing()
    create_service(world)  # a new service of the name has no config
    assert refused(proton(world).get_service_sync_config, serviceName="shop") == missing()
