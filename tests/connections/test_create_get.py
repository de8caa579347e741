"""CreateEnvironmentAccountConnection and GetEnvironmentAccountConnection, in both modes."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from support import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    ROLE,
    World,
    create_connection,
    error_of,
)

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_create_returns_a_pending_connection_with_every_member(world: World) -> None:
    response = world.client(ENV_ACCOUNT).create_environment_account_connection(
        environmentName="dev",
        managementAccountId=MGMT_ACCOUNT,
        roleArn=ROLE,
        codebuildRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/codebuild",
        componentRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/component",
    )
    created = response["environmentAccountConnection"]
    assert UUID4.fullmatch(created["id"])
    assert isinstance(created["requestedAt"], datetime)
    assert created == {
        "arn": f"arn:aws:proton:{REGION}:{ENV_ACCOUNT}:environment-account-connection/{created['id']}",
        "codebuildRoleArn": f"arn:aws:iam::{ENV_ACCOUNT}:role/codebuild",
        "componentRoleArn": f"arn:aws:iam::{ENV_ACCOUNT}:role/component",
        "environmentAccountId": ENV_ACCOUNT,
        "environmentName": "dev",
        "id": created["id"],
        "lastModifiedAt": created["requestedAt"],
        "managementAccountId": MGMT_ACCOUNT,
        "requestedAt": created["requestedAt"],
        "roleArn": ROLE,
        "status": "PENDING",
    }


def test_management_account_gets_all_eleven_members_of_a_connection_another_account_created(world: World) -> None:
    created = create_connection(
        world,
        roleArn=ROLE,
        codebuildRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/codebuild",
        componentRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/component",
    )
    got = world.client(MGMT_ACCOUNT).get_environment_account_connection(id=created["id"])
    connection = got["environmentAccountConnection"]
    assert sorted(connection) == sorted(
        [
            "arn",
            "codebuildRoleArn",
            "componentRoleArn",
            "environmentAccountId",
            "environmentName",
            "id",
            "lastModifiedAt",
            "managementAccountId",
            "requestedAt",
            "roleArn",
            "status",
        ]
    )
    assert connection == created


def test_environment_account_gets_its_own_connection(world: World) -> None:
    created = create_connection(world)
    got = world.client(ENV_ACCOUNT).get_environment_account_connection(id=created["id"])
    assert got["environmentAccountConnection"] == created


def test_unset_roles_are_omitted(world: World) -> None:
    created = create_connection(world, codebuildRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/codebuild")
    assert "roleArn" not in created
    assert "componentRoleArn" not in created
    assert created["codebuildRoleArn"] == f"arn:aws:iam::{ENV_ACCOUNT}:role/codebuild"


def test_get_with_a_malformed_id_is_a_validation_error_in_aws_wording(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).get_environment_account_connection(id="not-a-uuid")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        400,
    )


def test_get_with_an_id_with_a_trailing_newline_is_rejected(world: World) -> None:
    created = create_connection(world)
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).get_environment_account_connection(id=created["id"] + "\n")
    assert error_of(excinfo)[0] == "ValidationException"


def test_get_of_an_unknown_id_is_not_found(world: World) -> None:
    unknown = "0b0e9c4e-2a5b-4c51-9d2c-5d2f1f0e8a11"
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).get_environment_account_connection(id=unknown)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"The requested environment account connection does not exist: {unknown}",
        400,
    )


def test_get_from_a_third_account_is_not_found(world: World) -> None:
    created = create_connection(world)
    with pytest.raises(ClientError) as excinfo:
        world.client(OTHER_ACCOUNT).get_environment_account_connection(id=created["id"])
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"The requested environment account connection does not exist: {created['id']}",
        400,
    )


def test_get_from_another_region_is_not_found(world: World) -> None:
    created = create_connection(world)
    for account in (ENV_ACCOUNT, MGMT_ACCOUNT):
        with pytest.raises(ClientError) as excinfo:
            world.client(account, "eu-west-1").get_environment_account_connection(id=created["id"])
        assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_connections_in_china_and_govcloud_regions_use_their_partition(world: World) -> None:
    china = create_connection(world, region="cn-north-1", roleArn=f"arn:aws-cn:iam::{ENV_ACCOUNT}:role/p")
    gov = create_connection(world, region="us-gov-west-1", roleArn=f"arn:aws-us-gov:iam::{ENV_ACCOUNT}:role/p")
    assert china["arn"] == f"arn:aws-cn:proton:cn-north-1:{ENV_ACCOUNT}:environment-account-connection/{china['id']}"
    assert gov["arn"] == f"arn:aws-us-gov:proton:us-gov-west-1:{ENV_ACCOUNT}:environment-account-connection/{gov['id']}"


def test_create_without_any_role_is_a_validation_error(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).create_environment_account_connection(
            environmentName="dev",
            managementAccountId=MGMT_ACCOUNT,
            componentRoleArn=f"arn:aws:iam::{ENV_ACCOUNT}:role/component",
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "An environment account connection needs a roleArn or a codebuildRoleArn: give at least one of them.",
        400,
    )
    assert (
        world.client(ENV_ACCOUNT).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")[
            "environmentAccountConnections"
        ]
        == []
    )


def test_create_naming_the_callers_own_account_as_management_is_a_validation_error(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT).create_environment_account_connection(
            environmentName="dev", managementAccountId=ENV_ACCOUNT, roleArn=ROLE
        )
    assert error_of(excinfo) == (
        "ValidationException",
        f"The management account {ENV_ACCOUNT} is the calling account; an environment account connection joins "
        "two different accounts.",
        400,
    )


def test_create_validates_every_constraint_of_the_model(world: World) -> None:
    client = world.client(ENV_ACCOUNT, validate=False)
    with pytest.raises(ClientError) as excinfo:
        client.create_environment_account_connection(
            environmentName="-bad name", managementAccountId="12345", roleArn="arn:aws:iam::1:user/x"
        )
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "3 validation errors detected: "
        "Value '-bad name' at 'environmentName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$; "
        "Value '12345' at 'managementAccountId' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: ^\\d{12}$; "
        "Value 'arn:aws:iam::1:user/x' at 'roleArn' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: ^arn:(aws|aws-cn|aws-us-gov):iam::\\d{12}:role/([\\w+=,.@-]{1,512}[/:])*"
        "([\\w+=,.@-]{1,64})$"
    )


def test_create_without_required_members_names_each_one(world: World) -> None:
    client = world.client(ENV_ACCOUNT, validate=False)
    with pytest.raises(ClientError) as excinfo:
        client.create_environment_account_connection(roleArn=ROLE)
    assert error_of(excinfo) == (
        "ValidationException",
        "2 validation errors detected: "
        "Value null at 'environmentName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'managementAccountId' failed to satisfy constraint: Member must not be null",
        400,
    )


def test_a_failed_create_leaves_nothing_behind(world: World) -> None:
    client = world.client(ENV_ACCOUNT, validate=False)
    with pytest.raises(ClientError):
        client.create_environment_account_connection(
            environmentName="dev",
            managementAccountId=MGMT_ACCOUNT,
            roleArn=ROLE,
            tags=[{"key": "aws:reserved", "value": "x"}],
        )
    listed = world.client(ENV_ACCOUNT).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    assert listed["environmentAccountConnections"] == []
    assert world.events() == []


def test_create_conflicts_with_a_pending_or_connected_connection_for_the_same_environment(world: World) -> None:
    first = create_connection(world, name="prod")
    with pytest.raises(ClientError) as excinfo:
        create_connection(world, name="prod")
    assert error_of(excinfo) == (
        "ConflictException",
        f"Environment account connection {first['id']} for environment prod and management account "
        f"{MGMT_ACCOUNT} is already PENDING.",
        400,
    )
    world.client(MGMT_ACCOUNT).accept_environment_account_connection(id=first["id"])
    with pytest.raises(ClientError) as excinfo:
        create_connection(world, name="prod")
    assert error_of(excinfo)[0] == "ConflictException"
    assert "is already CONNECTED" in error_of(excinfo)[1]


def test_a_rejected_or_deleted_connection_does_not_block_a_new_one(world: World) -> None:
    rejected = create_connection(world, name="prod")
    world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=rejected["id"])
    second = create_connection(world, name="prod")
    world.client(ENV_ACCOUNT).delete_environment_account_connection(id=second["id"])
    third = create_connection(world, name="prod")
    assert len({rejected["id"], second["id"], third["id"]}) == 3
    assert third["status"] == "PENDING"


def test_the_same_environment_name_may_connect_to_another_management_account_or_region(world: World) -> None:
    create_connection(world, name="prod")
    create_connection(world, name="prod", management=OTHER_ACCOUNT)
    create_connection(world, name="prod", region="eu-west-1")
    created_names = world.client(ENV_ACCOUNT).list_environment_account_connections(
        requestedBy="ENVIRONMENT_ACCOUNT", environmentName="prod"
    )["environmentAccountConnections"]
    assert len(created_names) == 2  # the eu-west-1 one lives in its own region


def test_the_sixth_connection_in_a_region_exceeds_the_quota(world: World) -> None:
    for number in range(5):
        create_connection(world, name=f"env{number}")
    with pytest.raises(ClientError) as excinfo:
        create_connection(world, name="env5")
    assert error_of(excinfo) == (
        "ServiceQuotaExceededException",
        f"Account {ENV_ACCOUNT} already has 5 environment account connections in {REGION}, the most it may have.",
        400,
    )
    # Rejected connections still count; another region has its own quota; a deleted one frees a place.
    create_connection(world, name="env5", region="eu-west-1")
    first = world.client(ENV_ACCOUNT).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")[
        "environmentAccountConnections"
    ][0]
    world.client(MGMT_ACCOUNT).reject_environment_account_connection(id=first["id"])
    with pytest.raises(ClientError):
        create_connection(world, name="env5")
    world.client(ENV_ACCOUNT).delete_environment_account_connection(id=first["id"])
    assert create_connection(world, name="env5")["status"] == "PENDING"


def test_create_with_tags_stores_them(world: World) -> None:
    created = create_connection(world, tags=[{"key": "team", "value": "platform"}, {"key": "cost", "value": "1"}])
    tags = world.client(ENV_ACCOUNT).list_tags_for_resource(resourceArn=created["arn"])["tags"]
    assert tags == [{"key": "cost", "value": "1"}, {"key": "team", "value": "platform"}]


def test_create_with_a_reserved_tag_key_is_a_validation_error(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        create_connection(world, tags=[{"key": "aws:owner", "value": "x"}])
    assert error_of(excinfo) == (
        "ValidationException",
        "Tag keys starting with 'aws:' are reserved for AWS: aws:owner",
        400,
    )


def test_create_with_more_than_fifty_tags_is_a_validation_error(world: World) -> None:
    tags = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT, validate=False).create_environment_account_connection(
            environmentName="dev", managementAccountId=MGMT_ACCOUNT, roleArn=ROLE, tags=tags
        )
    code, message, _ = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value '[{key=k0, value=v}, ")
    assert message.endswith("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")


def test_tag_members_are_validated_with_one_based_list_paths(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        world.client(ENV_ACCOUNT, validate=False).create_environment_account_connection(
            environmentName="dev",
            managementAccountId=MGMT_ACCOUNT,
            roleArn=ROLE,
            tags=[{"key": "ok", "value": "v"}, {"key": "", "value": "v" * 257}],
        )
    assert error_of(excinfo)[1] == (
        "2 validation errors detected: "
        "Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or "
        "equal to 1; "
        f"Value '{'v' * 257}' at 'tags.2.member.value' failed to satisfy constraint: Member must have length "
        "less than or equal to 256"
    )
