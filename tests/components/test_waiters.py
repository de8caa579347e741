"""The component waiters (components.md, "Waiters"): component_deployed and component_deleted, in every mode."""

from __future__ import annotations

import pytest
from botocore.exceptions import WaiterError

from services.service_helpers import FIRST_POLL, proton
from support import World

from .component_helpers import component_world, create_component, detached, get_component, update_component


def test_under_the_default_policy_both_waiters_end_on_their_first_poll(world: World) -> None:
    component_world(world)
    create_component(world)
    client = proton(world)
    client.get_waiter("component_deployed").wait(name="queue", WaiterConfig=FIRST_POLL)
    update_component(world, "CURRENT_VERSION", serviceName="", serviceInstanceName="")
    client.get_waiter("component_deployed").wait(name="queue", WaiterConfig=FIRST_POLL)
    client.delete_component(name="queue")
    client.get_waiter("component_deleted").wait(name="queue", WaiterConfig=FIRST_POLL)


def test_component_deployed_fails_on_failed_and_matches_nothing_on_cancelled(world: World) -> None:
    component_world(world, service=False)
    client = proton(world)
    world.set_settle_policy("fail")
    detached(world)
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("component_deployed").wait(name="bucket", WaiterConfig=FIRST_POLL)
    assert "terminal failure state" in str(excinfo.value)
    world.set_settle_policy("manual")
    update_component(world, "CURRENT_VERSION", "bucket")
    with pytest.raises(WaiterError) as excinfo:  # IN_PROGRESS: still waiting when the attempts run out
        client.get_waiter("component_deployed").wait(name="bucket", WaiterConfig=FIRST_POLL)
    assert "Max attempts exceeded" in str(excinfo.value)
    client.cancel_component_deployment(componentName="bucket")
    assert get_component(world, "bucket")["deploymentStatus"] == "CANCELLED"
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("component_deployed").wait(name="bucket", WaiterConfig=FIRST_POLL)
    assert "Max attempts exceeded" in str(excinfo.value)


def test_component_deleted_fails_on_delete_failed(world: World) -> None:
    component_world(world, service=False)
    detached(world)
    world.set_settle_policy("fail")
    client = proton(world)
    client.delete_component(name="bucket")
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("component_deleted").wait(name="bucket", WaiterConfig=FIRST_POLL)
    assert "terminal failure state" in str(excinfo.value)
    world.set_settle_policy("manual")
    client.delete_component(name="bucket")  # tried again: DELETE_IN_PROGRESS, still waiting
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("component_deleted").wait(name="bucket", WaiterConfig=FIRST_POLL)
    assert "Max attempts exceeded" in str(excinfo.value)
