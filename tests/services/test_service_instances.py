"""CreateServiceInstance, UpdateServiceInstance and CancelServiceInstanceDeployment (services.md, "Service
instances"; S-13, S-18, S-19), in every mode."""

from __future__ import annotations

import pytest
from botocore.exceptions import WaiterError

from support import World

from .service_helpers import (
    CANCELLED,
    DEV,
    FIRST_POLL,
    PROD,
    create_service,
    env_template,
    environment,
    get_deployment,
    get_instance,
    get_service,
    instance_arn,
    instance_names,
    missing,
    missing_instance,
    missing_service,
    pipeline_of,
    proton,
    refused,
    service_deployments,
    settle_all,
    setup,
    spec_of,
    template_version,
    version_arn,
    version_of,
)

TWO = ("shop-two", "dev")


def add_instance(world: World, name: str = "shop-two", environment_name: str = "dev", **members: object) -> dict:
    spec = members.pop("spec", None) or spec_of(DEV, (name, environment_name))
    return proton(world).create_service_instance(name=name, serviceName="shop", spec=spec, **members)["serviceInstance"]


def update_instance(world: World, deployment_type: str, name: str = "shop-dev", **members: object) -> dict:
    return proton(world).update_service_instance(
        name=name, serviceName="shop", deploymentType=deployment_type, **members
    )["serviceInstance"]


def instance_state(version: str, spec: str) -> dict:
    major, minor = version.split(".")
    return {"templateMajorVersion": major, "templateMinorVersion": minor, "templateName": "web", "spec": spec}


# -- CreateServiceInstance (S-18) -----------------------------------------------------------------------------


def test_create_instance_takes_its_environment_from_the_spec_entry_and_leaves_the_service_alone(
    world: World,
) -> None:
    setup(world, prod=True)
    create_service(world)
    before = get_service(world)
    spec = spec_of(DEV, ("shop-two", "prod"))
    created = add_instance(world, spec=spec)
    assert created["deploymentStatus"] == "IN_PROGRESS"
    assert (created["arn"], created["environmentName"], created["spec"]) == (instance_arn("shop-two"), "prod", spec)
    got = get_instance(world, "shop-two")
    assert (got["deploymentStatus"], got["environmentName"], version_of(got)) == ("SUCCEEDED", "prod", "1.0")
    # The service's status and spec stay, and the pipeline is not redeployed.
    after = get_service(world)
    assert (after["status"], after["spec"]) == ("ACTIVE", before["spec"])
    assert after["pipeline"]["lastAttemptedDeploymentId"] == before["pipeline"]["lastAttemptedDeploymentId"]
    assert instance_names(world, "shop") == ["shop-dev", "shop-two"]


def test_the_spec_must_contain_the_named_entry(world: World) -> None:
    setup(world)
    create_service(world)
    assert refused(add_instance, world=world, spec=spec_of(DEV)) == (
        "ValidationException",
        "Invalid spec: 1 validation error detected: instances: no entry named shop-two",
        400,
    )
    assert instance_names(world, "shop") == ["shop-dev"]


def test_the_version_is_the_one_named_the_majors_recommended_minor_or_the_templates_recommended(
    world: World,
) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1
    template_version(world)  # 2.0, the template's recommendedVersion
    spec = spec_of(DEV, ("a", "dev"), ("b", "dev"), ("c", "dev"))
    assert version_of(add_instance(world, "a", spec=spec, templateMajorVersion="1", templateMinorVersion="0")) == "1.0"
    assert version_of(add_instance(world, "b", spec=spec, templateMajorVersion="1")) == "1.1"
    assert version_of(add_instance(world, "c", spec=spec)) == "2.0"
    assert [version_of(get_instance(world, name)) for name in "abc"] == ["1.0", "1.1", "2.0"]


def test_create_instance_refusals(world: World) -> None:
    setup(world)
    env_template(world, "net")
    environment(world, "edge", template="net")
    create_service(world)
    assert refused(
        proton(world).create_service_instance, name="x", serviceName="missing", spec=spec_of(("x", "dev"))
    ) == missing_service("missing")
    code, _, status = refused(add_instance, world=world, name="shop-dev", spec=spec_of(DEV))
    assert (code, status) == ("ConflictException", 400)
    assert refused(add_instance, world=world, environment_name="edge") == (
        "ValidationException",
        "Environment edge (template net:1) is not compatible with service template version web:1.0",
        400,
    )
    assert refused(add_instance, world=world, templateMajorVersion="1", templateMinorVersion="7") == missing(
        "service template version", version_arn("1.7")
    )
    world.set_settle_policy("manual")
    environment(world, "staging")
    assert refused(add_instance, world=world, environment_name="staging") == (
        "ValidationException",
        "Environment staging is not deployed",
        400,
    )
    assert instance_names(world, "shop") == ["shop-dev"]


def test_create_instance_over_the_quota_is_a_validation_error(world: World) -> None:
    setup(world)
    entries = [(f"shop-{n:02}", "dev") for n in range(20)]
    create_service(world, "shop", *entries)
    code, _, status = refused(add_instance, world=world, spec=spec_of(*entries, TWO))
    assert (code, status) == ("ValidationException", 400)


def test_a_client_token_repeats_the_create_and_refuses_other_parameters(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    first = add_instance(world, clientToken="token-1")
    # Checked before the service is found busy (its new instance is under way).
    again = add_instance(world, clientToken="token-1")
    assert again["arn"] == first["arn"]
    assert again["lastAttemptedDeploymentId"] == first["lastAttemptedDeploymentId"]
    code, _, status = refused(add_instance, world=world, name="shop-three", clientToken="token-1")
    assert (code, status) == ("ValidationException", 400)
    assert instance_names(world, "shop") == ["shop-dev", "shop-two"]


# -- UpdateServiceInstance ------------------------------------------------------------------------------------


def test_update_answers_in_progress_on_the_old_version_and_then_shows_the_new_one(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1
    world.set_settle_policy("manual")
    spec = spec_of(("shop-dev", "dev", {"port": 8080}))
    updating = update_instance(world, "MINOR_VERSION", spec=spec)
    assert (updating["deploymentStatus"], version_of(updating), updating["spec"]) == (
        "IN_PROGRESS",
        "1.0",
        spec_of(DEV),
    )
    deployment = get_deployment(world, updating["lastAttemptedDeploymentId"])
    initial, target = (deployment[key]["serviceInstance"] for key in ("initialState", "targetState"))
    assert {key: initial[key] for key in instance_state("1.0", spec)} == instance_state("1.0", spec_of(DEV))
    assert {key: target[key] for key in instance_state("1.1", spec)} == instance_state("1.1", spec)
    settle_all(world)
    got = get_instance(world)
    assert (got["deploymentStatus"], version_of(got), got["spec"]) == ("SUCCEEDED", "1.1", spec)
    assert got["lastSucceededDeploymentId"] == updating["lastAttemptedDeploymentId"]
    proton(world).get_waiter("service_instance_deployed").wait(
        name="shop-dev", serviceName="shop", WaiterConfig=FIRST_POLL
    )


def test_update_none_changes_nothing_and_refuses_a_spec(world: World) -> None:
    setup(world)
    create_service(world)
    before = get_instance(world)
    deployed = len(service_deployments(world))
    updated = update_instance(world, "NONE")
    assert {k: v for k, v in updated.items() if k != "lastClientRequestToken"} == before
    assert len(service_deployments(world)) == deployed
    code, _, status = refused(update_instance, world=world, deployment_type="NONE", spec=spec_of(DEV))
    assert (code, status) == ("ValidationException", 400)  # D-5
    assert get_instance(world)["spec"] == before["spec"]


def test_update_current_version_without_a_spec_redeploys_the_current_one(world: World) -> None:
    setup(world)
    create_service(world)
    spec = spec_of(("shop-dev", "dev", {"port": 81}))
    update_instance(world, "CURRENT_VERSION", spec=spec)
    assert get_instance(world)["spec"] == spec
    again = update_instance(world, "CURRENT_VERSION")
    target = get_deployment(world, again["lastAttemptedDeploymentId"])["targetState"]["serviceInstance"]
    assert (target["spec"], target["templateMinorVersion"]) == (spec, "0")
    code, _, status = refused(update_instance, world=world, deployment_type="CURRENT_VERSION", templateMajorVersion="1")
    assert (code, status) == ("ValidationException", 400)


def test_update_minor_and_major_version_follow_the_environment_rules(world: World) -> None:
    setup(world)
    create_service(world)
    code, _, status = refused(update_instance, world=world, deployment_type="MAJOR_VERSION")
    assert (code, status) == ("ValidationException", 400)  # no higher major
    template_version(world, "web", "1")  # 1.1, recommended
    template_version(world, "web", "1", publish=False)  # 1.2, DRAFT
    template_version(world)  # 2.0
    template_version(world, "web", "2")  # 2.1, recommended
    update_instance(world, "MINOR_VERSION")
    assert version_of(get_instance(world)) == "1.1"
    update_instance(world, "MINOR_VERSION", templateMinorVersion="2")
    assert version_of(get_instance(world)) == "1.2"
    code, _, status = refused(update_instance, world=world, deployment_type="MINOR_VERSION", templateMajorVersion="2")
    assert (code, status) == ("ValidationException", 400)
    assert refused(update_instance, world=world, deployment_type="MINOR_VERSION", templateMinorVersion="9") == (
        missing("service template version", version_arn("1.9"))
    )
    update_instance(world, "MAJOR_VERSION")
    assert version_of(get_instance(world)) == "2.1"
    assert pipeline_of(world)["templateMajorVersion"] == "1"  # the pipeline keeps its own version


def test_an_update_to_another_version_checks_compatibility(world: World) -> None:
    setup(world)
    env_template(world, "net")
    create_service(world)
    template_version(world, compatible=(("net", "1"),))  # 2.0
    assert refused(update_instance, world=world, deployment_type="MAJOR_VERSION") == (
        "ValidationException",
        "Environment dev (template vpc:1) is not compatible with service template version web:2.0",
        400,
    )
    assert version_of(get_instance(world)) == "1.0"


def test_a_spec_given_must_hold_the_instance_entry_in_its_environment(world: World) -> None:
    setup(world, prod=True)
    create_service(world)
    for spec in (spec_of(TWO), spec_of(("shop-dev", "prod"))):
        code, _, status = refused(update_instance, world=world, deployment_type="CURRENT_VERSION", spec=spec)
        assert (code, status) == ("ValidationException", 400)
    assert get_instance(world)["spec"] == spec_of(DEV)


def test_a_repeat_with_the_last_client_token_starts_nothing_and_other_parameters_are_refused(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    spec = spec_of(("shop-dev", "dev", {"port": 81}))
    first = update_instance(world, "CURRENT_VERSION", spec=spec, clientToken="retry-1")
    assert first["lastClientRequestToken"] == "retry-1"
    # While its deployment is under way, the SDK's retry returns the instance as it is.
    again = update_instance(world, "CURRENT_VERSION", spec=spec, clientToken="retry-1")
    assert again == get_instance(world)
    assert again["lastAttemptedDeploymentId"] == first["lastAttemptedDeploymentId"]
    code, _, status = refused(
        update_instance, world=world, deployment_type="CURRENT_VERSION", spec=spec_of(DEV), clientToken="retry-1"
    )
    assert (code, status) == ("ValidationException", 400)
    settle_all(world)
    after = update_instance(world, "CURRENT_VERSION", spec=spec, clientToken="retry-1")
    assert after["lastAttemptedDeploymentId"] == first["lastAttemptedDeploymentId"]
    assert world.deployments_under_way() == []


def test_update_of_missing_or_delete_failed_instances(world: World) -> None:
    setup(world)
    create_service(world, "shop", DEV, TWO)
    assert refused(update_instance, world=world, deployment_type="CURRENT_VERSION", name="gone") == (
        missing_instance("gone")
    )
    world.set_settle_policy("fail")
    proton(world).update_service(name="shop", spec=spec_of(DEV))
    assert get_instance(world, "shop-two")["deploymentStatus"] == "DELETE_FAILED"
    world.set_settle_policy("succeed")
    code, _, status = refused(update_instance, world=world, deployment_type="CURRENT_VERSION", name="shop-two")
    assert (code, status) == ("ConflictException", 400)


# -- CancelServiceInstanceDeployment ---------------------------------------------------------------------------


def test_cancel_answers_cancelling_then_cancelled_and_keeps_version_and_spec(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1
    world.set_settle_policy("manual")
    updating = update_instance(world, "MINOR_VERSION", spec=spec_of(("shop-dev", "dev", {"port": 1})))
    cancelling = proton(world).cancel_service_instance_deployment(serviceInstanceName="shop-dev", serviceName="shop")[
        "serviceInstance"
    ]
    assert cancelling == {**updating, "deploymentStatus": "CANCELLING"}
    got = get_instance(world)
    assert got == {**updating, "deploymentStatus": "CANCELLED", "deploymentStatusMessage": CANCELLED}
    assert (version_of(got), got["spec"]) == ("1.0", spec_of(DEV))
    deployment = get_deployment(world, updating["lastAttemptedDeploymentId"])
    assert (deployment["deploymentStatus"], deployment["deploymentStatusMessage"]) == ("CANCELLED", CANCELLED)
    assert world.deployments_under_way() == []
    code, _, status = refused(
        proton(world).cancel_service_instance_deployment, serviceInstanceName="shop-dev", serviceName="shop"
    )
    assert (code, status) == ("ConflictException", 400)


@pytest.mark.parametrize("started_by", ["CreateService", "nothing"])
def test_cancel_applies_only_to_an_update_in_progress(world: World, started_by: str) -> None:
    setup(world)
    if started_by == "CreateService":
        world.set_settle_policy("manual")
    create_service(world)
    code, _, status = refused(
        proton(world).cancel_service_instance_deployment, serviceInstanceName="shop-dev", serviceName="shop"
    )
    assert (code, status) == ("ConflictException", 400)
    assert refused(
        proton(world).cancel_service_instance_deployment, serviceInstanceName="gone", serviceName="shop"
    ) == missing_instance("gone")


def test_the_instance_deployed_waiter_stops_on_a_failure(world: World) -> None:
    setup(world, prod=True)
    world.set_settle_policy("fail")
    create_service(world, "shop", PROD)
    with pytest.raises(WaiterError) as excinfo:
        proton(world).get_waiter("service_instance_deployed").wait(
            name="shop-prod", serviceName="shop", WaiterConfig=FIRST_POLL
        )
    assert "terminal failure state" in str(excinfo.value)


def test_delete_failed_instances_count_in_the_quota(world: World) -> None:
    setup(world)
    entries = [(f"shop-{n:02}", "dev") for n in range(20)]
    create_service(world, "shop", *entries)
    world.set_settle_policy("fail")
    proton(world).update_service(name="shop", spec=spec_of(*entries[1:]))
    assert get_instance(world, "shop-00")["deploymentStatus"] == "DELETE_FAILED"
    world.set_settle_policy("succeed")
    code, _, status = refused(add_instance, world=world, spec=spec_of(*entries[1:], TWO))
    assert (code, status) == ("ValidationException", 400)
    assert "shop-two" not in instance_names(world, "shop")


def test_a_client_token_given_to_create_is_the_last_one(world: World) -> None:
    setup(world)
    create_service(world)
    assert "lastClientRequestToken" not in get_instance(world)  # CreateService takes no token
    add_instance(world, clientToken="made-1")
    assert get_instance(world, "shop-two")["lastClientRequestToken"] == "made-1"
    update_instance(world, "CURRENT_VERSION", name="shop-two", clientToken="updated-1")
    assert get_instance(world, "shop-two")["lastClientRequestToken"] == "updated-1"


def test_a_failed_update_keeps_the_version_and_spec_of_the_last_success(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world, "web", "1")  # 1.1
    before = get_instance(world)
    world.set_settle_policy("fail", message="The stack failed.")
    updating = update_instance(world, "MINOR_VERSION", spec=spec_of(("shop-dev", "dev", {"port": 9})))
    got = get_instance(world)
    assert got == {
        **before,
        "deploymentStatus": "FAILED",
        "deploymentStatusMessage": "The stack failed.",
        "lastAttemptedDeploymentId": updating["lastAttemptedDeploymentId"],
        "lastDeploymentAttemptedAt": updating["lastDeploymentAttemptedAt"],
        "lastClientRequestToken": updating["lastClientRequestToken"],
    }
    assert (version_of(got), got["spec"]) == ("1.0", spec_of(DEV))
