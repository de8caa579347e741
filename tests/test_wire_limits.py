"""Hostile and odd input on the wire, in both modes: deep nesting, reordered Authorization parts, over-long
access keys, and a change whose audit record cannot be written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
import pytest

from support import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    ROLE,
    ServerProcess,
    ServerWorld,
    World,
    audit_entries,
)

NAMESPACE = "com.amazonaws.proton.v20200720"
CREATE = "CreateEnvironmentAccountConnection"
LIST = "ListEnvironmentAccountConnections"
DEEP = "The request body is nested more than 64 levels deep."


def nested(depth: int) -> bytes:
    """JSON text of exactly `depth` levels of objects and arrays, alternating (built as text: orjson will not
    write values nested this deep)."""
    opening = "".join('{"x":' if level % 2 == 0 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 == 0 else "]" for level in reversed(range(depth)))
    return f'{opening}"leaf"{closing}'.encode()


def body_with(params: dict[str, Any], marker: str, value: bytes) -> bytes:
    """`params` as JSON with the string `marker` replaced by the raw JSON `value`."""
    return orjson.dumps(params).replace(orjson.dumps(marker), value)


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status, body["__type"].split("#")[-1], body["message"]


def create_params(**members: Any) -> dict[str, Any]:
    return {"environmentName": "dev", "managementAccountId": MGMT_ACCOUNT, "roleArn": ROLE, **members}


def connections(world: World, account: str = ENV_ACCOUNT) -> list[dict[str, Any]]:
    response = world.call(LIST, {"requestedBy": "ENVIRONMENT_ACCOUNT"}, account=account)
    assert response.status == 200, response.body
    return response.json()["environmentAccountConnections"]


# -- nesting -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [65, 500, 5000])
def test_a_deeply_nested_union_is_a_serialization_error(world: World, depth: int) -> None:
    world.client(MGMT_ACCOUNT).create_environment_template(name="web")
    body = body_with({"templateName": "web", "source": {"s3": "DEEP"}}, "DEEP", nested(depth - 2))
    response = world.call("CreateEnvironmentTemplateVersion", body, account=MGMT_ACCOUNT)
    assert error(response) == (400, "SerializationException", DEEP)


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_deeply_nested_unknown_member_of_a_tag_is_a_serialization_error(world: World, depth: int) -> None:
    tags = [{"key": "team", "value": "a", "extra": "DEEP"}]
    response = world.call(CREATE, body_with(create_params(tags=tags), "DEEP", nested(depth)))
    assert error(response) == (400, "SerializationException", DEEP)
    assert connections(world) == []


def test_a_body_nested_exactly_64_levels_deep_is_read(world: World) -> None:
    # The body is level 1, `tags` level 2, the tag level 3: the unknown member takes the other 61.
    params = create_params(tags=[{"key": "team", "value": "a", "extra": "DEEP"}])
    response = world.call(CREATE, body_with(params, "DEEP", nested(61)))
    assert response.status == 200, response.body
    params["environmentName"] = "other"
    too_deep = world.call(CREATE, body_with(params, "DEEP", nested(62)))
    assert error(too_deep) == (400, "SerializationException", DEEP)


# -- identity ------------------------------------------------------------------------------------------------


def authorization(account: str, *, credential_first: bool) -> str:
    credential = f"Credential={account}/20261201/us-east-1/proton/aws4_request"
    signed = "SignedHeaders=content-type;host;x-amz-date;x-amz-target"
    signature = "Signature=" + "0" * 64
    parts = [credential, signed, signature] if credential_first else [signed, credential, signature]
    return "AWS4-HMAC-SHA256 " + ", ".join(parts)


def test_identity_comes_from_the_credential_wherever_it_stands(world: World) -> None:
    created = []
    for account in ("444444444444", "555555555555"):
        headers = {"authorization": authorization(account, credential_first=False)}
        response = world.call(CREATE, create_params(), headers=headers)
        assert response.status == 200, response.body
        created.append(response.json()["environmentAccountConnection"])
    assert [item["environmentAccountId"] for item in created] == ["444444444444", "555555555555"]
    assert [item["id"] for item in connections(world, "555555555555")] == [created[1]["id"]]


def test_an_access_key_over_128_characters_is_refused_before_anything_is_written(world: World) -> None:
    headers = {"authorization": authorization("K" * 129, credential_first=True)}
    response = world.call(CREATE, create_params(), headers=headers)
    assert error(response) == (
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    assert connections(world, "123456789012") == []
    assert audit_entries(world) == []
    longest = {"authorization": authorization("K" * 128, credential_first=True)}
    assert world.call(CREATE, create_params(), headers=longest).status == 200


# -- the audit record commits with the change ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def refusing_audit(request: pytest.FixtureRequest) -> Iterator[World]:
    """A server whose database refuses, for real, to store the audit record of TagResource."""
    server: ServerProcess = request.getfixturevalue("server" if request.param == "sqlite" else "postgres_server")
    assert server.request("POST", "/_openproton/reset", {}, b"").status == 200
    if request.param == "sqlite":
        path = server.database.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            db.execute(
                "CREATE TRIGGER refuse_tag_audit BEFORE INSERT ON audit_log WHEN NEW.operation = 'TagResource' "
                "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )
        yield ServerWorld(server)
        with sqlite3.connect(path) as db:
            db.execute("DROP TRIGGER refuse_tag_audit")
        return
    with psycopg.connect(server.database, autocommit=True) as db:
        db.execute(
            "CREATE FUNCTION refuse_tag_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.operation = 'TagResource' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$"
        )
        db.execute(
            "CREATE TRIGGER refuse_tag_audit BEFORE INSERT ON audit_log FOR EACH ROW "
            "EXECUTE FUNCTION refuse_tag_audit()"
        )
    yield ServerWorld(server)
    with psycopg.connect(server.database, autocommit=True) as db:
        db.execute("DROP TRIGGER refuse_tag_audit ON audit_log")
        db.execute("DROP FUNCTION refuse_tag_audit()")


def test_a_change_whose_audit_record_fails_is_not_committed(refusing_audit: World) -> None:
    world = refusing_audit
    created = world.call(CREATE, create_params())
    assert created.status == 200, created.body
    arn = created.json()["environmentAccountConnection"]["arn"]
    tagged = world.call("TagResource", {"resourceArn": arn, "tags": [{"key": "team", "value": "a"}]})
    assert error(tagged)[:2] == (500, "InternalServerException")
    listed = world.call("ListTagsForResource", {"resourceArn": arn})
    assert listed.json() == {"tags": []}
    assert [entry["operation"] for entry in audit_entries(world)] == [CREATE]
