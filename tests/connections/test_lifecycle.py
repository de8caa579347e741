"""Accept, Reject, Update and Delete: who may do each, and what each does to the status."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, World, create_connection, error_of

CODEBUILD = f"arn:aws:iam::{ENV_ACCOUNT}:role/codebuild"
COMPONENT = f"arn:aws:iam::{ENV_ACCOUNT}:role/component"
NEW_ROLE = f"arn:aws:iam::{ENV_ACCOUNT}:role/new-role"


def test_accept_connects_a_pending_connection_and_moves_only_last_modified(world: World) -> None:
    created = create_connection(world)
    accepted = world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=created["id"])
    connection = accepted["environmentAccountConnection"]
    assert connection["status"] == "CONNECTED"
    assert connection["requestedAt"] == created["requestedAt"]
    assert connection["lastModifiedAt"] > created["lastModifiedAt"]
    assert {k: v for k, v in connection.items() if k not in ("status", "lastModifiedAt")} == {
        k: v for k, v in created.items() if k not in ("status", "lastModifiedAt")
    }
    assert (
        world.client(ENV_ACCOUNT).get_environment_account_connection(id=created["id"])["environmentAccountConnection"]
        == connection
    )


def test_accepting_a_connected_connection_returns_it_unchanged(world: World) -> None:
    created = create_connection(world)
    first = world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=created["id"])
    again = world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=created["id"])
    assert again["environmentAccountConnection"] == first["environmentAccountConnection"]


def test_accepting_a_rejected_connection_conflicts(world: World) -> None:
    created = create_connection(world)
    world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=created["id"])
    with pytest.raises(ClientError) as excinfo:
        world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=created["id"])
    assert error_of(excinfo) == (
        "ConflictException",
        f"Environment account connection {created['id']} is REJECTED and cannot be accepted",
        400,
    )


def test_the_environment_account_cannot_accept_or_reject(world: World) -> None:
    created = create_connection(world)
    for verb, call in (
        ("accept", "accept_environment_account_connection"),
        ("reject", "reject_environment_account_connection"),
    ):
        with pytest.raises(ClientError) as excinfo:
            getattr(world.client(ENV_ACCOUNT), call)(id=created["id"])
        assert error_of(excinfo) == (
            "AccessDeniedException",
            f"Only the management account {MGMT_ACCOUNT} can {verb} environment account connection {created['id']}",
            400,
        )
    assert (
        world.client(ENV_ACCOUNT).get_environment_account_connection(id=created["id"])["environmentAccountConnection"][
            "status"
        ]
        == "PENDING"
    )


def test_a_third_account_cannot_find_the_connection_to_change_it(world: World) -> None:
    created = create_connection(world)
    client = world.client(OTHER_ACCOUNT)
    for call in (
        "accept_environment_account_connection",
        "reject_environment_account_connection",
        "update_environment_account_connection",
        "delete_environment_account_connection",
    ):
        with pytest.raises(ClientError) as excinfo:
            getattr(client, call)(id=created["id"])
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            f"The requested environment account connection does not exist: {created['id']}",
            400,
        )


def test_the_right_party_in_another_region_cannot_find_it(world: World) -> None:
    created = create_connection(world)
    with pytest.raises(ClientError) as excinfo:
        world.client(MGMT_ACCOUNT, "us-west-2").accept_environment_account_connection(id=created["id"])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT, "us-west-2").delete_environment_account_connection(id=created["id"])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_reject_works_on_pending_and_connected_connections(world: World) -> None:
    pending = create_connection(world, name="a")
    connected = create_connection(world, name="b")
    world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=connected["id"])
    for created in (pending, connected):
        rejected = world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=created["id"])
        assert rejected["environmentAccountConnection"]["status"] == "REJECTED"
        assert rejected["environmentAccountConnection"]["lastModifiedAt"] > created["lastModifiedAt"]
        assert rejected["environmentAccountConnection"]["requestedAt"] == created["requestedAt"]


def test_rejecting_a_rejected_connection_returns_it_unchanged(world: World) -> None:
    created = create_connection(world)
    first = world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=created["id"])
    again = world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=created["id"])
    assert again["environmentAccountConnection"] == first["environmentAccountConnection"]


def test_update_replaces_the_roles_given_and_keeps_the_others(world: World) -> None:
    created = create_connection(world, codebuildRoleArn=CODEBUILD, componentRoleArn=COMPONENT)
    world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=created["id"])
    updated = world.client(ENV_ACCOUNT).update_environment_account_connection(id=created["id"], roleArn=NEW_ROLE)
    connection = updated["environmentAccountConnection"]
    assert connection["roleArn"] == NEW_ROLE
    assert connection["codebuildRoleArn"] == CODEBUILD
    assert connection["componentRoleArn"] == COMPONENT
    assert connection["status"] == "CONNECTED"
    assert connection["requestedAt"] == created["requestedAt"]
    assert connection["lastModifiedAt"] > created["lastModifiedAt"]
    assert (
        world.client(MGMT_ACCOUNT).get_environment_account_connection(id=created["id"])["environmentAccountConnection"]
        == connection
    )


def test_update_can_add_a_role_that_was_unset(world: World) -> None:
    created = create_connection(world)
    updated = world.client(ENV_ACCOUNT).update_environment_account_connection(
        id=created["id"], componentRoleArn=COMPONENT
    )
    assert updated["environmentAccountConnection"]["componentRoleArn"] == COMPONENT
    assert updated["environmentAccountConnection"]["status"] == "PENDING"


def test_update_of_a_rejected_connection_conflicts(world: World) -> None:
    created = create_connection(world)
    world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=created["id"])
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).update_environment_account_connection(id=created["id"], roleArn=NEW_ROLE)
    assert error_of(excinfo) == (
        "ConflictException",
        f"Environment account connection {created['id']} is REJECTED and cannot be updated",
        400,
    )


def test_the_management_account_cannot_update_or_delete(world: World) -> None:
    created = create_connection(world)
    for verb, call, extra in (
        ("update", "update_environment_account_connection", {"roleArn": NEW_ROLE}),
        ("delete", "delete_environment_account_connection", {}),
    ):
        with pytest.raises(ClientError) as excinfo:
            getattr(world.client(MGMT_ACCOUNT), call)(id=created["id"], **extra)
        assert error_of(excinfo) == (
            "AccessDeniedException",
            f"Only the environment account {ENV_ACCOUNT} can {verb} environment account connection {created['id']}",
            400,
        )
    got = world.client(ENV_ACCOUNT).get_environment_account_connection(id=created["id"])
    assert got["environmentAccountConnection"] == created


@pytest.mark.parametrize("status", ["PENDING", "CONNECTED", "REJECTED"])
def test_delete_works_in_every_status_and_returns_the_connection_as_it_was(world: World, status: str) -> None:
    created = create_connection(world)
    if status == "CONNECTED":
        created = world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=created["id"])[
            "environmentAccountConnection"
        ]
    elif status == "REJECTED":
        created = world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=created["id"])[
            "environmentAccountConnection"
        ]
    deleted = world.client(ENV_ACCOUNT).delete_environment_account_connection(id=created["id"])
    assert deleted["environmentAccountConnection"] == created
    for account in (ENV_ACCOUNT, MGMT_ACCOUNT):
        with pytest.raises(ClientError) as excinfo:
            world.client(account).get_environment_account_connection(id=created["id"])
        assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_a_repeated_delete_returns_the_last_state(world: World) -> None:
    created = create_connection(world)
    first = world.client(ENV_ACCOUNT).delete_environment_account_connection(id=created["id"])
    again = world.client(ENV_ACCOUNT).delete_environment_account_connection(id=created["id"])
    assert again["environmentAccountConnection"] == first["environmentAccountConnection"] == created


def test_a_deleted_connection_cannot_be_accepted_rejected_or_updated(world: World) -> None:
    created = create_connection(world)
    world.client(ENV_ACCOUNT).delete_environment_account_connection(id=created["id"])
    for account, call, extra in (
        (MGMT_ACCOUNT, "accept_environment_account_connection", {}),
        (MGMT_ACCOUNT, "reject_environment_account_connection", {}),
        (ENV_ACCOUNT, "update_environment_account_connection", {"roleArn": NEW_ROLE}),
    ):
        with pytest.raises(ClientError) as excinfo:
            getattr(world.client(account), call)(id=created["id"], **extra)
        assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_deleting_an_id_that_never_existed_is_not_found(world: World) -> None:
    unknown = "7d9f0c1e-3b2a-4c5d-8e9f-0a1b2c3d4e5f"
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).delete_environment_account_connection(id=unknown)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"The requested environment account connection does not exist: {unknown}",
        400,
    )


def test_last_modified_moves_on_every_change(world: World) -> None:
    created = create_connection(world)
    stamps = [created["lastModifiedAt"]]
    env, mgmt = world.client(ENV_ACCOUNT), world.client(MGMT_ACCOUNT)
    for step in (
        lambda: env.update_environment_account_connection(id=created["id"], roleArn=NEW_ROLE),
        lambda: mgmt.accept_environment_account_connection(id=created["id"]),
        lambda: env.update_environment_account_connection(id=created["id"], componentRoleArn=COMPONENT),
        lambda: mgmt.reject_environment_account_connection(id=created["id"]),
    ):
        stamps.append(step()["environmentAccountConnection"]["lastModifiedAt"])
    assert stamps == sorted(set(stamps)), "each change must move lastModifiedAt forward"
