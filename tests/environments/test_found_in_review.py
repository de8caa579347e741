"""Environments: edge cases found in review that once answered 500 or broke a rule, in every mode.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

from openproton import mock_proton
from openproton.proton.clock import ManualClock
from support import MGMT_ACCOUNT, InProcessWorld, World

from .helpers import (
    CODEBUILD_ROLE,
    DEPLOYMENT_ARN,
    ENV_ARN,
    REPOSITORY,
    SERVICE_ROLE,
    SPEC,
    add_version,
    create_env,
    get_env,
    proton,
    published_template,
    refused,
    update_env,
)

# -- found in review: edge cases that once answered 500 or broke a rule -------------------------------------


def test_an_update_none_that_changes_nothing_returns_the_environment(world: World) -> None:
    published_template(world)
    create_env(world, description="d")
    before = get_env(world)
    assert update_env(world, "NONE") == before
    assert update_env(world, "NONE", description="d", protonServiceRoleArn=SERVICE_ROLE) == before


def test_a_string_with_a_nul_character_is_refused_on_every_backend(world: World) -> None:
    published_template(world)
    code, message, status = refused(
        proton(world).create_environment,
        name="dev",
        templateName="web",
        templateMajorVersion="1",
        spec="a\x00b",
        protonServiceRoleArn=SERVICE_ROLE,
    )
    assert (code, status) == ("ValidationException", 400)
    assert "at 'spec' failed to satisfy constraint: Member must not contain the character U+0000" in message
    assert proton(world).list_environments()["environments"] == []


def test_a_credential_scope_without_a_region_name_is_refused(world: World) -> None:
    response = world.call("ListEnvironmentTemplates", {}, account=MGMT_ACCOUNT, region="r" * 40)
    assert response.status == 400
    body = response.json()
    assert body["__type"].endswith("#ValidationException")
    assert f"names the region '{'r' * 40}', which is not a region name" in body["message"]


def test_a_deleted_deployment_takes_its_tags_with_it() -> None:
    from openproton.store.transfer import export_state

    with mock_proton() as mock:
        world = InProcessWorld(mock)
        published_template(world)
        first = create_env(world)["lastAttemptedDeploymentId"]
        update_env(world, "CURRENT_VERSION")
        update_env(world, "CURRENT_VERSION")
        arn = f"{DEPLOYMENT_ARN}/{first}"
        proton(world).tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "platform"}])
        proton(world).delete_deployment(id=first)
        tagged = {row["resource_arn"] for row in export_state(mock.service.database)["tables"]["resource_tags"]}
        assert arn not in tagged


def test_an_earlier_environments_deployment_is_not_this_ones() -> None:
    clock = ManualClock()
    with mock_proton(clock=clock) as mock:
        world = InProcessWorld(mock)
        published_template(world)
        old = create_env(world)["lastAttemptedDeploymentId"]
        clock.advance(seconds=1)
        proton(world).delete_environment(name="dev")
        clock.advance(seconds=1)
        create_env(world)
        assert refused(proton(world).list_environment_outputs, environmentName="dev", deploymentId=old) == (
            "ResourceNotFoundException",
            f"The requested deployment does not exist: {old}",
            400,
        )


def test_notify_with_another_environments_deployment_is_not_found(world: World) -> None:
    published_template(world)
    create_env(world, "first", provisioningRepository=REPOSITORY)
    other = create_env(world, "second", provisioningRepository=REPOSITORY)["lastAttemptedDeploymentId"]
    assert refused(
        proton(world).notify_resource_deployment_status_change,
        resourceArn=f"{ENV_ARN}/first",
        deploymentId=other,
        status="SUCCEEDED",
    ) == ("ResourceNotFoundException", f"The requested deployment does not exist: {other}", 400)
    assert get_env(world, "second")["deploymentStatus"] == "IN_PROGRESS"


def test_a_self_managed_environment_cannot_gain_a_codebuild_role_by_update(world: World) -> None:
    published_template(world)
    created = create_env(world, provisioningRepository=REPOSITORY)
    proton(world).notify_resource_deployment_status_change(
        resourceArn=created["arn"], deploymentId=created["lastAttemptedDeploymentId"], status="SUCCEEDED"
    )
    assert refused(
        proton(world).update_environment, name="dev", deploymentType="NONE", codebuildRoleArn=CODEBUILD_ROLE
    ) == (
        "ValidationException",
        "A self-managed environment (provisioningRepository) takes no codebuildRoleArn.",
        400,
    )


def test_a_major_version_too_long_to_exist_is_not_found(world: World) -> None:
    published_template(world)
    create_env(world)
    huge = "9" * 15  # within the model's 20 characters, beyond any version number
    assert refused(
        proton(world).update_environment, name="dev", deploymentType="MAJOR_VERSION", templateMajorVersion=huge
    ) == (
        "ResourceNotFoundException",
        f"The requested environment template version does not exist: web:{huge}",
        400,
    )


def test_the_admin_list_of_deployments_under_way_skips_ended_ones_before_its_limit() -> None:
    with mock_proton() as mock:
        world = InProcessWorld(mock)
        published_template(world)
        for name in ("a", "b", "c"):
            create_env(world, name)  # ended at once, but stored as IN_PROGRESS until a write touches them
        mock.set_settle_policy("manual")
        waiting = create_env(world, "d")["lastAttemptedDeploymentId"]
        service = mock.service
        under_way = service.provider.deployments.under_way(service.database, service.clock.now_ms(), limit=1)
        assert [item["id"] for item in under_way] == [waiting]


def test_names_are_listed_in_code_point_order_on_every_backend(world: World) -> None:
    published_template(world)
    names = ["ab", "a_d", "B", "a-c", "Ab"]
    for name in names:
        create_env(world, name)
    listed = [item["name"] for item in proton(world).list_environments()["environments"]]
    assert listed == sorted(names)  # Python sorts by code point, as SQLite does and "C" collation does
    for name in names:
        proton(world).create_environment_template(name=f"t{name}")
    templates = [item["name"] for item in proton(world).list_environment_templates()["templates"]]
    assert templates == sorted(["web", *(f"t{name}" for name in names)])


def test_a_version_still_registering_cannot_be_deployed() -> None:
    # Registration ends at once here ([decided] T-2); a registration delay on an injected clock shows the rule
    # that a version must have registered (DRAFT or PUBLISHED) to be deployed.
    clock = ManualClock()
    with mock_proton(clock=clock) as mock:
        world = InProcessWorld(mock)
        mock.service.provider.templates.registration_delay_ms = 60_000
        proton(world).create_environment_template(name="web")
        add_version(world, "web", publish=False)
        assert refused(
            proton(world).create_environment,
            name="dev",
            templateName="web",
            templateMajorVersion="1",
            templateMinorVersion="0",
            spec=SPEC,
            protonServiceRoleArn=SERVICE_ROLE,
        ) == (
            "ValidationException",
            "Environment template version web:1.0 is REGISTRATION_IN_PROGRESS; only a PUBLISHED or DRAFT version "
            "can be deployed.",
            400,
        )
        clock.advance(seconds=60)
        assert create_env(world, templateMinorVersion="0")["templateMinorVersion"] == "0"
