"""Service templates (services.md, "Service templates"; S-4, S-5, S-6), in every mode."""

from __future__ import annotations

from support import MGMT_ACCOUNT, REGION, World

from .service_helpers import (
    OTHER_REGION,
    body,
    env_template,
    missing,
    proton,
    refused,
    service_template,
    template_arn,
    template_version,
)

KEY = f"arn:aws:kms:{REGION}:{MGMT_ACCOUNT}:key/abc"


def test_create_returns_the_template_with_every_member_given(world: World) -> None:
    created = service_template(
        world, displayName="Web", description="web tier", pipelineProvisioning="CUSTOMER_MANAGED", encryptionKey=KEY
    )
    assert created == {
        "arn": template_arn(),
        "createdAt": created["createdAt"],
        "description": "web tier",
        "displayName": "Web",
        "encryptionKey": KEY,
        "lastModifiedAt": created["createdAt"],
        "name": "web",
        "pipelineProvisioning": "CUSTOMER_MANAGED",
    }
    assert body(proton(world).get_service_template(name="web")) == {"serviceTemplate": created}


def test_a_template_given_only_a_name_has_only_the_required_members(world: World) -> None:
    created = service_template(world)
    assert created == {
        "arn": template_arn(),
        "createdAt": created["createdAt"],
        "lastModifiedAt": created["createdAt"],
        "name": "web",
    }


def test_service_templates_are_a_namespace_of_their_own(world: World) -> None:
    proton(world).create_environment_template(name="web")
    assert service_template(world)["arn"] == template_arn()
    assert [t["name"] for t in proton(world).list_service_templates()["templates"]] == ["web"]
    assert [t["name"] for t in proton(world).list_environment_templates()["templates"]] == ["web"]


def test_create_is_idempotent_for_the_same_parameters_and_refuses_others(world: World) -> None:
    first = service_template(world, displayName="Web", description="web tier")
    assert service_template(world, displayName="Web", description="web tier") == first
    code, message, status = refused(proton(world).create_service_template, name="web", displayName="Other")
    assert (code, status) == ("ValidationException", 400)
    assert "web" in message
    code, _, status = refused(
        proton(world).create_service_template, name="web", displayName="Web", description="web tier",
        pipelineProvisioning="CUSTOMER_MANAGED",
    )  # fmt: skip
    assert (code, status) == ("ValidationException", 400)
    assert body(proton(world).get_service_template(name="web")) == {"serviceTemplate": first}


def test_get_update_and_delete_of_a_missing_template_name_its_arn(world: World) -> None:
    client = proton(world)
    expected = missing("service template", template_arn("missing"))
    assert refused(client.get_service_template, name="missing") == expected
    assert refused(client.update_service_template, name="missing", description="x") == expected
    assert refused(client.delete_service_template, name="missing") == expected


def test_a_template_is_private_to_its_account_and_region(world: World) -> None:
    service_template(world)
    for client, arn in (
        (proton(world, "333333333333"), f"arn:aws:proton:{REGION}:333333333333:service-template/web"),
        (
            proton(world, MGMT_ACCOUNT, OTHER_REGION),
            f"arn:aws:proton:{OTHER_REGION}:{MGMT_ACCOUNT}:service-template/web",
        ),
    ):
        assert refused(client.get_service_template, name="web") == missing("service template", arn)
        assert client.list_service_templates()["templates"] == []


def test_update_changes_only_the_display_name_and_description_and_keeps_members_left_out(world: World) -> None:
    created = service_template(
        world, displayName="Web", description="old", pipelineProvisioning="CUSTOMER_MANAGED", encryptionKey=KEY
    )
    client = proton(world)
    updated = client.update_service_template(name="web", description="new")["serviceTemplate"]
    assert updated == {**created, "description": "new", "lastModifiedAt": updated["lastModifiedAt"]}
    assert updated["lastModifiedAt"] > created["lastModifiedAt"]
    renamed = client.update_service_template(name="web", displayName="Web tier")["serviceTemplate"]
    assert renamed == {**updated, "displayName": "Web tier", "lastModifiedAt": renamed["lastModifiedAt"]}
    assert body(client.get_service_template(name="web")) == {"serviceTemplate": renamed}


def test_templates_are_listed_by_name_and_the_paginator_walks_them_once(world: World) -> None:
    for name in ("delta", "alpha", "charlie", "bravo", "echo"):
        service_template(world, name, encryptionKey=KEY, description=f"the {name} template")
    client = proton(world)
    pages = list(client.get_paginator("list_service_templates").paginate(PaginationConfig={"PageSize": 2}))
    assert [[t["name"] for t in page["templates"]] for page in pages] == [
        ["alpha", "bravo"],
        ["charlie", "delta"],
        ["echo"],
    ]
    first = pages[0]["templates"][0]
    # A summary has no encryptionKey.
    assert first == {
        "arn": template_arn("alpha"),
        "createdAt": first["createdAt"],
        "description": "the alpha template",
        "lastModifiedAt": first["createdAt"],
        "name": "alpha",
    }


def test_the_recommended_version_is_the_highest_published_one(world: World) -> None:
    service_template(world)
    env_template(world)
    template_version(world, publish=False)  # 1.0
    template_version(world, publish=False)  # 2.0
    template_version(world, "web", "1", publish=False)  # 1.1
    client = proton(world)
    assert "recommendedVersion" not in client.get_service_template(name="web")["serviceTemplate"]
    for major, minor in (("1", "0"), ("1", "1")):
        client.update_service_template_version(
            templateName="web", majorVersion=major, minorVersion=minor, status="PUBLISHED"
        )
    assert client.get_service_template(name="web")["serviceTemplate"]["recommendedVersion"] == "1.1"
    client.update_service_template_version(templateName="web", majorVersion="2", minorVersion="0", status="PUBLISHED")
    assert client.get_service_template(name="web")["serviceTemplate"]["recommendedVersion"] == "2.0"
    listed = client.list_service_templates()["templates"]
    assert [t.get("recommendedVersion") for t in listed] == ["2.0"]


def test_a_template_with_versions_cannot_be_deleted(world: World) -> None:
    created = service_template(world)
    env_template(world)
    template_version(world, publish=False)
    client = proton(world)
    # [decided] S-5, the observed wording.
    assert refused(client.delete_service_template, name="web") == (
        "ValidationException",
        "Service template has major versions that must first be deleted.",
        400,
    )
    client.delete_service_template_version(templateName="web", majorVersion="1", minorVersion="0")
    assert body(client.delete_service_template(name="web")) == {"serviceTemplate": created}
    assert refused(client.get_service_template, name="web") == missing("service template", template_arn())


def test_a_deleted_template_can_be_created_again(world: World) -> None:
    service_template(world, description="first")
    proton(world).delete_service_template(name="web")
    again = service_template(world, description="second")
    assert again["description"] == "second"
    assert [t["name"] for t in proton(world).list_service_templates()["templates"]] == ["web"]
