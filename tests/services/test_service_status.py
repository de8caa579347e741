"""A service's status, summed up from its latest operation's deployments ([decided] S-14), under the `manual`
and `fail` settle policies, in every mode."""

from __future__ import annotations

import pytest
from botocore.exceptions import WaiterError

from openproton.decided import SETTLE_FAIL_MESSAGE
from support import World

from .service_helpers import (
    DEV,
    FIRST_POLL,
    PROD,
    create_service,
    get_deployment,
    get_instance,
    get_service,
    instance_arn,
    instance_names,
    missing_instance,
    missing_service,
    pipeline_of,
    proton,
    refused,
    settle_all,
    setup,
    spec_of,
    under_way_ids,
)

INSTANCES_FAILED = "Service instance(s) failed to deploy: "
PIPELINE_FAILED = "Service pipeline failed to deploy"


def canceling(*names: str) -> str:
    """The message of a pipeline deployment an instance's failure ended (observed wording)."""
    arns = ", ".join(instance_arn(name) for name in names)
    return f"Service Instance(s): [{arns}] failed to deploy - canceling pipeline deployment"


def ids(world: World, *instances: str) -> list[str]:
    """The last attempted deployments of these instances, then of the pipeline."""
    found = [get_instance(world, name)["lastAttemptedDeploymentId"] for name in instances]
    return [*found, pipeline_of(world)["lastAttemptedDeploymentId"]]


# -- create -----------------------------------------------------------------------------------------------------


def test_create_starts_every_deployment_at_once_and_is_active_when_all_succeed(world: World) -> None:
    setup(world, prod=True)
    world.set_settle_policy("manual")
    create_service(world, "shop", DEV, PROD)
    dev, prod, pipeline = ids(world, "shop-dev", "shop-prod")
    assert under_way_ids(world) == {dev, prod, pipeline}
    # [decided] S-2: the admin view shows where each deployment is provisioned.
    accounts = {d["id"]: d["environmentAccountId"] for d in world.deployments_under_way()}
    assert accounts == {dev: "222222222222", prod: "111111111111", pipeline: "222222222222"}
    world.settle(dev)
    world.settle(pipeline)
    assert get_service(world)["status"] == "CREATE_IN_PROGRESS"
    world.settle(prod)
    got = get_service(world)
    assert (got["status"], got["pipeline"]["deploymentStatus"]) == ("ACTIVE", "SUCCEEDED")
    assert "statusMessage" not in got


def test_a_failed_instance_once_all_have_ended_is_create_failed_and_stays(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    dev, pipeline = ids(world, "shop-dev")
    world.settle(pipeline)
    world.settle(dev, "FAILED", message="The stack failed.")
    got = get_service(world)
    assert (got["status"], got["statusMessage"]) == ("CREATE_FAILED", INSTANCES_FAILED + "shop-dev")
    assert got["pipeline"]["deploymentStatus"] == "SUCCEEDED"
    instance = get_instance(world)
    assert (instance["deploymentStatus"], instance["deploymentStatusMessage"]) == ("FAILED", "The stack failed.")
    assert instance_names(world, "shop") == ["shop-dev"]


def test_a_failed_pipeline_is_create_failed_with_its_message(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    dev, pipeline = ids(world, "shop-dev")
    world.settle(pipeline, "FAILED", message="The build failed.")
    assert get_service(world)["status"] == "CREATE_IN_PROGRESS"  # the instance is still under way
    world.settle(dev)
    got = get_service(world)
    assert (got["status"], got["statusMessage"]) == ("CREATE_FAILED", PIPELINE_FAILED)
    assert (got["pipeline"]["deploymentStatus"], got["pipeline"]["deploymentStatusMessage"]) == (
        "FAILED",
        "The build failed.",
    )
    assert get_instance(world)["deploymentStatus"] == "SUCCEEDED"


def test_an_instance_failing_while_the_pipeline_is_under_way_fails_the_pipeline_at_once(world: World) -> None:
    setup(world, prod=True)
    world.set_settle_policy("manual")
    create_service(world, "shop", DEV, PROD)
    dev, prod, pipeline = ids(world, "shop-dev", "shop-prod")
    world.settle(dev, "FAILED")
    got = pipeline_of(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", canceling("shop-dev"))
    deployment = get_deployment(world, pipeline)
    assert (deployment["deploymentStatus"], deployment["deploymentStatusMessage"]) == ("FAILED", canceling("shop-dev"))
    assert under_way_ids(world) == {prod}
    assert get_service(world)["status"] == "CREATE_IN_PROGRESS"  # shop-prod has not ended
    world.settle(prod)
    got_service = get_service(world)
    assert got_service["status"] == "CREATE_FAILED"
    assert got_service["statusMessage"].startswith(INSTANCES_FAILED + "shop-dev")


def test_under_the_fail_policy_a_create_fails_and_the_waiter_stops_on_its_first_poll(world: World) -> None:
    setup(world)
    world.set_settle_policy("fail")
    create_service(world)
    got = get_service(world)
    assert got["status"] == "CREATE_FAILED"
    assert INSTANCES_FAILED + "shop-dev" in got["statusMessage"]
    assert got["pipeline"]["deploymentStatus"] == "FAILED"
    instance = get_instance(world)
    assert (instance["deploymentStatus"], instance["deploymentStatusMessage"]) == ("FAILED", SETTLE_FAIL_MESSAGE)
    assert "lastSucceededDeploymentId" not in instance
    assert instance["lastDeploymentSucceededAt"] == instance["createdAt"]  # D-7
    with pytest.raises(WaiterError) as excinfo:
        proton(world).get_waiter("service_created").wait(name="shop", WaiterConfig=FIRST_POLL)
    assert "terminal failure state" in str(excinfo.value)


def test_a_pipeline_only_service_failing_by_policy_names_the_pipeline(world: World) -> None:
    setup(world)
    world.set_settle_policy("fail", message="No build.")
    create_service(world, "shop", spec=spec_of())
    got = get_service(world)
    assert (got["status"], got["statusMessage"]) == ("CREATE_FAILED", PIPELINE_FAILED)
    assert (got["pipeline"]["deploymentStatus"], got["pipeline"]["deploymentStatusMessage"]) == ("FAILED", "No build.")


# -- update -----------------------------------------------------------------------------------------------------


def test_update_adding_and_removing_instances_is_update_in_progress_then_active(world: World) -> None:
    setup(world, prod=True)
    create_service(world)
    before_pipeline = pipeline_of(world)["lastAttemptedDeploymentId"]
    world.set_settle_policy("manual")
    spec = spec_of(PROD)
    updated = proton(world).update_service(name="shop", spec=spec)["service"]
    assert (updated["status"], updated["spec"]) == ("UPDATE_IN_PROGRESS", spec)
    prod = get_instance(world, "shop-prod")
    removal = get_instance(world, "shop-dev")
    pipeline = pipeline_of(world)
    assert pipeline["lastAttemptedDeploymentId"] != before_pipeline  # the pipeline is redeployed
    assert pipeline["deploymentStatus"] == "IN_PROGRESS"
    assert removal["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert under_way_ids(world) == {
        prod["lastAttemptedDeploymentId"],
        removal["lastAttemptedDeploymentId"],
        pipeline["lastAttemptedDeploymentId"],
    }
    settle_all(world)
    got = get_service(world)
    assert (got["status"], got["spec"]) == ("ACTIVE", spec)
    assert instance_names(world, "shop") == ["shop-prod"]
    assert refused(proton(world).get_service_instance, name="shop-dev", serviceName="shop") == (
        missing_instance("shop-dev")
    )
    assert get_deployment(world, removal["lastAttemptedDeploymentId"])["deploymentStatus"] == "DELETE_COMPLETE"


def test_the_pipeline_redeploy_keeps_its_version_and_spec(world: World) -> None:
    setup(world)
    create_service(world)
    spec = pipeline_of(world)["spec"]
    proton(world).update_service(name="shop", spec=spec_of(DEV, ("shop-two", "dev")))
    pipeline = pipeline_of(world)
    deployment = get_deployment(world, pipeline["lastAttemptedDeploymentId"])
    assert deployment["targetState"] == {
        "servicePipeline": {
            "spec": spec,
            "templateMajorVersion": "1",
            "templateMinorVersion": "0",
            "templateName": "web",
        }
    }
    proton(world).get_waiter("service_updated").wait(name="shop", WaiterConfig=FIRST_POLL)
    assert get_service(world)["status"] == "ACTIVE"


def test_a_failed_added_instance_is_update_failed_and_nothing_is_rolled_back(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    proton(world).update_service(name="shop", spec=spec_of(DEV, ("shop-two", "dev")))
    added, pipeline = ids(world, "shop-two")
    world.settle(pipeline)
    world.settle(added, "FAILED")
    got = get_service(world)
    assert got["status"] == "UPDATE_FAILED"
    assert get_instance(world, "shop-two")["deploymentStatus"] == "FAILED"
    assert instance_names(world, "shop") == ["shop-dev", "shop-two"]
    with pytest.raises(WaiterError):
        proton(world).get_waiter("service_updated").wait(name="shop", WaiterConfig=FIRST_POLL)


def test_a_failed_pipeline_redeploy_is_update_failed(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    proton(world).update_service(name="shop", spec=spec_of(DEV, ("shop-two", "dev")))
    added, pipeline = ids(world, "shop-two")
    world.settle(added)
    world.settle(pipeline, "FAILED")
    assert get_service(world)["status"] == "UPDATE_FAILED"


def test_an_added_instance_failing_while_the_pipeline_is_under_way_fails_the_pipeline(world: World) -> None:
    setup(world)
    create_service(world)
    world.set_settle_policy("manual")
    proton(world).update_service(name="shop", spec=spec_of(DEV, ("shop-two", "dev")))
    added, _ = ids(world, "shop-two")
    world.settle(added, "FAILED")
    got = pipeline_of(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", canceling("shop-two"))
    assert get_service(world)["status"] == "UPDATE_FAILED"


def test_a_failed_removal_is_update_complete_cleanup_failed_and_a_later_update_retries_it(world: World) -> None:
    setup(world)
    create_service(world, "shop", DEV, ("shop-two", "dev"))
    world.set_settle_policy("manual")
    spec = spec_of(DEV)
    proton(world).update_service(name="shop", spec=spec)
    removed, pipeline = ids(world, "shop-two")
    world.settle(pipeline)
    world.settle(removed, "FAILED", message="The stack could not be deleted.")
    assert get_service(world)["status"] == "UPDATE_COMPLETE_CLEANUP_FAILED"
    left = get_instance(world, "shop-two")
    assert (left["deploymentStatus"], left["deploymentStatusMessage"]) == (
        "DELETE_FAILED",
        "The stack could not be deleted.",
    )
    assert instance_names(world, "shop") == ["shop-dev", "shop-two"]
    # The same spec again retries the DELETE_FAILED instance.
    world.set_settle_policy("succeed")
    assert proton(world).update_service(name="shop", spec=spec)["service"]["status"] == "UPDATE_IN_PROGRESS"
    assert get_service(world)["status"] == "ACTIVE"
    assert instance_names(world, "shop") == ["shop-dev"]


# -- delete ---------------------------------------------------------------------------------------------------


def test_delete_removes_everything(world: World) -> None:
    setup(world, prod=True)
    create_service(world, "shop", DEV, PROD)
    deleting = proton(world).delete_service(name="shop")["service"]
    assert deleting["status"] == "DELETE_IN_PROGRESS"
    assert refused(proton(world).get_service, name="shop") == missing_service()
    assert instance_names(world) == []
    proton(world).get_waiter("service_deleted").wait(name="shop", WaiterConfig=FIRST_POLL)


def test_a_failed_delete_is_delete_failed_keeps_what_was_deleted_and_retries_the_rest(world: World) -> None:
    setup(world, prod=True)
    create_service(world, "shop", DEV, PROD)
    world.set_settle_policy("manual")
    proton(world).delete_service(name="shop")
    dev, prod, pipeline = ids(world, "shop-dev", "shop-prod")
    assert get_service(world)["status"] == "DELETE_IN_PROGRESS"
    world.settle(dev)
    world.settle(pipeline)
    world.settle(prod, "FAILED")
    got = get_service(world)
    assert got["status"] == "DELETE_FAILED"
    assert "pipeline" not in got  # what was deleted stays deleted
    assert instance_names(world, "shop") == ["shop-prod"]
    assert get_instance(world, "shop-prod")["deploymentStatus"] == "DELETE_FAILED"
    with pytest.raises(WaiterError):
        proton(world).get_waiter("service_deleted").wait(name="shop", WaiterConfig=FIRST_POLL)
    world.set_settle_policy("succeed")
    assert proton(world).delete_service(name="shop")["service"]["status"] == "DELETE_IN_PROGRESS"
    assert refused(proton(world).get_service, name="shop") == missing_service()


# -- lastModifiedAt -------------------------------------------------------------------------------------------


def test_last_modified_at_is_created_at_then_moves_to_each_update_and_each_operation_end(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    created = create_service(world)
    assert created["lastModifiedAt"] == created["createdAt"]
    assert get_service(world)["lastModifiedAt"] == created["createdAt"]
    dev, pipeline = ids(world, "shop-dev")
    world.settle(dev)
    world.settle(pipeline)
    ended = get_service(world)
    assert ended["lastModifiedAt"] == get_deployment(world, pipeline)["completedAt"]
    described = proton(world).update_service(name="shop", description="moved")["service"]
    assert described["lastModifiedAt"] > ended["lastModifiedAt"]
    assert get_service(world)["lastModifiedAt"] == described["lastModifiedAt"]
    updating = proton(world).update_service(name="shop", spec=spec_of(DEV, ("shop-two", "dev")))["service"]
    assert updating["lastModifiedAt"] >= described["lastModifiedAt"]
    added, pipeline = ids(world, "shop-two")
    world.settle(added)
    world.settle(pipeline)
    assert get_service(world)["lastModifiedAt"] == get_deployment(world, pipeline)["completedAt"]


def test_a_service_that_failed_to_create_can_be_deleted(world: World) -> None:
    setup(world)
    world.set_settle_policy("fail")
    create_service(world)
    assert get_service(world)["status"] == "CREATE_FAILED"
    world.set_settle_policy("succeed")
    assert proton(world).delete_service(name="shop")["service"]["status"] == "DELETE_IN_PROGRESS"
    assert refused(proton(world).get_service, name="shop") == missing_service()
    assert instance_names(world) == []
