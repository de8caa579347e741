"""GetResourcesSummary (components.md, "GetResourcesSummary"; R-1 to R-5, and the worked example), in every mode."""

from __future__ import annotations

from typing import Any

from services.service_helpers import (
    DEV,
    create_service,
    env_template,
    environment,
    proton,
    service_template,
    settle_all,
    spec_of,
    template_version,
)
from support import World

from .component_helpers import (
    COMPONENT_ROLE,
    component_world,
    create_component,
    detached,
    update_component,
)

TEMPLATES = ("environmentTemplates", "serviceTemplates", "environments")
STALENESS = ("serviceInstances", "pipelines", "services")


def counts(world: World, account: str = "222222222222", region: str = "us-east-1") -> dict[str, Any]:
    response = proton(world, account, region).get_resources_summary()
    assert set(response) == {"counts", "ResponseMetadata"}
    return response["counts"]


def stale(total: int = 0, failed: int = 0, up: int | None = None, major: int = 0, minor: int = 0) -> dict[str, int]:
    """A staleness row: `up` defaults to what the others leave of `total`."""
    up = total - major - minor if up is None else up
    return {"total": total, "failed": failed, "upToDate": up, "behindMajor": major, "behindMinor": minor}


EMPTY = {
    "environmentTemplates": {"total": 0},
    "serviceTemplates": {"total": 0},
    "environments": {"total": 0},
    "components": {"total": 0, "failed": 0},
    "serviceInstances": stale(),
    "pipelines": stale(),
    "services": stale(),
}


def test_an_empty_account_shows_every_member_with_zeros_and_no_other(world: World) -> None:
    # zeros included; no other member.
    assert counts(world) == EMPTY


def test_the_worked_example(world: World) -> None:
    # web 1.0, 1.1, 2.0, 2.1 PUBLISHED, 2.2 DRAFT; instances on 1.1, 2.0, 2.1, 2.2.
    env_template(world)
    environment(world, "dev")
    service_template(world, pipelineProvisioning="CUSTOMER_MANAGED")
    template_version(world)  # 1.0
    template_version(world, "web", "1")  # 1.1
    template_version(world)  # 2.0
    template_version(world, "web", "2")  # 2.1
    template_version(world, "web", "2", publish=False)  # 2.2, DRAFT
    create_service(world, "shop", ("i-11", "dev"), pipeline=False)  # on 1.1, major 1's recommended minor
    entries = [("i-11", "dev")]
    for version in ("2.0", "2.1", "2.2"):
        major, minor = version.split(".")
        entries.append((f"i-{major}{minor}", "dev"))
        proton(world).create_service_instance(
            name=entries[-1][0],
            serviceName="shop",
            spec=spec_of(*entries, pipeline=None),
            templateMajorVersion=major,
            templateMinorVersion=minor,
        )
    assert counts(world) == {
        "environmentTemplates": {"total": 1},
        "serviceTemplates": {"total": 1},
        "environments": {"total": 1},
        "components": {"total": 0, "failed": 0},
        "serviceInstances": stale(4, up=2, major=1, minor=1),
        "pipelines": stale(),
        "services": stale(1, major=1),  # as stale as its stalest instance
    }


def test_components_count_in_every_status_and_fail_when_failed_or_delete_failed(world: World) -> None:
    component_world(world, service=False)
    environment(world, "spare", componentRoleArn=COMPONENT_ROLE)
    detached(world, "ok")
    detached(world, "cancelled")
    detached(world, "delete-failed")
    detached(world, "deleting")
    world.set_settle_policy("fail")
    detached(world, "failed")
    proton(world).delete_component(name="delete-failed")
    world.set_settle_policy("manual")
    update_component(world, "CURRENT_VERSION", "cancelled")
    proton(world).cancel_component_deployment(componentName="cancelled")
    proton(world).delete_component(name="deleting")  # DELETE_IN_PROGRESS
    detached(world, "running")  # IN_PROGRESS
    proton(world).delete_environment(name="spare")  # DELETE_IN_PROGRESS still counts
    assert counts(world) == {
        **EMPTY,
        "environmentTemplates": {"total": 1},
        "serviceTemplates": {"total": 1},
        "environments": {"total": 2},
        "components": {"total": 6, "failed": 2},
    }


def test_instances_pipelines_and_services_fail_by_their_statuses(world: World) -> None:
    component_world(world, service=False, pipeline=True)
    create_service(world, "shop")
    create_service(world, "gone", ("gone-dev", "dev"))
    world.set_settle_policy("fail")
    create_service(world, "bad", ("bad-dev", "dev"))  # CREATE_FAILED; its instance and pipeline FAILED
    proton(world).delete_service(name="gone")  # DELETE_FAILED, its instance and pipeline too
    world.set_settle_policy("manual")
    proton(world).update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")
    proton(world).cancel_service_instance_deployment(serviceInstanceName="shop-dev", serviceName="shop")
    assert proton(world).get_service(name="bad")["service"]["status"] == "CREATE_FAILED"
    assert proton(world).get_service(name="gone")["service"]["status"] == "DELETE_FAILED"
    got = counts(world)
    assert got["serviceInstances"] == stale(3, failed=2)  # CANCELLED is not failed
    assert got["pipelines"] == stale(3, failed=2)
    assert got["services"] == stale(3, failed=2)


def test_staleness_follows_the_recommended_version_and_the_highest_published_minor(world: World) -> None:
    env_template(world)
    environment(world, "dev")
    service_template(world, pipelineProvisioning="CUSTOMER_MANAGED")
    template_version(world)  # 1.0
    create_service(world, "shop", DEV, pipeline=False)
    template_version(world, "web", "1", publish=False)  # 1.1 DRAFT: nothing newer published
    assert counts(world)["serviceInstances"] == stale(1)
    template_version(world, "web", "1", publish=False)  # 1.2 DRAFT
    proton(world).update_service_template_version(
        templateName="web", majorVersion="1", minorVersion="2", status="PUBLISHED"
    )
    assert counts(world)["serviceInstances"] == stale(1, minor=1)
    # The version the instance's Get shows counts: an update under way changes nothing yet.
    world.set_settle_policy("manual")
    proton(world).update_service_instance(name="shop-dev", serviceName="shop", deploymentType="MINOR_VERSION")
    assert counts(world)["serviceInstances"] == stale(1, minor=1)
    settle_all(world)
    world.set_settle_policy("succeed")
    assert counts(world)["serviceInstances"] == stale(1)
    template_version(world, "web", "1")  # 1.3: behind the minor again
    template_version(world)  # 2.0: behind the major wins over behind the minor
    assert counts(world)["serviceInstances"] == stale(1, major=1)
    assert counts(world)["services"] == stale(1, major=1)
    # A template with nothing published: its resources are up to date.
    service_template(world, "api", pipelineProvisioning="CUSTOMER_MANAGED")
    template_version(world, "api", publish=False)  # api 1.0 DRAFT, used by its owner
    create_service(world, "svc", ("svc-dev", "dev"), pipeline=False, template="api", templateMinorVersion="0")
    assert counts(world)["serviceInstances"] == stale(2, up=1, major=1)


def test_a_service_is_as_stale_as_its_stalest_instance_or_pipeline(world: World) -> None:
    component_world(world, service=False, pipeline=True)  # web 1.0 with a pipeline
    create_service(world, "shop")
    template_version(world, "web", "1")  # 1.1
    got = counts(world)
    assert (got["serviceInstances"], got["pipelines"], got["services"]) == (
        stale(1, minor=1),
        stale(1, minor=1),
        stale(1, minor=1),
    )
    proton(world).update_service_instance(name="shop-dev", serviceName="shop", deploymentType="MINOR_VERSION")
    got = counts(world)
    assert (got["serviceInstances"], got["pipelines"], got["services"]) == (
        stale(1),
        stale(1, minor=1),
        stale(1, minor=1),  # the pipeline is still behind
    )
    template_version(world)  # 2.0
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="MAJOR_VERSION", spec=spec_of(DEV), templateMajorVersion="2"
    )
    got = counts(world)
    assert (got["serviceInstances"], got["pipelines"], got["services"]) == (
        stale(1, major=1),
        stale(1),
        stale(1, major=1),  # now the instance is
    )


def test_the_summary_reads_the_stored_state_at_the_call(world: World) -> None:
    component_world(world)
    world.set_settle_policy("fail")
    create_component(world)
    # Ended by the policy, never read since: counted as ended.
    assert counts(world)["components"] == {"total": 1, "failed": 1}
    world.set_settle_policy("succeed")
    update_component(world, "CURRENT_VERSION")
    assert counts(world)["components"] == {"total": 1, "failed": 0}
    detached(world)
    assert counts(world)["components"] == {"total": 2, "failed": 0}
    update_component(world, "CURRENT_VERSION", serviceName="", serviceInstanceName="")
    proton(world).delete_component(name="queue")
    assert counts(world)["components"] == {"total": 1, "failed": 0}
    assert counts(world)["serviceInstances"] == stale(1)
