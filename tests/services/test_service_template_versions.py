"""Service template versions (services.md, "Service template versions"; S-4, S-7, S-8), in every mode."""

from __future__ import annotations

from typing import Any

from support import OTHER_ACCOUNT, World

from .service_helpers import (
    DEV,
    FIRST_POLL,
    SOURCE,
    body,
    create_service,
    env_template,
    get_instance,
    missing,
    proton,
    refused,
    service_template,
    settle_all,
    setup,
    spec_of,
    template_arn,
    template_version,
    version_arn,
)

VPC_1 = {"templateName": "vpc", "majorVersion": "1"}


def make_version(world: World, **members: Any) -> dict[str, Any]:
    members.setdefault("compatibleEnvironmentTemplates", [VPC_1])
    return proton(world).create_service_template_version(templateName="web", source=SOURCE, **members)[
        "serviceTemplateVersion"
    ]


def get_version(world: World, major: str = "1", minor: str = "0") -> dict[str, Any]:
    return proton(world).get_service_template_version(templateName="web", majorVersion=major, minorVersion=minor)[
        "serviceTemplateVersion"
    ]


def update_version(world: World, major: str = "1", minor: str = "0", **members: Any) -> dict[str, Any]:
    return proton(world).update_service_template_version(
        templateName="web", majorVersion=major, minorVersion=minor, **members
    )["serviceTemplateVersion"]


def delete_version(world: World, major: str = "1", minor: str = "0") -> Any:
    return proton(world).delete_service_template_version(templateName="web", majorVersion=major, minorVersion=minor)


def web_and_vpc(world: World) -> None:
    env_template(world)
    service_template(world)


# -- create, numbering, registration --------------------------------------------------------------------------


def test_create_answers_registration_in_progress_and_reads_draft_at_once(world: World) -> None:
    web_and_vpc(world)
    created = make_version(world, description="first")
    assert created == {
        "arn": version_arn("1.0"),
        "compatibleEnvironmentTemplates": [VPC_1],
        "createdAt": created["createdAt"],
        "description": "first",
        "lastModifiedAt": created["createdAt"],
        "majorVersion": "1",
        "minorVersion": "0",
        "status": "REGISTRATION_IN_PROGRESS",
        "templateName": "web",
    }
    # T-2: DRAFT from the first read; no schema, no supportedComponentSources (never given).
    assert get_version(world) == {**created, "status": "DRAFT", "lastModifiedAt": get_version(world)["lastModifiedAt"]}


def test_the_registered_waiter_finishes_on_its_first_poll(world: World) -> None:
    web_and_vpc(world)
    make_version(world)
    proton(world).get_waiter("service_template_version_registered").wait(
        templateName="web", majorVersion="1", minorVersion="0", WaiterConfig=FIRST_POLL
    )
    assert get_version(world)["status"] == "DRAFT"


def test_versions_number_new_majors_and_next_minors(world: World) -> None:
    web_and_vpc(world)
    made = [make_version(world), make_version(world), make_version(world, majorVersion="1")]
    made.append(make_version(world, majorVersion="1"))
    assert [(v["majorVersion"], v["minorVersion"]) for v in made] == [("1", "0"), ("2", "0"), ("1", "1"), ("1", "2")]
    assert [v["arn"] for v in made] == [version_arn(v) for v in ("1.0", "2.0", "1.1", "1.2")]


def test_a_version_needs_its_template_and_an_existing_major(world: World) -> None:
    env_template(world)
    assert refused(
        proton(world).create_service_template_version,
        templateName="missing",
        source=SOURCE,
        compatibleEnvironmentTemplates=[VPC_1],
    ) == missing("service template", template_arn("missing"))
    service_template(world)
    code, _, status = refused(
        proton(world).create_service_template_version,
        templateName="web",
        source=SOURCE,
        majorVersion="3",
        compatibleEnvironmentTemplates=[VPC_1],
    )
    assert (code, status) == ("ValidationException", 400)
    assert proton(world).list_service_template_versions(templateName="web")["templateVersions"] == []


def test_a_client_token_makes_one_version(world: World) -> None:
    web_and_vpc(world)
    first = make_version(world, clientToken="version-token")
    again = make_version(world, clientToken="version-token")
    assert (again["majorVersion"], again["minorVersion"]) == (first["majorVersion"], first["minorVersion"])
    assert len(proton(world).list_service_template_versions(templateName="web")["templateVersions"]) == 1


# -- compatible environment templates (S-7) -------------------------------------------------------------------


def test_each_compatible_template_must_exist_with_a_version_in_that_major(world: World) -> None:
    web_and_vpc(world)
    proton(world, OTHER_ACCOUNT).create_environment_template(name="net")
    proton(world, OTHER_ACCOUNT).create_environment_template_version(templateName="net", source=SOURCE)
    for entry, named in (
        ({"templateName": "vpc", "majorVersion": "2"}, "vpc:2"),
        ({"templateName": "edge", "majorVersion": "1"}, "edge:1"),
        ({"templateName": "net", "majorVersion": "1"}, "net:1"),  # another account's
    ):
        assert refused(
            proton(world).create_service_template_version,
            templateName="web",
            source=SOURCE,
            compatibleEnvironmentTemplates=[VPC_1, entry],
        ) == ("ValidationException", f"Compatible environment template {named} does not exist", 400)
    assert proton(world).list_service_template_versions(templateName="web")["templateVersions"] == []


def test_a_draft_environment_template_version_makes_its_major_compatible(world: World) -> None:
    service_template(world)
    proton(world).create_environment_template(name="vpc")
    proton(world).create_environment_template_version(templateName="vpc", source=SOURCE)  # 1.0, DRAFT
    assert make_version(world)["compatibleEnvironmentTemplates"] == [VPC_1]


def test_duplicate_compatible_templates_are_kept_once(world: World) -> None:
    web_and_vpc(world)
    created = make_version(world, compatibleEnvironmentTemplates=[VPC_1, dict(VPC_1), VPC_1])
    assert created["compatibleEnvironmentTemplates"] == [VPC_1]
    assert get_version(world)["compatibleEnvironmentTemplates"] == [VPC_1]


def test_update_replaces_the_compatible_list_and_later_instances_check_the_new_one(world: World) -> None:
    setup(world)
    env_template(world, "net")
    create_service(world)
    net = {"templateName": "net", "majorVersion": "1"}
    assert update_version(world, compatibleEnvironmentTemplates=[net])["compatibleEnvironmentTemplates"] == [net]
    assert get_version(world)["compatibleEnvironmentTemplates"] == [net]
    assert get_version(world)["status"] == "PUBLISHED"
    # The running instance stays; a new one in dev is checked against the new list.
    assert get_instance(world)["deploymentStatus"] == "SUCCEEDED"
    assert refused(
        proton(world).create_service_instance,
        name="shop-two",
        serviceName="shop",
        spec=spec_of(DEV, ("shop-two", "dev")),
        templateMajorVersion="1",
        templateMinorVersion="0",
    ) == (
        "ValidationException",
        "Environment dev (template vpc:1) is not compatible with service template version web:1.0",
        400,
    )
    code, message, _ = refused(
        update_version, world=world, compatibleEnvironmentTemplates=[{"templateName": "gone", "majorVersion": "1"}]
    )
    assert (code, message) == ("ValidationException", "Compatible environment template gone:1 does not exist")


# -- supportedComponentSources, summaries ---------------------------------------------------------------------


def test_supported_component_sources_are_returned_as_given_and_replaced_by_update(world: World) -> None:
    web_and_vpc(world)
    created = make_version(world, supportedComponentSources=["DIRECTLY_DEFINED"])
    assert created["supportedComponentSources"] == ["DIRECTLY_DEFINED"]
    assert get_version(world)["supportedComponentSources"] == ["DIRECTLY_DEFINED"]
    assert update_version(world, supportedComponentSources=[])["supportedComponentSources"] == []
    assert get_version(world)["supportedComponentSources"] == []
    plain = make_version(world, majorVersion="1")
    assert "supportedComponentSources" not in plain
    assert "supportedComponentSources" not in update_version(world, "1", "1", description="described")


def test_summaries_omit_the_compatible_list_component_sources_and_schema(world: World) -> None:
    web_and_vpc(world)
    created = make_version(world, description="first", supportedComponentSources=["DIRECTLY_DEFINED"])
    listed = proton(world).list_service_template_versions(templateName="web")["templateVersions"]
    assert listed == [
        {
            "arn": version_arn("1.0"),
            "createdAt": created["createdAt"],
            "description": "first",
            "lastModifiedAt": listed[0]["lastModifiedAt"],
            "majorVersion": "1",
            "minorVersion": "0",
            "status": "DRAFT",
            "templateName": "web",
        }
    ]


# -- publishing and statuses ----------------------------------------------------------------------------------


def test_publishing_a_draft_sets_the_recommended_minor_version(world: World) -> None:
    web_and_vpc(world)
    make_version(world)
    make_version(world, majorVersion="1")
    published = update_version(world, "1", "1", status="PUBLISHED")
    assert (published["status"], published["recommendedMinorVersion"]) == ("PUBLISHED", "1")
    other = get_version(world)
    assert (other["status"], other["recommendedMinorVersion"]) == ("DRAFT", "1")
    assert proton(world).get_service_template(name="web")["serviceTemplate"]["recommendedVersion"] == "1.1"


def test_any_status_change_but_draft_to_published_is_a_validation_error(world: World) -> None:
    web_and_vpc(world)
    make_version(world)
    code, _, status = refused(update_version, world=world, status="REGISTRATION_FAILED")
    assert (code, status) == ("ValidationException", 400)
    update_version(world, status="PUBLISHED")
    code, _, status = refused(update_version, world=world, status="DRAFT")
    assert (code, status) == ("ValidationException", 400)
    assert get_version(world)["status"] == "PUBLISHED"


def test_update_changes_the_description_and_keeps_members_left_out(world: World) -> None:
    web_and_vpc(world)
    make_version(world, description="old", supportedComponentSources=["DIRECTLY_DEFINED"])
    before = get_version(world)
    updated = update_version(world, description="new")
    assert updated == {**before, "description": "new", "lastModifiedAt": updated["lastModifiedAt"]}
    assert updated["lastModifiedAt"] > before["lastModifiedAt"]


# -- listing (S-8) and not-found messages (S-4) ---------------------------------------------------------------


def test_versions_list_by_major_and_minor_without_a_major_and_filter_by_major(world: World) -> None:
    web_and_vpc(world)
    make_version(world)  # 1.0
    make_version(world)  # 2.0
    make_version(world, majorVersion="1")  # 1.1
    client = proton(world)
    pages = list(
        client.get_paginator("list_service_template_versions").paginate(
            templateName="web", PaginationConfig={"PageSize": 2}
        )
    )
    assert [[(v["majorVersion"], v["minorVersion"]) for v in page["templateVersions"]] for page in pages] == [
        [("1", "0"), ("1", "1")],
        [("2", "0")],
    ]
    only_one = client.list_service_template_versions(templateName="web", majorVersion="1")["templateVersions"]
    assert [(v["majorVersion"], v["minorVersion"]) for v in only_one] == [("1", "0"), ("1", "1")]
    assert refused(client.list_service_template_versions, templateName="missing") == missing(
        "service template", template_arn("missing")
    )


def test_a_missing_version_is_named_by_its_arn(world: World) -> None:
    web_and_vpc(world)
    make_version(world)
    client = proton(world)
    expected = missing("service template version", version_arn("4.28"))
    assert expected[1] == (
        "The requested service template version does not exist: "
        "arn:aws:proton:us-east-1:222222222222:service-template/web:4.28"
    )
    assert refused(client.get_service_template_version, templateName="web", majorVersion="4", minorVersion="28") == (
        expected
    )
    assert refused(update_version, world=world, major="4", minor="28", description="x") == expected
    assert refused(delete_version, world=world, major="4", minor="28") == expected
    assert refused(client.get_service_template_version, templateName="web", majorVersion="1", minorVersion="1") == (
        missing("service template version", version_arn("1.1"))
    )


# -- delete ---------------------------------------------------------------------------------------------------


def test_an_unused_version_is_deleted_and_returned(world: World) -> None:
    web_and_vpc(world)
    make_version(world)
    before = get_version(world)
    assert body(delete_version(world)) == {"serviceTemplateVersion": before}
    assert proton(world).list_service_template_versions(templateName="web")["templateVersions"] == []


def test_the_recommended_minor_is_deleted_last_within_its_major(world: World) -> None:
    web_and_vpc(world)
    template_version(world)  # 1.0
    template_version(world, "web", "1")  # 1.1, recommended
    code, _, status = refused(delete_version, world=world, major="1", minor="1")
    assert (code, status) == ("ConflictException", 400)
    delete_version(world, "1", "0")
    assert delete_version(world, "1", "1")["serviceTemplateVersion"]["status"] == "PUBLISHED"


def test_the_recommended_version_is_deleted_last_of_the_template(world: World) -> None:
    web_and_vpc(world)
    template_version(world)  # 1.0
    template_version(world)  # 2.0: the template's recommendedVersion, alone in its major
    code, _, status = refused(delete_version, world=world, major="2", minor="0")
    assert (code, status) == ("ConflictException", 400)
    delete_version(world, "1", "0")
    delete_version(world, "2", "0")
    assert "recommendedVersion" not in proton(world).get_service_template(name="web")["serviceTemplate"]


def test_a_version_an_instance_is_on_cannot_be_deleted(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1, recommended
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="MINOR_VERSION", spec=spec_of(DEV), templateMajorVersion="1"
    )
    # Only the instance is on 1.0 now.
    code, _, status = refused(delete_version, world=world, major="1", minor="0")
    assert (code, status) == ("ConflictException", 400)
    proton(world).update_service_instance(name="shop-dev", serviceName="shop", deploymentType="MINOR_VERSION")
    delete_version(world, "1", "0")
    assert [v["minorVersion"] for v in proton(world).list_service_template_versions(templateName="web")[
        "templateVersions"
    ]] == ["1"]  # fmt: skip


def test_a_version_the_pipeline_is_on_cannot_be_deleted(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1, recommended
    proton(world).update_service_instance(name="shop-dev", serviceName="shop", deploymentType="MINOR_VERSION")
    code, _, status = refused(delete_version, world=world, major="1", minor="0")
    assert (code, status) == ("ConflictException", 400)


def test_a_version_with_a_deployment_under_way_to_it_cannot_be_deleted(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1
    template_version(world, "web", "1")  # 1.2, recommended
    world.set_settle_policy("manual")
    proton(world).update_service_instance(
        name="shop-dev", serviceName="shop", deploymentType="MINOR_VERSION", templateMinorVersion="1"
    )
    code, _, status = refused(delete_version, world=world, major="1", minor="1")
    assert (code, status) == ("ConflictException", 400)


def test_deleting_instances_count_until_gone(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    proton(world).delete_service(name="shop")
    code, _, status = refused(delete_version, world=world)
    assert (code, status) == ("ConflictException", 400)
    settle_all(world)
    assert refused(proton(world).get_service, name="shop")[0] == "ResourceNotFoundException"
    delete_version(world)
