"""UpdateService and DeleteService (services.md, "UpdateService", "DeleteService"; S-15, S-16, S-17), in every
mode."""

from __future__ import annotations

from support import World

from .service_helpers import (
    DEV,
    FIRST_POLL,
    create_service,
    environment,
    get_instance,
    get_service,
    instance_names,
    missing_service,
    pipeline_of,
    proton,
    refused,
    service_deployments,
    settle_all,
    setup,
    spec_of,
    template_version,
)

CURRENT_VAL = "${Proton::CURRENT_VAL}"


def cannot_modify_instance(name: str) -> tuple[str, str, int]:
    return (
        "ValidationException",
        f"UpdateService can't modify existing service instance {name}; use UpdateServiceInstance",
        400,
    )


CANNOT_MODIFY_PIPELINE = (
    "ValidationException",
    "UpdateService can't modify the service pipeline; use UpdateServicePipeline",
    400,
)


def busy(world: World) -> None:
    """Every call S-17 blocks while the service is busy."""
    client = proton(world)
    for code in (
        refused(client.update_service, name="shop", spec=spec_of(DEV, ("shop-two", "dev")))[0],
        refused(client.delete_service, name="shop")[0],
        refused(
            client.create_service_instance, name="shop-two", serviceName="shop", spec=spec_of(DEV, ("shop-two", "dev"))
        )[0],
    ):
        assert code == "ConflictException"


# -- S-15: the description alone ------------------------------------------------------------------------------


def test_a_description_alone_is_synchronous_and_deploys_nothing(world: World) -> None:
    setup(world)
    create_service(world)
    before = get_service(world)
    deployed = len(service_deployments(world))
    updated = proton(world).update_service(name="shop", description="new")["service"]
    assert updated == {**before, "description": "new", "lastModifiedAt": updated["lastModifiedAt"]}
    assert updated["lastModifiedAt"] > before["lastModifiedAt"]
    assert get_service(world) == updated
    assert len(service_deployments(world)) == deployed


def test_a_description_may_change_while_the_service_is_being_created(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    updated = proton(world).update_service(name="shop", description="new")["service"]
    assert (updated["status"], updated["description"]) == ("CREATE_IN_PROGRESS", "new")


def test_no_update_while_the_service_is_being_deleted(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    proton(world).delete_service(name="shop")
    code, _, status = refused(proton(world).update_service, name="shop", description="new")
    assert (code, status) == ("ConflictException", 400)
    code, _, status = refused(proton(world).update_service, name="shop", spec=spec_of(DEV))
    assert (code, status) == ("ConflictException", 400)


# -- S-16: kept instances and the pipeline --------------------------------------------------------------------


def test_a_kept_instance_with_another_spec_or_environment_is_refused(world: World) -> None:
    setup(world, prod=True)
    create_service(world)
    client = proton(world)
    for spec in (spec_of(("shop-dev", "dev", {"port": 81})), spec_of(("shop-dev", "prod"))):
        assert refused(client.update_service, name="shop", spec=spec) == cannot_modify_instance("shop-dev")
    assert get_service(world)["spec"] == spec_of(DEV)


def test_a_changed_pipeline_section_is_refused(world: World) -> None:
    setup(world)
    create_service(world)
    for pipeline in ({"dockerfile": "Other"}, {"dockerfile": "Dockerfile", "more": 1}):
        spec = spec_of(DEV, ("shop-two", "dev"), pipeline=pipeline)
        assert refused(proton(world).update_service, name="shop", spec=spec) == CANNOT_MODIFY_PIPELINE
    assert instance_names(world, "shop") == ["shop-dev"]


def test_the_same_document_written_otherwise_is_stored_and_deploys_nothing(world: World) -> None:
    setup(world)
    create_service(world)
    deployed = len(service_deployments(world))
    spec = (
        "proton: ServiceSpec\n"
        "instances:\n"
        "- {environment: dev, name: shop-dev, spec: {port: 80}}\n"
        "pipeline:\n"
        "  dockerfile: Dockerfile  # the same inputs\n"
    )
    updated = proton(world).update_service(name="shop", spec=spec)["service"]
    assert updated["spec"] == spec  # S-9: verbatim
    got = get_service(world)
    assert (got["status"], got["spec"]) == ("ACTIVE", spec)
    assert len(service_deployments(world)) == deployed
    assert get_instance(world)["spec"] == spec_of(DEV)  # the instance keeps its own document


def test_current_val_equals_anything_and_an_absent_spec_equals_an_empty_one(world: World) -> None:
    setup(world)
    create_service(world, "shop", DEV, ("shop-bare", "dev", None))
    deployed = len(service_deployments(world))
    spec = spec_of(
        ("shop-dev", "dev", {"port": CURRENT_VAL}),
        ("shop-bare", "dev", {}),
        pipeline={"dockerfile": CURRENT_VAL},
    )
    proton(world).update_service(name="shop", spec=spec)
    got = get_service(world)
    assert (got["status"], got["spec"]) == ("ACTIVE", spec)
    assert len(service_deployments(world)) == deployed


def test_an_absent_pipeline_section_differs_from_a_pipeline_with_inputs(world: World) -> None:
    setup(world)
    create_service(world)
    assert refused(proton(world).update_service, name="shop", spec=spec_of(DEV, pipeline=None)) == (
        CANNOT_MODIFY_PIPELINE
    )


def test_a_service_without_a_pipeline_ignores_the_pipeline_section_on_update(world: World) -> None:
    setup(world, pipelineProvisioning="CUSTOMER_MANAGED")
    create_service(world, "shop", DEV, pipeline=False)
    spec = spec_of(DEV, ("shop-two", "dev"), pipeline={"anything": "goes"})
    proton(world).update_service(name="shop", spec=spec)
    assert get_service(world)["status"] == "ACTIVE"
    assert instance_names(world, "shop") == ["shop-dev", "shop-two"]


def test_update_applies_create_rules_to_added_instances(world: World) -> None:
    setup(world, pipelineProvisioning="CUSTOMER_MANAGED")
    create_service(world, "shop", DEV, pipeline=False)
    client = proton(world)
    assert refused(client.update_service, name="shop", spec=spec_of(DEV, ("shop-x", "nowhere"), pipeline=None)) == (
        "ValidationException",
        "Invalid spec: 1 validation error detected: instances[shop-x].environment: environment nowhere does not exist",
        400,
    )
    world.set_settle_policy("manual")
    environment(world, "staging")
    world.set_settle_policy("succeed")
    assert refused(client.update_service, name="shop", spec=spec_of(DEV, ("shop-x", "staging"), pipeline=None)) == (
        "ValidationException",
        "Environment staging is not deployed",
        400,
    )
    # S-12: a service without a pipeline keeps an instance.
    code, _, status = refused(client.update_service, name="shop", spec=spec_of(pipeline=None))
    assert (code, status) == ("ValidationException", 400)
    entries = [(f"shop-{n:02}", "dev") for n in range(20)]
    code, _, status = refused(client.update_service, name="shop", spec=spec_of(DEV, *entries, pipeline=None))
    assert (code, status) == ("ServiceQuotaExceededException", 400)
    assert instance_names(world, "shop") == ["shop-dev"]
    assert get_service(world)["spec"] == spec_of(DEV, pipeline=None)


def test_a_pipeline_service_may_remove_all_its_instances(world: World) -> None:
    setup(world)
    create_service(world)
    proton(world).update_service(name="shop", spec=spec_of())
    got = get_service(world)
    assert got["status"] == "ACTIVE"
    assert instance_names(world, "shop") == []


def test_instances_added_by_update_take_the_recommended_version(world: World) -> None:
    setup(world)
    create_service(world)
    template_version(world)  # 2.0, the template's recommended version
    proton(world).update_service(name="shop", spec=spec_of(DEV, ("shop-two", "dev")))
    added = get_instance(world, "shop-two")
    assert (added["templateMajorVersion"], added["templateMinorVersion"]) == ("2", "0")
    assert pipeline_of(world)["templateMajorVersion"] == "1"


# -- S-17: busy ----------------------------------------------------------------------------------------------


def test_a_service_being_created_or_updated_is_busy(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    busy(world)
    client = proton(world)
    for refusal in (
        refused(client.update_service_instance, name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION"),
        refused(
            client.update_service_pipeline, serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV)
        ),
    ):
        assert refusal[0] == "ConflictException"
    settle_all(world)
    client.update_service(name="shop", spec=spec_of(DEV, ("shop-three", "dev")))
    assert get_service(world)["status"] == "UPDATE_IN_PROGRESS"
    busy(world)
    assert (
        refused(client.update_service_instance, name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")[
            0
        ]
        == "ConflictException"
    )


def test_a_deployment_under_way_on_an_instance_or_the_pipeline_makes_the_service_busy(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    client = proton(world)
    client.update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")
    assert get_service(world)["status"] == "ACTIVE"
    busy(world)
    assert (
        refused(client.update_service_instance, name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")[
            0
        ]
        == "ConflictException"
    )
    # The pipeline's own deployment is not under way: it may be updated meanwhile.
    client.update_service_pipeline(serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV))
    assert (
        refused(
            client.update_service_pipeline, serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV)
        )[0]
        == "ConflictException"
    )
    settle_all(world)
    client.update_service(name="shop", spec=spec_of(DEV, ("shop-two", "dev")))


# -- DeleteService ----------------------------------------------------------------------------------------------


def test_delete_answers_delete_in_progress_a_repeat_returns_it_then_it_is_gone(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    client = proton(world)
    first = client.delete_service(name="shop")["service"]
    assert first["status"] == "DELETE_IN_PROGRESS"
    again = client.delete_service(name="shop")["service"]
    assert again == first
    assert get_service(world) == first
    settle_all(world)
    assert refused(client.get_service, name="shop") == missing_service()
    assert refused(client.delete_service, name="shop") == missing_service()
    client.get_waiter("service_deleted").wait(name="shop", WaiterConfig=FIRST_POLL)


def test_a_deleted_service_can_be_created_again(world: World) -> None:
    setup(world)
    create_service(world, description="first")
    proton(world).delete_service(name="shop")
    again = create_service(world, description="second")
    assert again["description"] == "second"
    assert get_service(world)["status"] == "ACTIVE"


def test_instances_and_the_pipeline_cannot_update_while_the_service_is_being_deleted(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    client = proton(world)
    client.delete_service(name="shop")
    for refusal in (
        refused(client.update_service_instance, name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION"),
        refused(
            client.update_service_pipeline, serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV)
        ),
        refused(
            client.create_service_instance, name="shop-two", serviceName="shop", spec=spec_of(DEV, ("shop-two", "dev"))
        ),
    ):
        assert refusal[:1] == ("ConflictException",)
    # Instances being deleted are listed until gone.
    assert instance_names(world, "shop") == ["shop-dev"]
    assert get_instance(world)["deploymentStatus"] == "DELETE_IN_PROGRESS"


def test_the_pipeline_keeps_its_own_document_when_update_service_redeploys_it(world: World) -> None:
    setup(world)
    create_service(world)
    spec = spec_of(DEV, ("shop-two", "dev"))
    proton(world).update_service(name="shop", spec=spec)
    assert get_service(world)["spec"] == spec
    assert pipeline_of(world)["spec"] == spec_of(DEV)
    assert get_instance(world, "shop-two")["spec"] == spec
