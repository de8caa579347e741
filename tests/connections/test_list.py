"""ListEnvironmentAccountConnections: the two sides, filters, order and paging."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from support import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    OTHER_ACCOUNT,
    World,
    create_connection,
    create_connection_raw,
    error_of,
)


def _ids(response: dict) -> list[str]:
    return [item["id"] for item in response["environmentAccountConnections"]]


def test_each_side_lists_the_connections_it_is_party_to(world: World) -> None:
    mine = create_connection(world, name="a")
    other_env = create_connection(world, account=OTHER_ACCOUNT, name="b")  # also managed by MGMT_ACCOUNT
    elsewhere = create_connection(world, name="c", management=OTHER_ACCOUNT)
    env = world.client(ENV_ACCOUNT).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    mgmt = world.client(MGMT_ACCOUNT).list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")
    assert _ids(env) == [mine["id"], elsewhere["id"]]
    assert _ids(mgmt) == [mine["id"], other_env["id"]]
    assert "nextToken" not in env


def test_list_items_are_summaries_without_the_codebuild_role(world: World) -> None:
    created = create_connection(
        world,
        roleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/r",
        codebuildRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/codebuild",
        componentRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/component",
    )
    listed = world.client(MGMT_ACCOUNT).list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")
    expected = {key: value for key, value in created.items() if key != "codebuildRoleArn"}
    assert listed["environmentAccountConnections"] == [expected]


def test_an_account_that_is_party_to_nothing_sees_nothing(world: World) -> None:
    create_connection(world)
    for requested_by in ("ENVIRONMENT_ACCOUNT", "MANAGEMENT_ACCOUNT"):
        listed = world.client(OTHER_ACCOUNT).list_environment_account_connections(requestedBy=requested_by)
        assert listed["environmentAccountConnections"] == []
    # The management account sees nothing on the environment side, and the other way round.
    assert (
        world.client(MGMT_ACCOUNT).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")[
            "environmentAccountConnections"
        ]
        == []
    )
    assert (
        world.client(ENV_ACCOUNT).list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")[
            "environmentAccountConnections"
        ]
        == []
    )


def test_lists_are_per_region(world: World) -> None:
    create_connection(world, name="east")
    west = create_connection(world, name="west", region="us-west-2")
    listed = world.client(ENV_ACCOUNT, "us-west-2").list_environment_account_connections(
        requestedBy="ENVIRONMENT_ACCOUNT"
    )
    assert _ids(listed) == [west["id"]]


def test_filters_by_environment_name_and_statuses(world: World) -> None:
    a = create_connection(world, name="alpha")
    b = create_connection(world, name="beta")
    c = create_connection(world, name="gamma")
    mgmt = world.client(MGMT_ACCOUNT)
    mgmt.accept_environment_account_connection(id=b["id"])
    mgmt.reject_environment_account_connection(id=c["id"])
    assert _ids(
        mgmt.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", environmentName="beta")
    ) == [b["id"]]
    assert _ids(
        mgmt.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", statuses=["PENDING", "REJECTED"])
    ) == [a["id"], c["id"]]
    assert (
        _ids(
            mgmt.list_environment_account_connections(
                requestedBy="MANAGEMENT_ACCOUNT", statuses=["CONNECTED"], environmentName="alpha"
            )
        )
        == []
    )


def test_deleted_connections_are_not_listed(world: World) -> None:
    kept = create_connection(world, name="kept")
    gone = create_connection(world, name="gone")
    world.client(ENV_ACCOUNT).delete_environment_account_connection(id=gone["id"])
    listed = world.client(ENV_ACCOUNT).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    assert _ids(listed) == [kept["id"]]


def test_order_is_requested_at_then_id_across_pages(world: World) -> None:
    accounts = [f"4444444444{n:02d}" for n in range(12)]
    created = [create_connection_raw(world, account=account, name="shared") for account in accounts]
    mgmt = world.client(MGMT_ACCOUNT)
    pages = []
    token = None
    while True:
        kwargs = {"requestedBy": "MANAGEMENT_ACCOUNT", "maxResults": 5}
        if token:
            kwargs["nextToken"] = token
        page = mgmt.list_environment_account_connections(**kwargs)
        pages.append(page)
        token = page.get("nextToken")
        if not token:
            break
    assert [len(page["environmentAccountConnections"]) for page in pages] == [5, 5, 2]
    items = [item for page in pages for item in page["environmentAccountConnections"]]
    expected = sorted(created, key=lambda item: (item["requestedAt"], item["id"]))
    assert [item["id"] for item in items] == [item["id"] for item in expected]
    tokens = [page["nextToken"] for page in pages[:-1]]
    assert len(set(tokens)) == len(tokens)


def test_the_botocore_paginator_walks_every_item_once_while_connections_change(world: World) -> None:
    accounts = [f"5555555555{n:02d}" for n in range(20)]
    created = [create_connection_raw(world, account=account, name="fleet") for account in accounts]
    paginator = world.client(MGMT_ACCOUNT).get_paginator("list_environment_account_connections")
    seen: list[dict] = []
    late = None
    for number, page in enumerate(
        paginator.paginate(requestedBy="MANAGEMENT_ACCOUNT", PaginationConfig={"PageSize": 3})
    ):
        seen += page["environmentAccountConnections"]
        if number == 1:
            # Between pages: delete one not yet seen and create a new one; neither may upset the walk.
            deleted = world.call("DeleteEnvironmentAccountConnection", {"id": created[-1]["id"]}, account=accounts[-1])
            assert deleted.status == 200
            late = create_connection_raw(world, account="555555555599", name="late")
    seen_ids = [item["id"] for item in seen]
    assert len(seen_ids) == len(set(seen_ids)), "no item twice"
    assert seen_ids == [item["id"] for item in sorted(seen, key=lambda item: (item["requestedAt"], item["id"]))]
    # Every connection that lived through the walk is seen; the deleted one is not.
    assert set(seen_ids) - {late["id"]} == {item["id"] for item in created[:-1]}
    # A connection created mid-walk sorts after everything already returned, unless it shares their millisecond.
    assert late["id"] in seen_ids or late["requestedAt"] == seen[5]["requestedAt"].timestamp()


def test_max_results_defaults_to_one_hundred(world: World) -> None:
    for number in range(101):
        create_connection_raw(world, account=f"6666666{number:05d}", name="many")
    page = world.client(MGMT_ACCOUNT).list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")
    assert len(page["environmentAccountConnections"]) == 100
    assert "nextToken" in page


def test_list_requires_requested_by(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT, validate=False).list_environment_account_connections()
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value null at 'requestedBy' failed to satisfy constraint: Member must not "
        "be null",
        400,
    )


def test_an_unknown_status_filter_is_a_validation_error(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).list_environment_account_connections(
            requestedBy="ENVIRONMENT_ACCOUNT", statuses=["PENDING", "ACTIVE"]
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '[PENDING, ACTIVE]' at 'statuses' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must satisfy enum value set: [PENDING, CONNECTED, REJECTED]]",
        400,
    )


def test_a_token_from_another_query_is_a_validation_error(world: World) -> None:
    for number in range(3):
        create_connection(world, name=f"e{number}")
    client = world.client(ENV_ACCOUNT)
    token = client.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT", maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as excinfo:
        client.list_environment_account_connections(
            requestedBy="ENVIRONMENT_ACCOUNT", statuses=["PENDING"], nextToken=token
        )
    assert error_of(excinfo) == ("ValidationException", "The nextToken is not valid for this request.", 400)
    with pytest.raises(ClientError) as excinfo:
        world.client(MGMT_ACCOUNT).list_environment_account_connections(
            requestedBy="ENVIRONMENT_ACCOUNT", nextToken=token
        )
    assert error_of(excinfo)[0] == "ValidationException"


def test_several_bad_status_filters_are_one_item_at_the_list(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT, validate=False).list_environment_account_connections(
            requestedBy="ENVIRONMENT_ACCOUNT", statuses=["BOGUS", "PENDING", "ACTIVE", ""]
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '[BOGUS, PENDING, ACTIVE, ]' at 'statuses' failed to satisfy "
        "constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[PENDING, CONNECTED, REJECTED]]",
        400,
    )
