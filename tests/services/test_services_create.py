"""CreateService (services.md, "CreateService"; S-1, S-2, S-10 to S-13), GetService and ListServices, in every
mode."""

from __future__ import annotations

import pytest

from openproton import mock_proton
from openproton.settings import Settings
from support import MGMT_ACCOUNT, OTHER_ACCOUNT, InProcessWorld, World

from .service_helpers import (
    CODE_CONNECTION,
    DEV,
    ENV_SPEC,
    FIRST_POLL,
    PIPELINE_INPUTS,
    PROD,
    REPOSITORY_MEMBERS,
    SERVICE_ARN,
    SOURCE,
    UUID4,
    create_service,
    env_template,
    environment,
    get_instance,
    get_service,
    instance_arn,
    instance_names,
    missing,
    pipeline_roles,
    proton,
    published_web,
    refused,
    service_arn,
    service_deployments,
    service_names,
    setup,
    spec_of,
    tags_of,
    template_arn,
    template_version,
    version_arn,
)


def nothing_left(world: World) -> None:
    """A refused CreateService leaves no service, instance or deployment behind."""
    assert service_names(world) == []
    assert instance_names(world) == []
    assert service_deployments(world) == []


# -- what a service looks like ----------------------------------------------------------------------------------


def test_create_answers_create_in_progress_and_get_shows_the_whole_service(world: World) -> None:
    setup(world, prod=True)
    spec = spec_of(DEV, PROD)
    created = create_service(world, "shop", spec=spec, description="the shop")
    assert created["status"] == "CREATE_IN_PROGRESS"
    assert created["lastModifiedAt"] == created["createdAt"]
    got = get_service(world)
    pipeline = got["pipeline"]
    assert got == {
        "arn": service_arn(),
        "branchName": "main",
        "createdAt": created["createdAt"],
        "description": "the shop",
        "lastModifiedAt": got["lastModifiedAt"],
        "name": "shop",
        "pipeline": {
            "arn": pipeline["arn"],
            "createdAt": pipeline["createdAt"],
            "deploymentStatus": "SUCCEEDED",
            "lastAttemptedDeploymentId": pipeline["lastAttemptedDeploymentId"],
            "lastDeploymentAttemptedAt": pipeline["lastDeploymentAttemptedAt"],
            "lastDeploymentSucceededAt": pipeline["lastDeploymentSucceededAt"],
            "lastSucceededDeploymentId": pipeline["lastAttemptedDeploymentId"],
            "spec": spec,
            "templateMajorVersion": "1",
            "templateMinorVersion": "0",
            "templateName": "web",
        },
        "repositoryConnectionArn": CODE_CONNECTION,
        "repositoryId": "acme/shop",
        "spec": spec,
        "status": "ACTIVE",
        "templateName": "web",
    }
    assert got["lastModifiedAt"] >= got["createdAt"]
    # [decided] S-1: the pipeline's ARN ends in a lowercase UUID4 fixed at creation.
    prefix = f"{service_arn()}/pipeline/"
    assert pipeline["arn"].startswith(prefix)
    assert UUID4.fullmatch(pipeline["arn"][len(prefix) :])
    assert get_service(world)["pipeline"]["arn"] == pipeline["arn"]


def test_each_instance_is_in_its_environment_and_owned_by_the_management_account(world: World) -> None:
    setup(world, prod=True)
    spec = spec_of(DEV, PROD)
    create_service(world, "shop", spec=spec)
    prod = get_instance(world, "shop-prod")
    assert prod == {
        "arn": f"arn:aws:proton:us-east-1:{MGMT_ACCOUNT}:service/shop/service-instance/shop-prod",
        "createdAt": prod["createdAt"],
        "deploymentStatus": "SUCCEEDED",
        "environmentName": "prod",
        "lastAttemptedDeploymentId": prod["lastAttemptedDeploymentId"],
        "lastDeploymentAttemptedAt": prod["lastDeploymentAttemptedAt"],
        "lastDeploymentSucceededAt": prod["lastDeploymentSucceededAt"],
        "lastSucceededDeploymentId": prod["lastAttemptedDeploymentId"],
        "name": "shop-prod",
        "serviceName": "shop",
        "spec": spec,
        "templateMajorVersion": "1",
        "templateMinorVersion": "0",
        "templateName": "web",
    }
    assert get_instance(world, "shop-dev")["environmentName"] == "dev"
    assert instance_names(world, "shop") == ["shop-dev", "shop-prod"]


def test_the_service_created_waiter_finishes_on_its_first_poll(world: World) -> None:
    setup(world)
    create_service(world)
    proton(world).get_waiter("service_created").wait(name="shop", WaiterConfig=FIRST_POLL)
    assert get_service(world)["status"] == "ACTIVE"


def test_services_are_listed_by_name_as_summaries(world: World) -> None:
    setup(world)
    for name in ("delta", "alpha", "charlie"):
        create_service(world, name, (f"{name}-dev", "dev"), description=f"the {name} service")
    pages = list(proton(world).get_paginator("list_services").paginate(PaginationConfig={"PageSize": 2}))
    assert [[s["name"] for s in page["services"]] for page in pages] == [["alpha", "charlie"], ["delta"]]
    alpha = pages[0]["services"][0]
    assert alpha == {
        "arn": service_arn("alpha"),
        "createdAt": alpha["createdAt"],
        "description": "the alpha service",
        "lastModifiedAt": alpha["lastModifiedAt"],
        "name": "alpha",
        "status": "ACTIVE",
        "templateName": "web",
    }


def test_a_missing_service_is_named_by_its_arn(world: World) -> None:
    client = proton(world)
    assert refused(client.get_service, name="missing") == missing("service", f"{SERVICE_ARN}/missing")
    assert refused(client.update_service, name="missing", description="x") == missing(
        "service", f"{SERVICE_ARN}/missing"
    )
    assert refused(client.delete_service, name="missing") == missing("service", f"{SERVICE_ARN}/missing")


# -- the template version -----------------------------------------------------------------------------------------


def test_the_minor_defaults_to_the_recommended_one_and_a_draft_is_used_only_when_named(world: World) -> None:
    setup(world)
    template_version(world, "web", "1")  # 1.1, recommended
    template_version(world, "web", "1", publish=False)  # 1.2, DRAFT
    create_service(world, "one", ("one-dev", "dev"))
    assert get_instance(world, "one-dev", "one")["templateMinorVersion"] == "1"
    create_service(world, "two", ("two-dev", "dev"), templateMinorVersion="2")
    assert get_instance(world, "two-dev", "two")["templateMinorVersion"] == "2"
    assert get_service(world, "two")["pipeline"]["templateMinorVersion"] == "2"
    create_service(world, "three", ("three-dev", "dev"), templateMinorVersion="0")
    assert get_instance(world, "three-dev", "three")["templateMinorVersion"] == "0"


def test_a_missing_template_or_version_is_not_found(world: World) -> None:
    setup(world)
    assert refused(create_service, world=world, template="missing") == missing(
        "service template", template_arn("missing")
    )
    assert refused(create_service, world=world, templateMinorVersion="9") == missing(
        "service template version", version_arn("1.9")
    )
    # A major without versions is named `<name>:<major>`.
    assert refused(create_service, world=world, major="4") == missing("service template version", version_arn("4"))
    nothing_left(world)


# -- S-11 and S-12: the repository members and the pipeline -------------------------------------------------------


@pytest.mark.parametrize("member", ["repositoryConnectionArn", "repositoryId", "branchName"])
def test_a_pipeline_needs_every_repository_member(world: World, member: str) -> None:
    setup(world)
    members = {k: v for k, v in REPOSITORY_MEMBERS.items() if k != member}
    code, message, status = refused(
        proton(world).create_service,
        name="shop",
        templateName="web",
        templateMajorVersion="1",
        spec=spec_of(DEV),
        **members,
    )
    assert (code, status) == ("ValidationException", 400)
    assert member in message
    nothing_left(world)


@pytest.mark.parametrize("member", ["repositoryConnectionArn", "repositoryId", "branchName"])
def test_without_a_pipeline_no_repository_member_is_taken(world: World, member: str) -> None:
    setup(world, pipelineProvisioning="CUSTOMER_MANAGED")
    code, message, status = refused(create_service, world=world, pipeline=False, **{member: REPOSITORY_MEMBERS[member]})
    assert (code, status) == ("ValidationException", 400)
    assert member in message
    nothing_left(world)


def test_without_a_pipeline_the_pipeline_section_is_ignored(world: World) -> None:
    setup(world, pipelineProvisioning="CUSTOMER_MANAGED")
    spec = spec_of(DEV, pipeline=PIPELINE_INPUTS)
    create_service(world, "shop", pipeline=False, spec=spec)
    got = get_service(world)
    assert (got["status"], got["spec"]) == ("ACTIVE", spec)
    assert not {"pipeline", "repositoryConnectionArn", "repositoryId", "branchName"} & set(got)
    assert {d["targetResourceType"] for d in service_deployments(world)} == {"SERVICE_INSTANCE"}
    assert refused(proton(world).get_service_instance, name="pipeline", serviceName="shop")[0] == (
        "ResourceNotFoundException"
    )


def test_a_service_with_a_pipeline_may_have_no_instances(world: World) -> None:
    setup(world)
    spec = spec_of()
    create_service(world, "shop", spec=spec)
    got = get_service(world)
    assert (got["status"], got["pipeline"]["deploymentStatus"]) == ("ACTIVE", "SUCCEEDED")
    assert instance_names(world, "shop") == []


def test_a_service_without_a_pipeline_needs_an_instance(world: World) -> None:
    setup(world, pipelineProvisioning="CUSTOMER_MANAGED")
    code, _, status = refused(create_service, world=world, pipeline=False, spec=spec_of(pipeline=None))
    assert (code, status) == ("ValidationException", 400)
    nothing_left(world)


# -- S-10 and S-13: the spec's environments -------------------------------------------------------------------


def test_an_instance_environment_that_does_not_exist_is_a_spec_error(world: World) -> None:
    env_template(world)
    pipeline_roles(world)
    published_web(world)
    # An environment `dev` of another account does not count.
    other = proton(world, OTHER_ACCOUNT)
    other.create_environment_template(name="vpc")
    other.create_environment_template_version(templateName="vpc", source=SOURCE)
    other.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    other.create_environment(
        name="dev",
        templateName="vpc",
        templateMajorVersion="1",
        spec=ENV_SPEC,
        protonServiceRoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/proton-service",
    )
    assert refused(create_service, world=world) == (
        "ValidationException",
        "Invalid spec: 1 validation error detected: instances[shop-dev].environment: environment dev does not exist",
        400,
    )
    nothing_left(world)


def test_an_environment_that_is_not_deployed_is_refused(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    environment(world, "staging")
    world.set_settle_policy("fail")
    environment(world, "broken")
    for name in ("staging", "broken"):
        assert refused(create_service, world=world, spec=spec_of(DEV, ("shop-x", name))) == (
            "ValidationException",
            f"Environment {name} is not deployed",
            400,
        )
    nothing_left(world)


def test_an_environment_being_deleted_or_failed_to_delete_is_not_deployed(world: World) -> None:
    setup(world)
    environment(world, "old")
    environment(world, "stale")
    world.set_settle_policy("manual")
    proton(world).delete_environment(name="old")
    world.set_settle_policy("fail")
    proton(world).delete_environment(name="stale")
    assert proton(world).get_environment(name="stale")["environment"]["deploymentStatus"] == "DELETE_FAILED"
    world.set_settle_policy("succeed")
    for name in ("old", "stale"):
        assert refused(create_service, world=world, spec=spec_of(("shop-x", name))) == (
            "ValidationException",
            f"Environment {name} is not deployed",
            400,
        )
    nothing_left(world)


def test_an_environment_of_an_incompatible_template_or_major_is_refused(world: World) -> None:
    setup(world)
    env_template(world, "net")
    environment(world, "edge", template="net")
    proton(world).create_environment_template_version(templateName="vpc", source=SOURCE)
    proton(world).update_environment_template_version(
        templateName="vpc", majorVersion="2", minorVersion="0", status="PUBLISHED"
    )
    environment(world, "next", major="2")
    for name, template in (("edge", "net:1"), ("next", "vpc:2")):
        assert refused(create_service, world=world, spec=spec_of(DEV, ("shop-x", name))) == (
            "ValidationException",
            f"Environment {name} (template {template}) is not compatible with service template version web:1.0",
            400,
        )
    nothing_left(world)


def test_instances_in_the_quota_of_twenty_per_service(world: World) -> None:
    setup(world)
    entries = [(f"shop-{n:02}", "dev") for n in range(21)]
    code, _, status = refused(create_service, world=world, spec=spec_of(*entries))
    assert (code, status) == ("ServiceQuotaExceededException", 400)
    nothing_left(world)
    create_service(world, "shop", spec=spec_of(*entries[:20]))
    assert len(instance_names(world, "shop")) == 20


# -- idempotency, tags ----------------------------------------------------------------------------------------


def test_create_is_idempotent_for_the_same_parameters_and_refuses_others(world: World) -> None:
    setup(world)
    first = create_service(world, description="shop")
    again = create_service(world, description="shop")
    assert again == get_service(world)
    assert again["createdAt"] == first["createdAt"]
    assert len(service_deployments(world)) == 2  # the instance and the pipeline, once
    code, _, status = refused(create_service, world=world, description="another shop")
    assert (code, status) == ("ValidationException", 400)
    code, _, status = refused(create_service, world=world, description="shop", spec=spec_of(DEV, pipeline={"a": 1}))
    assert (code, status) == ("ValidationException", 400)
    assert service_names(world) == ["shop"]


def test_the_service_tags_are_copied_onto_its_instances(world: World) -> None:
    setup(world)
    tags = [{"key": "team", "value": "web"}, {"key": "tier", "value": "front"}]
    create_service(world, tags=tags)
    assert tags_of(world, service_arn()) == {"team": "web", "tier": "front"}
    assert tags_of(world, instance_arn("shop-dev")) == {"team": "web", "tier": "front"}
    # An instance's own tags win on a key.
    proton(world).create_service_instance(
        name="shop-two",
        serviceName="shop",
        spec=spec_of(DEV, ("shop-two", "dev")),
        tags=[{"key": "tier", "value": "back"}, {"key": "owner", "value": "me"}],
    )
    assert tags_of(world, instance_arn("shop-two")) == {"team": "web", "tier": "back", "owner": "me"}
    # Copies, not links: a later change to the service's tags stays on the service.
    proton(world).tag_resource(resourceArn=service_arn(), tags=[{"key": "stage", "value": "beta"}])
    assert "stage" not in tags_of(world, instance_arn("shop-dev"))


def test_the_service_quota_is_a_setting() -> None:
    # In-process only: the servers keep the default quota of 1000, too many to create in a test.
    with mock_proton(settings=Settings(database_url="sqlite://", service_quota=2)) as mock:
        world = InProcessWorld(mock)
        setup(world)
        create_service(world, "one", ("one-dev", "dev"))
        create_service(world, "two", ("two-dev", "dev"))
        code, _, status = refused(create_service, world=world, name="three")
        assert (code, status) == ("ServiceQuotaExceededException", 400)
        assert service_names(world) == ["one", "two"]
        proton(world).delete_service(name="two")
        create_service(world, "three", ("three-dev", "dev"))
        assert service_names(world) == ["one", "three"]


def test_a_repeated_create_while_it_is_under_way_returns_the_service(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    first = create_service(world)
    assert create_service(world) == first
    assert len(service_deployments(world)) == 2
