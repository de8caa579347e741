"""Tags on connection ARNs, client tokens on Create, and the status-change event log."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, ROLE, World, create_connection, error_of

# -- tags ------------------------------------------------------------------------------------------------


def test_the_environment_account_tags_untags_and_lists_tags(world: World) -> None:
    created = create_connection(world, tags=[{"key": "team", "value": "a"}])
    client = world.client(ENV_ACCOUNT)
    client.tag_resource(resourceArn=created["arn"], tags=[{"key": "team", "value": "b"}, {"key": "tier", "value": "1"}])
    assert client.list_tags_for_resource(resourceArn=created["arn"])["tags"] == [
        {"key": "team", "value": "b"},
        {"key": "tier", "value": "1"},
    ]
    client.untag_resource(resourceArn=created["arn"], tagKeys=["team", "absent"])
    assert client.list_tags_for_resource(resourceArn=created["arn"])["tags"] == [{"key": "tier", "value": "1"}]


def test_the_management_account_may_not_manage_tags(world: World) -> None:
    created = create_connection(world, tags=[{"key": "team", "value": "a"}])
    client = world.client(MGMT_ACCOUNT)
    calls = (
        ("tag", lambda: client.tag_resource(resourceArn=created["arn"], tags=[{"key": "x", "value": "y"}])),
        ("untag", lambda: client.untag_resource(resourceArn=created["arn"], tagKeys=["team"])),
        ("list the tags of", lambda: client.list_tags_for_resource(resourceArn=created["arn"])),
    )
    for verb, call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "AccessDeniedException",
            f"Only the environment account {ENV_ACCOUNT} can {verb} environment account connection {created['id']}",
            400,
        )
    assert world.client(ENV_ACCOUNT).list_tags_for_resource(resourceArn=created["arn"])["tags"] == [
        {"key": "team", "value": "a"}
    ]


def test_other_accounts_and_regions_cannot_find_the_arn(world: World) -> None:
    created = create_connection(world)
    for client in (world.client(OTHER_ACCOUNT), world.client(ENV_ACCOUNT, "eu-west-1")):
        with pytest.raises(ClientError) as excinfo:
            client.list_tags_for_resource(resourceArn=created["arn"])
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            f"The requested resource does not exist: {created['arn']}"
            if client is not world.client(OTHER_ACCOUNT)
            else f"The requested environment account connection does not exist: {created['id']}",
            400,
        )


def test_an_arn_of_no_proton_resource_is_not_found(world: World) -> None:
    client = world.client(ENV_ACCOUNT)
    for arn in (
        ROLE,
        f"arn:aws:proton:{REGION}:{ENV_ACCOUNT}:environment/none",
        f"arn:aws:proton:{REGION}:{ENV_ACCOUNT}:environment-account-connection/{uuid.uuid4()}",
    ):
        with pytest.raises(ClientError) as excinfo:
            client.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
        assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_tags_of_a_deleted_connection_are_gone(world: World) -> None:
    created = create_connection(world, tags=[{"key": "team", "value": "a"}])
    world.client(ENV_ACCOUNT).delete_environment_account_connection(id=created["id"])
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).list_tags_for_resource(resourceArn=created["arn"])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_tagging_past_fifty_tags_or_with_reserved_keys_is_rejected(world: World) -> None:
    created = create_connection(world, tags=[{"key": f"k{i}", "value": "v"} for i in range(30)])
    client = world.client(ENV_ACCOUNT)
    with pytest.raises(ClientError) as excinfo:
        client.tag_resource(resourceArn=created["arn"], tags=[{"key": f"n{i}", "value": "v"} for i in range(21)])
    assert error_of(excinfo) == (
        "ValidationException",
        f"A resource can have at most 50 tags; this request would leave {created['arn']} with 51.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        client.untag_resource(resourceArn=created["arn"], tagKeys=["aws:cloudformation:stack-name"])
    assert error_of(excinfo) == (
        "ValidationException",
        "Tag keys starting with 'aws:' are reserved for AWS: aws:cloudformation:stack-name",
        400,
    )
    assert len(client.list_tags_for_resource(resourceArn=created["arn"])["tags"]) == 30


def test_list_tags_pages_in_key_order(world: World) -> None:
    created = create_connection(world, tags=[{"key": f"k{i:02d}", "value": str(i)} for i in range(7)])
    client = world.client(ENV_ACCOUNT)
    first = client.list_tags_for_resource(resourceArn=created["arn"], maxResults=4)
    second = client.list_tags_for_resource(resourceArn=created["arn"], maxResults=4, nextToken=first["nextToken"])
    assert [tag["key"] for tag in first["tags"]] == ["k00", "k01", "k02", "k03"]
    assert [tag["key"] for tag in second["tags"]] == ["k04", "k05", "k06"]
    assert "nextToken" not in second


# -- client tokens ---------------------------------------------------------------------------------------


def _create_with_token(world: World, token: str, **overrides: object) -> dict:
    params = {"environmentName": "dev", "managementAccountId": MGMT_ACCOUNT, "roleArn": ROLE, "clientToken": token}
    params.update(overrides)
    return world.client(ENV_ACCOUNT).create_environment_account_connection(**params)["environmentAccountConnection"]


def test_a_retry_with_the_same_token_returns_the_first_connection(world: World) -> None:
    first = _create_with_token(world, "token-1")
    again = _create_with_token(world, "token-1")
    assert again == first
    listed = world.client(ENV_ACCOUNT).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    assert [item["id"] for item in listed["environmentAccountConnections"]] == [first["id"]]
    assert len(world.events()) == 1


def test_a_retry_returns_the_connection_as_it_is_now(world: World) -> None:
    first = _create_with_token(world, "token-2")
    world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=first["id"])
    again = _create_with_token(world, "token-2")
    assert again["id"] == first["id"]
    assert again["status"] == "CONNECTED"


def test_a_token_reused_with_other_parameters_is_a_validation_error(world: World) -> None:
    _create_with_token(world, "token-3")
    with pytest.raises(ClientError) as excinfo:
        _create_with_token(world, "token-3", environmentName="other")
    assert error_of(excinfo) == (
        "ValidationException",
        "The client token token-3 was already used with different parameters (idempotent parameter mismatch).",
        400,
    )


def test_a_retry_uses_no_quota(world: World) -> None:
    for number in range(4):
        create_connection(world, name=f"q{number}")
    first = _create_with_token(world, "token-4", environmentName="q4")
    assert _create_with_token(world, "token-4", environmentName="q4") == first


def test_a_token_whose_connection_was_deleted_creates_a_new_one(world: World) -> None:
    first = _create_with_token(world, "token-5")
    world.client(ENV_ACCOUNT).delete_environment_account_connection(id=first["id"])
    again = _create_with_token(world, "token-5")
    assert again["id"] != first["id"]
    assert again["status"] == "PENDING"


def test_tokens_are_per_account_and_region(world: World) -> None:
    mine = _create_with_token(world, "token-6")
    theirs = world.client(OTHER_ACCOUNT).create_environment_account_connection(
        environmentName="dev",
        managementAccountId=MGMT_ACCOUNT,
        roleArn=ROLE,
        clientToken="token-6",
    )["environmentAccountConnection"]
    west = world.client(ENV_ACCOUNT, "us-west-2").create_environment_account_connection(
        environmentName="dev",
        managementAccountId=MGMT_ACCOUNT,
        roleArn=ROLE,
        clientToken="token-6",
    )["environmentAccountConnection"]
    assert len({mine["id"], theirs["id"], west["id"]}) == 3


def test_boto3_fills_in_a_client_token_so_identical_calls_without_one_are_distinct(world: World) -> None:
    first = create_connection(world, name="a")
    second = create_connection(world, name="b")
    assert first["id"] != second["id"]


# -- events ----------------------------------------------------------------------------------------------


def test_every_status_change_is_an_event_in_order(world: World) -> None:
    first = create_connection(world, name="one")
    second = create_connection(world, name="two")
    env, mgmt = world.client(ENV_ACCOUNT), world.client(MGMT_ACCOUNT)
    mgmt.accept_environment_account_connection(id=first["id"])
    mgmt.accept_environment_account_connection(id=first["id"])  # no change, no event
    env.update_environment_account_connection(id=first["id"], roleArn=ROLE)  # no status change, no event
    mgmt.reject_environment_account_connection(id=second["id"])
    env.delete_environment_account_connection(id=first["id"])
    env.delete_environment_account_connection(id=first["id"])  # already deleted, no event
    events = world.events()
    assert [(e["environmentAccountConnectionId"], e["previousStatus"], e["status"]) for e in events] == [
        (first["id"], None, "PENDING"),
        (second["id"], None, "PENDING"),
        (first["id"], "PENDING", "CONNECTED"),
        (second["id"], "PENDING", "REJECTED"),
        (first["id"], "CONNECTED", "DELETED"),
    ]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    times = [e["time"] for e in events]
    assert times == sorted(times)
    assert all(
        e["environmentAccountId"] == ENV_ACCOUNT and e["managementAccountId"] == MGMT_ACCOUNT and e["region"] == REGION
        for e in events
    )


def test_failed_calls_record_no_event(world: World) -> None:
    created = create_connection(world)
    with pytest.raises(ClientError):
        world.client(ENV_ACCOUNT).accept_environment_account_connection(id=created["id"])
    with pytest.raises(ClientError):
        create_connection(world)  # conflicts
    assert [e["status"] for e in world.events()] == ["PENDING"]
