"""The wire rules of ../shared/spec/wire.md, over raw HTTP, in both modes (in-process and `openproton serve`)."""

from __future__ import annotations

import base64
import re
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from openproton import mock_proton
from support import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    ROLE,
    TARGET_PREFIX,
    InProcessWorld,
    RawResponse,
    World,
    create_connection,
)

NAMESPACE = "com.amazonaws.proton.v20200720"
JSON_1_0 = "application/x-amz-json-1.0"
DEFAULT_ACCOUNT = "123456789012"
LIST = "ListEnvironmentAccountConnections"
CREATE = "CreateEnvironmentAccountConnection"
UNKNOWN_ID = "0b0e9c4e-2a5b-4c51-9d2c-5d2f1f0e8a11"
ONE_MIB = 1024 * 1024
TOKEN = re.compile(r"[A-Za-z0-9+=/]+")
INVALID_TOKEN = "The nextToken is not valid for this request."
ENUM_REQUESTED_BY = "Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]"


# -- helpers -------------------------------------------------------------------------------------------------


def assert_uuid4(text: str) -> None:
    parsed = uuid.UUID(text)
    assert parsed.version == 4
    assert str(parsed) == text  # canonical, lower-case form


def assert_common_headers(response: RawResponse) -> None:
    assert response.headers["content-type"] == JSON_1_0
    assert_uuid4(response.headers["x-amzn-requestid"])
    sent = parsedate_to_datetime(response.headers["date"])
    assert sent.tzinfo is not None
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 60


def assert_error(response: RawResponse, name: str, status: int, message: str | None = None) -> str:
    """An AWS JSON 1.0 error: exact envelope, agreeing header, request id; returns the message."""
    assert response.status == status, response.body
    assert_common_headers(response)
    assert response.headers["x-amzn-errortype"] == name
    body = response.json()
    assert sorted(body) == ["__type", "message"], body
    assert body["__type"] == f"{NAMESPACE}#{name}"
    assert isinstance(body["message"], str)
    assert body["message"]
    if message is not None:
        assert body["message"] == message
    return body["message"]


def headers_for(target: str | None = TARGET_PREFIX + LIST, content_type: str | None = JSON_1_0) -> dict[str, str]:
    """Headers without any Authorization: the anonymous caller."""
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["content-type"] = content_type
    if target is not None:
        headers["x-amz-target"] = target
    return headers


def assert_no_nulls(value: Any) -> None:
    assert value is not None
    if isinstance(value, dict):
        for item in value.values():
            assert_no_nulls(item)
    elif isinstance(value, list):
        for item in value:
            assert_no_nulls(item)


def assert_epoch_seconds(value: Any) -> None:
    assert isinstance(value, int | float)
    assert not isinstance(value, bool)
    assert Decimal(str(value)).as_tuple().exponent >= -3  # at most milliseconds
    assert abs(time.time() - value) < 60


def list_params(**members: Any) -> dict[str, Any]:
    return {"requestedBy": "ENVIRONMENT_ACCOUNT", **members}


def create_params(name: str = "dev", **members: Any) -> dict[str, Any]:
    return {"environmentName": name, "managementAccountId": MGMT_ACCOUNT, "roleArn": ROLE, **members}


def env_arn(region: str, account: str, connection_id: str) -> str:
    return f"arn:aws:proton:{region}:{account}:environment-account-connection/{connection_id}"


# -- successful responses ------------------------------------------------------------------------------------


def test_success_has_json_content_type_request_id_and_date(world: World) -> None:
    response = world.call(LIST, list_params())
    assert response.status == 200
    assert_common_headers(response)
    assert "x-amzn-errortype" not in response.headers
    assert response.json() == {"environmentAccountConnections": []}


def test_request_ids_differ_per_request(world: World) -> None:
    ids = {world.call(LIST, list_params()).headers["x-amzn-requestid"] for _ in range(3)}
    ids.add(world.call(LIST, {}).headers["x-amzn-requestid"])
    assert len(ids) == 4
    for request_id in ids:
        assert_uuid4(request_id)


def test_timestamps_are_epoch_second_numbers_and_absent_members_are_omitted(world: World) -> None:
    response = world.call(CREATE, create_params())
    assert response.status == 200, response.body
    assert b"null" not in response.body
    body = response.json()
    assert_no_nulls(body)
    connection = body["environmentAccountConnection"]
    assert_epoch_seconds(connection["requestedAt"])
    assert_epoch_seconds(connection["lastModifiedAt"])
    assert connection == {
        "arn": env_arn(REGION, ENV_ACCOUNT, connection["id"]),
        "environmentAccountId": ENV_ACCOUNT,
        "environmentName": "dev",
        "id": connection["id"],
        "lastModifiedAt": connection["requestedAt"],
        "managementAccountId": MGMT_ACCOUNT,
        "requestedAt": connection["requestedAt"],
        "roleArn": ROLE,
        "status": "PENDING",
    }


def test_list_items_have_numeric_timestamps_and_no_nulls(world: World) -> None:
    create_connection(world)
    response = world.call(LIST, list_params())
    assert response.status == 200
    assert b"null" not in response.body
    body = response.json()
    assert sorted(body) == ["environmentAccountConnections"]  # no nextToken on the last page
    [item] = body["environmentAccountConnections"]
    assert_no_nulls(item)
    assert_epoch_seconds(item["requestedAt"])
    assert_epoch_seconds(item["lastModifiedAt"])
    assert "codebuildRoleArn" not in item
    assert "componentRoleArn" not in item


def test_an_operation_without_output_members_returns_an_empty_object(world: World) -> None:
    created = create_connection(world)
    response = world.call("TagResource", {"resourceArn": created["arn"], "tags": [{"key": "team", "value": "a"}]})
    assert response.status == 200, response.body
    assert_common_headers(response)
    assert response.body == b"{}"


# -- the error envelope --------------------------------------------------------------------------------------


def test_validation_exception_envelope(world: World) -> None:
    response = world.call("GetEnvironmentAccountConnection", {"id": "not-a-uuid"})
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    )
    assert b'"code"' not in response.body


def test_resource_not_found_exception_envelope(world: World) -> None:
    response = world.call("GetEnvironmentAccountConnection", {"id": UNKNOWN_ID})
    assert_error(
        response,
        "ResourceNotFoundException",
        400,
        f"The requested environment account connection does not exist: {UNKNOWN_ID}",
    )


def test_access_denied_exception_envelope(world: World) -> None:
    created = create_connection(world)
    response = world.call(
        "UpdateEnvironmentAccountConnection", {"id": created["id"], "roleArn": ROLE}, account=MGMT_ACCOUNT
    )
    message = assert_error(response, "AccessDeniedException", 400)
    assert created["id"] in message


def test_conflict_exception_envelope(world: World) -> None:
    create_connection(world)
    response = world.call(CREATE, create_params())
    message = assert_error(response, "ConflictException", 400)
    assert "dev" in message


def test_service_quota_exceeded_exception_envelope(world: World) -> None:
    for index in range(5):
        assert world.call(CREATE, create_params(f"env{index}")).status == 200
    response = world.call(CREATE, create_params("env5"))
    assert_error(response, "ServiceQuotaExceededException", 400)


# -- protocol errors -----------------------------------------------------------------------------------------


def test_missing_target_is_unknown_operation(world: World) -> None:
    response = world.raw("POST", "/", headers_for(target=None), orjson.dumps(list_params()))
    assert_error(response, "UnknownOperationException", 400)


@pytest.mark.parametrize(
    "target",
    [
        "AwsProton20200720",
        "AwsProton20200720.",
        "ListEnvironmentAccountConnections",
        "AwsProton20200720.NoSuchOperation",
        "AwsProton20200720.listEnvironmentAccountConnections",
        "AmazonEC2.ListEnvironmentAccountConnections",
        "awsproton20200720.ListEnvironmentAccountConnections",
        "",
    ],
)
def test_malformed_or_unknown_target_is_unknown_operation(world: World, target: str) -> None:
    response = world.raw("POST", "/", headers_for(target=target), orjson.dumps(list_params()))
    assert_error(response, "UnknownOperationException", 400)


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_non_post_is_404_unknown_operation_with_json_body(world: World, method: str) -> None:
    response = world.raw(method, "/", headers_for(), orjson.dumps(list_params()))
    assert_error(response, "UnknownOperationException", 404)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_non_json_content_type_is_404_unknown_operation(world: World, content_type: str) -> None:
    response = world.raw("POST", "/", headers_for(content_type=content_type), orjson.dumps(list_params()))
    assert_error(response, "UnknownOperationException", 404)


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"5", b"true", b"{", b'{"requestedBy": }', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_a_serialization_error(world: World, body: bytes) -> None:
    response = world.call(LIST, body)
    assert_error(response, "SerializationException", 400)


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        ("GetEnvironmentAccountConnection", {"id": 5}, "Expected a string at 'id' but found a number."),
        (LIST, list_params(maxResults="10"), "Expected an integer at 'maxResults' but found a string."),
        (LIST, list_params(statuses="PENDING"), "Expected an array at 'statuses' but found a string."),
        (LIST, {"requestedBy": ["ENVIRONMENT_ACCOUNT"]}, "Expected a string at 'requestedBy' but found an array."),
        (CREATE, create_params(tags={"k": "v"}), "Expected an array at 'tags' but found an object."),
        (
            CREATE,
            create_params(tags=[{"key": 1, "value": "v"}]),
            "Expected a string at 'tags.1.member.key' but found a number.",
        ),
    ],
)
def test_member_of_the_wrong_json_type_is_a_serialization_error(
    world: World, operation: str, params: dict[str, Any], message: str
) -> None:
    assert_error(world.call(operation, params), "SerializationException", 400, message)


def test_body_over_one_mib_is_413_serialization_error(world: World) -> None:
    body = b'{"requestedBy": "ENVIRONMENT_ACCOUNT"' + b" " * ONE_MIB + b"}"
    response = world.call(LIST, body)
    assert_error(response, "SerializationException", 413)


def test_body_of_exactly_one_mib_is_accepted(world: World) -> None:
    start = b'{"requestedBy": "ENVIRONMENT_ACCOUNT"'
    body = start + b" " * (ONE_MIB - len(start) - 1) + b"}"
    assert len(body) == ONE_MIB
    response = world.call(LIST, body)
    assert response.status == 200, response.body
    assert response.json() == {"environmentAccountConnections": []}


# -- order of checks -----------------------------------------------------------------------------------------


def test_bad_content_type_wins_over_a_missing_target(world: World) -> None:
    response = world.raw("POST", "/", headers_for(target=None, content_type="text/plain"), b"{}")
    assert_error(response, "UnknownOperationException", 404)


def test_non_post_wins_over_invalid_json(world: World) -> None:
    response = world.raw("GET", "/", headers_for(), b"{")
    assert_error(response, "UnknownOperationException", 404)


def test_bad_content_type_wins_over_an_oversized_body(world: World) -> None:
    body = b"{" + b" " * ONE_MIB + b"}"
    response = world.raw("POST", "/", headers_for(content_type="text/plain"), body)
    assert_error(response, "UnknownOperationException", 404)


def test_invalid_json_wins_over_an_unknown_target(world: World) -> None:
    response = world.raw("POST", "/", headers_for(target=TARGET_PREFIX + "NoSuchOperation"), b"{")
    assert_error(response, "SerializationException", 400)


def test_invalid_json_wins_over_a_missing_target(world: World) -> None:
    response = world.raw("POST", "/", headers_for(target=None), b"[1, 2]")
    assert_error(response, "SerializationException", 400)


def test_type_error_wins_over_constraint_errors(world: World) -> None:
    response = world.call(LIST, {"requestedBy": "NOBODY", "maxResults": "ten", "environmentName": "-bad"})
    assert_error(response, "SerializationException", 400, "Expected an integer at 'maxResults' but found a string.")


def test_type_error_wins_over_a_missing_required_member(world: World) -> None:
    response = world.call(LIST, {"maxResults": "ten"})
    assert_error(response, "SerializationException", 400, "Expected an integer at 'maxResults' but found a string.")


def test_constraint_error_wins_over_not_implemented(world: World) -> None:
    response = world.call("GetEnvironment", {"name": "-bad"})
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value '-bad' at 'name' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$",
    )


# -- lenient parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/x-amz-json-1.0; charset=utf-8",
        "application/x-amz-json-1.0;charset=UTF-8",
        "APPLICATION/X-AMZ-JSON-1.0",
        "application/json; charset=utf-8",
    ],
)
def test_json_content_types_are_accepted(world: World, content_type: str) -> None:
    response = world.call(LIST, list_params(), headers={"content-type": content_type})
    assert response.status == 200, response.body
    assert response.headers["content-type"] == JSON_1_0
    assert response.json() == {"environmentAccountConnections": []}


def test_missing_content_type_is_read_as_json(world: World) -> None:
    response = world.raw("POST", "/", headers_for(content_type=None), orjson.dumps(list_params()))
    assert response.status == 200, response.body
    assert response.json() == {"environmentAccountConnections": []}


@pytest.mark.parametrize("body", [b"", b"  \n"])
def test_empty_body_means_an_empty_object(world: World, body: bytes) -> None:
    response = world.call(LIST, body)
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value null at 'requestedBy' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_null_members_are_absent(world: World) -> None:
    create_connection(world)
    params = list_params(environmentName=None, maxResults=None, nextToken=None, statuses=None)
    response = world.call(LIST, params)
    assert response.status == 200, response.body
    [item] = response.json()["environmentAccountConnections"]
    assert item["environmentName"] == "dev"


def test_null_required_member_is_reported_as_null(world: World) -> None:
    response = world.call(LIST, {"requestedBy": None})
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value null at 'requestedBy' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_unknown_members_are_ignored(world: World) -> None:
    response = world.call(LIST, list_params(bogus=1, Nested={"x": [1, None]}, requestedby="nonsense"))
    assert response.status == 200, response.body
    assert response.json() == {"environmentAccountConnections": []}


def test_unknown_members_in_the_result_of_a_write_are_not_stored_or_echoed(world: World) -> None:
    response = world.call(CREATE, create_params(extra="x", status="CONNECTED"))
    assert response.status == 200, response.body
    connection = response.json()["environmentAccountConnection"]
    assert "extra" not in connection
    assert connection["status"] == "PENDING"


@pytest.mark.parametrize("path", ["/some/path", "/", "/proton/", "/?Action=Nothing"])
def test_routing_uses_the_target_header_not_the_path(world: World, path: str) -> None:
    response = world.raw("POST", path, headers_for(), orjson.dumps(list_params()))
    assert response.status == 200, response.body
    assert response.json() == {"environmentAccountConnections": []}


def test_header_names_are_case_insensitive(world: World) -> None:
    headers = {"Content-Type": JSON_1_0, "X-AMZ-TARGET": TARGET_PREFIX + LIST}
    response = world.raw("POST", "/", headers, orjson.dumps(list_params()))
    assert response.status == 200, response.body
    assert response.json() == {"environmentAccountConnections": []}


# -- validation wording --------------------------------------------------------------------------------------


def test_enum_violation_lists_the_values_in_model_order(world: World) -> None:
    response = world.call(LIST, {"requestedBy": "NOBODY"})
    assert_error(
        response,
        "ValidationException",
        400,
        f"1 validation error detected: Value 'NOBODY' at 'requestedBy' failed to satisfy constraint: "
        f"{ENUM_REQUESTED_BY}",
    )


def test_enum_violation_inside_a_list_of_scalars_is_one_item_at_the_list(world: World) -> None:
    response = world.call(LIST, list_params(statuses=["PENDING", "GONE"]))
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value '[PENDING, GONE]' at 'statuses' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must satisfy enum value set: [PENDING, CONNECTED, REJECTED]]",
    )


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (-5, "Member must have value greater than or equal to 1"),
        (101, "Member must have value less than or equal to 100"),
    ],
)
def test_max_results_range(world: World, value: int, rule: str) -> None:
    response = world.call(LIST, list_params(maxResults=value))
    assert_error(
        response,
        "ValidationException",
        400,
        f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy constraint: {rule}",
    )


@pytest.mark.parametrize("value", [1, 100])
def test_max_results_bounds_are_accepted(world: World, value: int) -> None:
    response = world.call(LIST, list_params(maxResults=value))
    assert response.status == 200, response.body


def test_several_violations_are_counted_and_joined(world: World) -> None:
    response = world.call(LIST, {"requestedBy": "NOBODY", "maxResults": 0, "environmentName": "-bad"})
    message = assert_error(response, "ValidationException", 400)
    prefix = "3 validation errors detected: "
    assert message.startswith(prefix)
    assert sorted(message[len(prefix) :].split("; ")) == sorted(
        [
            "Value '-bad' at 'environmentName' failed to satisfy constraint: Member must satisfy regular expression "
            "pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$",
            "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
            f"Value 'NOBODY' at 'requestedBy' failed to satisfy constraint: {ENUM_REQUESTED_BY}",
        ]
    )


def test_nested_list_member_paths_are_one_based(world: World) -> None:
    tags = [{"key": "ok", "value": "v"}, {"key": "", "value": "v"}]
    response = world.call(CREATE, create_params(tags=tags))
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )


def test_sensitive_members_are_never_echoed(world: World) -> None:
    secret = "s" * 51201
    params = {"name": "dev", "templateName": "tmpl", "templateMajorVersion": "1", "spec": secret}
    response = world.call("CreateEnvironment", params)
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value at 'spec' failed to satisfy constraint: "
        "Member must have length less than or equal to 51200",
    )
    assert b"sss" not in response.body


def test_sensitive_and_plain_members_in_one_message(world: World) -> None:
    params = {"name": "dev", "templateName": "tmpl", "templateMajorVersion": "x", "spec": "", "description": "d" * 501}
    response = world.call("CreateEnvironment", params)
    message = assert_error(response, "ValidationException", 400)
    prefix = "3 validation errors detected: "
    assert message.startswith(prefix)
    assert sorted(message[len(prefix) :].split("; ")) == sorted(
        [
            "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 500",
            "Value at 'spec' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value 'x' at 'templateMajorVersion' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: ^(0|([1-9]{1}\\d*))$",
        ]
    )
    assert "ddd" not in message


# -- unimplemented operations --------------------------------------------------------------------------------


# All 87 operations of the model are implemented, so W-2 is for a model that grows: these tests take one route
# out of a real mock's provider, which is what a new operation of a newer botocore would look like.


@pytest.fixture
def without_a_route() -> Any:
    with mock_proton() as mock:
        mock.service.provider.operations.pop("GetServiceSyncBlockerSummary")
        yield InProcessWorld(mock)


def test_an_operation_without_a_route_is_501_naming_it(without_a_route: World) -> None:
    response = without_a_route.call("GetServiceSyncBlockerSummary", {"serviceName": "web"})
    message = assert_error(response, "NotImplementedException", 501)
    assert "GetServiceSyncBlockerSummary" in message


def test_an_operation_without_a_route_is_not_retried_by_boto3(without_a_route: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        without_a_route.client().get_service_sync_blocker_summary(serviceName="web")
    error = excinfo.value.response
    assert error["Error"]["Code"] == "NotImplementedException"
    assert "GetServiceSyncBlockerSummary" in error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    assert_uuid4(error["ResponseMetadata"]["RequestId"])


def test_validation_errors_are_not_retried_by_boto3(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(validate=False).list_environment_account_connections(requestedBy="NOBODY")
    error = excinfo.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 0


# -- accounts and regions ------------------------------------------------------------------------------------


def test_a_twelve_digit_access_key_is_the_account(world: World) -> None:
    account = "444455556666"
    response = world.call(CREATE, create_params(), account=account, region="eu-west-2")
    assert response.status == 200, response.body
    connection = response.json()["environmentAccountConnection"]
    assert connection["environmentAccountId"] == account
    assert connection["arn"] == env_arn("eu-west-2", account, connection["id"])


@pytest.mark.parametrize("key", ["AKIAIOSFODNN7EXAMPLE", "testing", "12345678901", "1234567890123", "12345678901a"])
def test_any_other_access_key_is_the_default_account(world: World, key: str) -> None:
    response = world.call(CREATE, create_params(), account=key)
    assert response.status == 200, response.body
    connection = response.json()["environmentAccountConnection"]
    assert connection["environmentAccountId"] == DEFAULT_ACCOUNT
    assert connection["arn"] == env_arn(REGION, DEFAULT_ACCOUNT, connection["id"])


def test_the_region_comes_from_the_credential_scope(world: World) -> None:
    response = world.call(CREATE, create_params(), region="ap-southeast-2")
    assert response.status == 200, response.body
    connection = response.json()["environmentAccountConnection"]
    assert connection["arn"] == env_arn("ap-southeast-2", ENV_ACCOUNT, connection["id"])
    here = world.call("GetEnvironmentAccountConnection", {"id": connection["id"]}, region="ap-southeast-2")
    assert here.json() == {"environmentAccountConnection": connection}
    elsewhere = world.call("GetEnvironmentAccountConnection", {"id": connection["id"]}, region=REGION)
    assert_error(elsewhere, "ResourceNotFoundException", 400)


def test_no_authorization_header_is_the_default_account_in_us_east_1(world: World) -> None:
    response = world.raw("POST", "/", headers_for(TARGET_PREFIX + CREATE), orjson.dumps(create_params()))
    assert response.status == 200, response.body
    connection = response.json()["environmentAccountConnection"]
    assert connection["environmentAccountId"] == DEFAULT_ACCOUNT
    assert connection["arn"] == env_arn("us-east-1", DEFAULT_ACCOUNT, connection["id"])
    seen = world.call(LIST, list_params(), account=DEFAULT_ACCOUNT, region="us-east-1")
    assert [item["id"] for item in seen.json()["environmentAccountConnections"]] == [connection["id"]]


# -- pagination tokens ---------------------------------------------------------------------------------------


def first_page_token(world: World, **members: Any) -> str:
    for name in ("alpha", "beta", "gamma"):
        create_connection(world, name=name)
    response = world.call(LIST, list_params(maxResults=1, **members))
    assert response.status == 200, response.body
    token = response.json()["nextToken"]
    assert isinstance(token, str)
    return token


def test_tokens_use_the_standard_base64_alphabet_and_walk_every_item_once(world: World) -> None:
    for name in ("alpha", "beta", "gamma"):
        create_connection(world, name=name)
    seen: list[str] = []
    tokens: list[str] = []
    params = list_params(maxResults=1)
    while True:
        response = world.call(LIST, params)
        assert response.status == 200, response.body
        body = response.json()
        seen.extend(item["environmentName"] for item in body["environmentAccountConnections"])
        if "nextToken" not in body:
            break
        token = body["nextToken"]
        assert TOKEN.fullmatch(token)
        assert token not in tokens
        tokens.append(token)
        params = list_params(maxResults=1, nextToken=token)
    assert sorted(seen) == ["alpha", "beta", "gamma"]  # each once; same-millisecond ties order by id
    assert len(tokens) == 2


@pytest.mark.parametrize(
    "token",
    [
        "AAAA",
        "Zm9v",  # "foo"
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"q": "x", "p": [1, "a"]}').decode(),
        "abc",  # not a whole base64 quantum
        "////",
    ],
)
def test_a_garbage_token_is_a_validation_error(world: World, token: str) -> None:
    assert TOKEN.fullmatch(token)
    response = world.call(LIST, list_params(nextToken=token))
    assert_error(response, "ValidationException", 400, INVALID_TOKEN)


def test_a_token_outside_the_alphabet_fails_the_pattern(world: World) -> None:
    response = world.call(LIST, list_params(nextToken="not a token!"))
    assert_error(
        response,
        "ValidationException",
        400,
        "1 validation error detected: Value 'not a token!' at 'nextToken' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[A-Za-z0-9+=/]+$",
    )


@pytest.mark.parametrize(
    ("members", "account", "region"),
    [
        ({"requestedBy": "MANAGEMENT_ACCOUNT"}, ENV_ACCOUNT, REGION),
        ({"statuses": ["PENDING"]}, ENV_ACCOUNT, REGION),
        ({"environmentName": "alpha"}, ENV_ACCOUNT, REGION),
        ({}, OTHER_ACCOUNT, REGION),
        ({}, ENV_ACCOUNT, "eu-west-1"),
    ],
)
def test_a_token_from_another_query_is_a_validation_error(
    world: World, members: dict[str, Any], account: str, region: str
) -> None:
    token = first_page_token(world)
    response = world.call(LIST, {**list_params(nextToken=token), **members}, account=account, region=region)
    assert_error(response, "ValidationException", 400, INVALID_TOKEN)


def test_a_token_from_a_filtered_query_is_refused_without_the_filter(world: World) -> None:
    token = first_page_token(world, statuses=["PENDING", "CONNECTED"])
    response = world.call(LIST, list_params(nextToken=token))
    assert_error(response, "ValidationException", 400, INVALID_TOKEN)
    same = world.call(LIST, list_params(nextToken=token, statuses=["PENDING", "CONNECTED"]))
    assert same.status == 200, same.body
    # Connections made in one millisecond are ordered by id, so the expected rest comes from an unpaged list.
    everything = world.call(LIST, list_params(statuses=["PENDING", "CONNECTED"])).json()[
        "environmentAccountConnections"
    ]
    assert same.json()["environmentAccountConnections"] == everything[1:]
