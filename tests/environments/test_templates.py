"""Environment templates and their versions (environments.md, first half), in every mode."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from support import MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World, error_of

SOURCE = {"s3": {"bucket": "templates-bucket", "key": "web/v1.tar.gz"}}
ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment-template"


def proton(world: World, account: str = MGMT_ACCOUNT) -> Any:
    return world.client(account)


def make_template(world: World, name: str = "web", **members: Any) -> dict[str, Any]:
    return proton(world).create_environment_template(name=name, **members)["environmentTemplate"]


def make_version(world: World, name: str = "web", **members: Any) -> dict[str, Any]:
    return proton(world).create_environment_template_version(templateName=name, source=SOURCE, **members)[
        "environmentTemplateVersion"
    ]


def publish(world: World, name: str, major: str, minor: str) -> dict[str, Any]:
    return proton(world).update_environment_template_version(
        templateName=name, majorVersion=major, minorVersion=minor, status="PUBLISHED"
    )["environmentTemplateVersion"]


# -- templates -------------------------------------------------------------------------------------------


def test_create_returns_the_template_with_every_member_given(world: World) -> None:
    created = make_template(
        world,
        displayName="Web",
        description="web tier",
        provisioning="CUSTOMER_MANAGED",
        encryptionKey=f"arn:aws:kms:{REGION}:{MGMT_ACCOUNT}:key/abc",
    )
    assert created == {
        "arn": f"{ARN}/web",
        "createdAt": created["createdAt"],
        "description": "web tier",
        "displayName": "Web",
        "encryptionKey": f"arn:aws:kms:{REGION}:{MGMT_ACCOUNT}:key/abc",
        "lastModifiedAt": created["createdAt"],
        "name": "web",
        "provisioning": "CUSTOMER_MANAGED",
    }
    assert proton(world).get_environment_template(name="web")["environmentTemplate"] == created


def test_a_template_is_private_to_its_account_and_region(world: World) -> None:
    make_template(world)
    for client in (proton(world, OTHER_ACCOUNT), world.client(MGMT_ACCOUNT, "eu-west-1")):
        with pytest.raises(ClientError) as excinfo:
            client.get_environment_template(name="web")
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            "The requested environment template does not exist: web",
            400,
        )


def test_create_is_idempotent_for_the_same_parameters_and_refuses_others(world: World) -> None:
    first = make_template(world, displayName="Web")
    assert make_template(world, displayName="Web") == first
    with pytest.raises(ClientError) as excinfo:
        make_template(world, displayName="Other")
    assert error_of(excinfo) == (
        "ValidationException",
        "Environment template web already exists with different parameters (idempotent parameter mismatch).",
        400,
    )


def test_update_changes_only_the_display_name_and_description(world: World) -> None:
    created = make_template(world, displayName="Web", description="old", provisioning="CUSTOMER_MANAGED")
    updated = proton(world).update_environment_template(name="web", description="new")["environmentTemplate"]
    assert updated["description"] == "new"
    assert updated["displayName"] == "Web"
    assert updated["provisioning"] == "CUSTOMER_MANAGED"
    assert updated["createdAt"] == created["createdAt"]
    assert updated["lastModifiedAt"] > created["lastModifiedAt"]
    with pytest.raises(ClientError) as excinfo:
        proton(world).update_environment_template(name="missing", description="x")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_a_template_with_versions_cannot_be_deleted(world: World) -> None:
    created = make_template(world)
    make_version(world)
    with pytest.raises(ClientError) as excinfo:
        proton(world).delete_environment_template(name="web")
    # [decided] S-5 replaces environments.md's ConflictException with the observed answer.
    assert error_of(excinfo) == (
        "ValidationException",
        "Environment template has major versions that must first be deleted.",
        400,
    )
    proton(world).delete_environment_template_version(templateName="web", majorVersion="1", minorVersion="0")
    deleted = proton(world).delete_environment_template(name="web")["environmentTemplate"]
    assert deleted == created
    with pytest.raises(ClientError) as excinfo:
        proton(world).get_environment_template(name="web")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_the_paginator_lists_templates_by_name(world: World) -> None:
    for name in ("delta", "alpha", "charlie", "bravo", "echo"):
        make_template(world, name=name, encryptionKey=f"arn:aws:kms:{REGION}:{MGMT_ACCOUNT}:key/k")
    pages = list(proton(world).get_paginator("list_environment_templates").paginate(PaginationConfig={"PageSize": 2}))
    assert [[t["name"] for t in page["templates"]] for page in pages] == [
        ["alpha", "bravo"],
        ["charlie", "delta"],
        ["echo"],
    ]
    assert all("encryptionKey" not in t for page in pages for t in page["templates"])


def test_the_recommended_version_is_the_highest_published_one(world: World) -> None:
    make_template(world)
    for _ in range(2):
        make_version(world)  # 1.0, 2.0
    make_version(world, majorVersion="1")  # 1.1
    assert "recommendedVersion" not in proton(world).get_environment_template(name="web")["environmentTemplate"]
    publish(world, "web", "1", "0")
    publish(world, "web", "1", "1")
    assert proton(world).get_environment_template(name="web")["environmentTemplate"]["recommendedVersion"] == "1.1"
    publish(world, "web", "2", "0")
    assert proton(world).get_environment_template(name="web")["environmentTemplate"]["recommendedVersion"] == "2.0"


# -- versions ---------------------------------------------------------------------------------------------


def test_versions_number_new_majors_and_next_minors(world: World) -> None:
    make_template(world)
    first = make_version(world, description="first")
    assert first == {
        "arn": f"{ARN}/web:1.0",
        "createdAt": first["createdAt"],
        "description": "first",
        "lastModifiedAt": first["createdAt"],
        "majorVersion": "1",
        "minorVersion": "0",
        "status": "REGISTRATION_IN_PROGRESS",
        "templateName": "web",
    }
    assert [
        (v["majorVersion"], v["minorVersion"])
        for v in (make_version(world), make_version(world, majorVersion="1"), make_version(world, majorVersion="1"))
    ] == [("2", "0"), ("1", "1"), ("1", "2")]


def test_registration_finishes_and_the_waiter_returns(world: World) -> None:
    make_template(world)
    make_version(world)
    proton(world).get_waiter("environment_template_version_registered").wait(
        templateName="web", majorVersion="1", minorVersion="0", WaiterConfig={"Delay": 1, "MaxAttempts": 3}
    )
    got = proton(world).get_environment_template_version(templateName="web", majorVersion="1", minorVersion="0")
    assert got["environmentTemplateVersion"]["status"] == "DRAFT"


def test_a_version_needs_its_template_and_an_existing_major(world: World) -> None:
    with pytest.raises(ClientError) as excinfo:
        make_version(world, name="missing")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "The requested environment template does not exist: missing",
        400,
    )
    make_template(world)
    with pytest.raises(ClientError) as excinfo:
        make_version(world, majorVersion="3")
    assert error_of(excinfo) == (
        "ValidationException",
        "Environment template web has no major version 3; leave majorVersion out to create a new major version.",
        400,
    )


def test_version_numbers_are_validated_against_the_model(world: World) -> None:
    make_template(world)
    with pytest.raises(ClientError) as excinfo:
        proton(world).get_environment_template_version(templateName="web", majorVersion="01", minorVersion="0")
    assert error_of(excinfo)[1] == (
        "1 validation error detected: Value '01' at 'majorVersion' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: ^(0|([1-9]{1}\\d*))$"
    )


def test_publishing_a_draft_sets_the_recommended_minor_version(world: World) -> None:
    make_template(world)
    make_version(world)
    make_version(world, majorVersion="1")
    published = publish(world, "web", "1", "1")
    assert published["status"] == "PUBLISHED"
    assert published["recommendedMinorVersion"] == "1"
    other = proton(world).get_environment_template_version(templateName="web", majorVersion="1", minorVersion="0")
    assert other["environmentTemplateVersion"]["recommendedMinorVersion"] == "1"
    assert other["environmentTemplateVersion"]["status"] == "DRAFT"


@pytest.mark.parametrize(("start", "wanted"), [("DRAFT", "REGISTRATION_FAILED"), ("PUBLISHED", "DRAFT")])
def test_any_other_status_change_is_a_validation_error(world: World, start: str, wanted: str) -> None:
    make_template(world)
    make_version(world)
    if start == "PUBLISHED":
        publish(world, "web", "1", "0")
    with pytest.raises(ClientError) as excinfo:
        proton(world).update_environment_template_version(
            templateName="web", majorVersion="1", minorVersion="0", status=wanted
        )
    assert error_of(excinfo) == (
        "ValidationException",
        f"Environment template version web:1.0 is {start}; only a DRAFT version can be set to PUBLISHED, not to "
        f"{wanted}.",
        400,
    )


def test_the_recommended_version_is_deleted_last_within_its_major(world: World) -> None:
    make_template(world)
    make_version(world)
    make_version(world, majorVersion="1")
    publish(world, "web", "1", "1")
    client = proton(world)
    with pytest.raises(ClientError) as excinfo:
        client.delete_environment_template_version(templateName="web", majorVersion="1", minorVersion="1")
    assert error_of(excinfo) == (
        "ConflictException",
        "Environment template version web:1.1 is the recommended version of major version 1; delete its other minor "
        "versions first.",
        400,
    )
    client.delete_environment_template_version(templateName="web", majorVersion="1", minorVersion="0")
    deleted = client.delete_environment_template_version(templateName="web", majorVersion="1", minorVersion="1")
    assert deleted["environmentTemplateVersion"]["status"] == "PUBLISHED"
    with pytest.raises(ClientError) as excinfo:
        client.get_environment_template_version(templateName="web", majorVersion="1", minorVersion="1")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "The requested environment template version does not exist: web:1.1",
        400,
    )


def test_versions_list_by_major_and_minor_and_filter_by_major(world: World) -> None:
    make_template(world)
    make_version(world)  # 1.0
    make_version(world)  # 2.0
    make_version(world, majorVersion="1")  # 1.1
    client = proton(world)
    pages = list(
        client.get_paginator("list_environment_template_versions").paginate(
            templateName="web", PaginationConfig={"PageSize": 2}
        )
    )
    assert [[(v["majorVersion"], v["minorVersion"]) for v in page["templateVersions"]] for page in pages] == [
        [("1", "0"), ("1", "1")],
        [("2", "0")],
    ]
    only_one = client.list_environment_template_versions(templateName="web", majorVersion="1")["templateVersions"]
    assert [(v["majorVersion"], v["minorVersion"], v["status"]) for v in only_one] == [
        ("1", "0", "DRAFT"),
        ("1", "1", "DRAFT"),
    ]


def test_a_client_token_makes_one_version(world: World) -> None:
    make_template(world)
    first = make_version(world, clientToken="version-token")
    again = make_version(world, clientToken="version-token")
    assert (again["majorVersion"], again["minorVersion"]) == (first["majorVersion"], first["minorVersion"])
    assert len(proton(world).list_environment_template_versions(templateName="web")["templateVersions"]) == 1


def test_templates_and_versions_are_tagged_by_their_owner(world: World) -> None:
    template = make_template(world, tags=[{"key": "team", "value": "web"}])
    version = make_version(world, tags=[{"key": "stage", "value": "beta"}])
    client = proton(world)
    assert client.list_tags_for_resource(resourceArn=template["arn"])["tags"] == [{"key": "team", "value": "web"}]
    client.tag_resource(resourceArn=version["arn"], tags=[{"key": "owner", "value": "me"}])
    assert client.list_tags_for_resource(resourceArn=version["arn"])["tags"] == [
        {"key": "owner", "value": "me"},
        {"key": "stage", "value": "beta"},
    ]
    for arn in (template["arn"], version["arn"]):
        with pytest.raises(ClientError) as excinfo:
            proton(world, OTHER_ACCOUNT).list_tags_for_resource(resourceArn=arn)
        assert error_of(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        client.list_tags_for_resource(resourceArn=f"{ARN}/web:9.9")
    assert error_of(excinfo)[1] == "The requested environment template version does not exist: web:9.9"
