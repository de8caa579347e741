"""GetDeployment, ListDeployments and DeleteDeployment for environments, and the environment_deployed waiter, in
every mode.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import WaiterError

from openproton import mock_proton
from openproton.proton.clock import ManualClock
from support import OTHER_ACCOUNT, InProcessWorld, World

from .helpers import (
    DEPLOYMENT_ARN,
    ENV_ARN,
    NEW_SPEC,
    WAIT,
    add_version,
    create_env,
    get_deployment,
    get_env,
    newest_first,
    proton,
    published_template,
    refused,
    state,
    update_env,
)

# -- deployments ----------------------------------------------------------------------------------------------


def test_get_deployment_shows_the_whole_record(world: World) -> None:
    published_template(world)
    created = create_env(world)
    add_version(world, major="1")  # 1.1
    creation_id = created["lastAttemptedDeploymentId"]
    creation = get_deployment(world, creation_id)
    assert creation == {
        "arn": f"{DEPLOYMENT_ARN}/{creation_id}",
        "completedAt": creation["createdAt"],  # the `succeed` policy ends it at once
        "createdAt": created["createdAt"],
        "deploymentStatus": "SUCCEEDED",
        "environmentName": "dev",
        "id": creation_id,
        "lastModifiedAt": creation["createdAt"],
        "targetArn": f"{ENV_ARN}/dev",
        "targetResourceCreatedAt": created["createdAt"],
        "targetResourceType": "ENVIRONMENT",
        "targetState": state("1.0"),
    }
    update_id = update_env(world, "MINOR_VERSION", spec=NEW_SPEC)["lastAttemptedDeploymentId"]
    update = get_deployment(world, update_id)
    assert update == {
        "arn": f"{DEPLOYMENT_ARN}/{update_id}",
        "completedAt": update["createdAt"],
        "createdAt": update["createdAt"],
        "deploymentStatus": "SUCCEEDED",
        "environmentName": "dev",
        "id": update_id,
        "initialState": state("1.0"),
        "lastAttemptedDeploymentId": creation_id,
        "lastModifiedAt": update["createdAt"],
        "lastSucceededDeploymentId": creation_id,
        "targetArn": f"{ENV_ARN}/dev",
        "targetResourceCreatedAt": created["createdAt"],
        "targetResourceType": "ENVIRONMENT",
        "targetState": state("1.1", NEW_SPEC),
    }
    listed = proton(world).list_deployments(environmentName="dev")["deployments"]
    summary = next(d for d in listed if d["id"] == update_id)
    assert summary == {k: v for k, v in update.items() if k not in ("initialState", "targetState")}
    assert proton(world).get_deployment(id=update_id, environmentName="dev")["deployment"] == update


def test_get_deployment_of_another_environment_or_account_is_not_found(world: World) -> None:
    published_template(world)
    created = create_env(world)
    create_env(world, "prod")
    deployment_id = created["lastAttemptedDeploymentId"]
    missing = (
        "ResourceNotFoundException",
        f"The requested deployment does not exist: {deployment_id}",
        400,
    )
    assert refused(proton(world).get_deployment, id=deployment_id, environmentName="prod") == missing
    assert refused(proton(world, OTHER_ACCOUNT).get_deployment, id=deployment_id) == missing
    unknown = str(uuid.uuid4())
    assert refused(proton(world).get_deployment, id=unknown) == (
        "ResourceNotFoundException",
        f"The requested deployment does not exist: {unknown}",
        400,
    )


def test_deployments_are_listed_newest_first_and_filtered_by_environment(world: World) -> None:
    published_template(world)
    ids = [create_env(world)["lastAttemptedDeploymentId"]]
    ids.append(update_env(world, "CURRENT_VERSION")["lastAttemptedDeploymentId"])
    ids.append(create_env(world, "prod")["lastAttemptedDeploymentId"])
    ids.append(update_env(world, "CURRENT_VERSION", spec=NEW_SPEC)["lastAttemptedDeploymentId"])
    client = proton(world)
    pages = list(client.get_paginator("list_deployments").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(page["deployments"]) for page in pages] == [3, 1]
    assert [d["id"] for page in pages for d in page["deployments"]] == newest_first(world, ids)
    dev = client.get_paginator("list_deployments").paginate(environmentName="dev", PaginationConfig={"PageSize": 1})
    assert [d["id"] for page in dev for d in page["deployments"]] == newest_first(world, [ids[0], ids[1], ids[3]])
    prod = client.list_deployments(environmentName="prod")["deployments"]
    assert [(d["id"], d["environmentName"]) for d in prod] == [(ids[2], "prod")]


def test_deployments_of_later_milliseconds_are_listed_first_and_ties_go_by_id() -> None:
    # In-process with a clock that moves only when told, so that "newer" is certain and ties are certain.
    clock = ManualClock()
    with mock_proton(clock=clock) as mock:
        world = InProcessWorld(mock)
        published_template(world)
        ids = []
        for step in (
            lambda: create_env(world),
            lambda: update_env(world, "CURRENT_VERSION"),
            lambda: create_env(world, "prod"),
            lambda: update_env(world, "CURRENT_VERSION", spec=NEW_SPEC),
        ):
            clock.advance(milliseconds=1)
            ids.append(step()["lastAttemptedDeploymentId"])
        client = proton(world)
        pages = client.get_paginator("list_deployments").paginate(PaginationConfig={"PageSize": 2})
        assert [d["id"] for page in pages for d in page["deployments"]] == ids[::-1]
        assert [d["id"] for d in client.list_deployments(environmentName="dev")["deployments"]] == [
            ids[3],
            ids[1],
            ids[0],
        ]
        # [decided] D-9: deployments of the same millisecond are listed by id, highest first.
        clock.advance(milliseconds=1)
        same = [create_env(world, name)["lastAttemptedDeploymentId"] for name in ("x", "y", "z")]
        listed = [d["id"] for d in client.list_deployments(maxResults=3)["deployments"]]
        assert listed == sorted(same, reverse=True)


def test_delete_deployment_removes_only_ended_deployments_that_are_not_the_latest(world: World) -> None:
    published_template(world)
    first = create_env(world)["lastAttemptedDeploymentId"]
    world.set_settle_policy("fail")
    failed = update_env(world, "CURRENT_VERSION")["lastAttemptedDeploymentId"]
    client = proton(world)
    # [decided] D-10: the last succeeded and the last attempted deployments stay.
    for deployment_id in (first, failed):
        assert refused(client.delete_deployment, id=deployment_id) == (
            "ValidationException",
            f"Deployment {deployment_id} is the latest deployment of environment dev and cannot be deleted.",
            400,
        )
    world.set_settle_policy("manual")
    running = update_env(world, "CURRENT_VERSION")["lastAttemptedDeploymentId"]
    assert refused(client.delete_deployment, id=running) == (
        "ValidationException",
        f"Deployment {running} is IN_PROGRESS; only a deployment that has ended can be deleted.",
        400,
    )
    world.settle(running, "SUCCEEDED")
    ended = get_deployment(world, failed)
    assert client.delete_deployment(id=failed)["deployment"] == ended
    assert client.delete_deployment(id=first)["deployment"]["id"] == first
    assert refused(client.get_deployment, id=first) == (
        "ResourceNotFoundException",
        f"The requested deployment does not exist: {first}",
        400,
    )
    assert [d["id"] for d in client.list_deployments()["deployments"]] == [running]


def test_deployments_outlive_their_environment(world: World) -> None:
    published_template(world)
    creation = create_env(world)["lastAttemptedDeploymentId"]
    client = proton(world)
    deletion = client.delete_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    listed = client.list_deployments()["deployments"]
    assert [d["id"] for d in listed] == newest_first(world, [creation, deletion])
    assert {(d["id"], d["deploymentStatus"], d["environmentName"]) for d in listed} == {
        (deletion, "DELETE_COMPLETE", "dev"),
        (creation, "SUCCEEDED", "dev"),
    }
    assert get_deployment(world, deletion)["targetArn"] == f"{ENV_ARN}/dev"
    # With the environment gone, no deployment is its latest any more.
    assert client.delete_deployment(id=deletion)["deployment"]["deploymentStatus"] == "DELETE_COMPLETE"
    assert [d["id"] for d in client.list_deployments()["deployments"]] == [creation]


# -- waiters --------------------------------------------------------------------------------------------------


def test_the_environment_deployed_waiter_finishes_after_create(world: World) -> None:
    published_template(world)
    create_env(world)
    proton(world).get_waiter("environment_deployed").wait(name="dev", WaiterConfig=WAIT)
    assert get_env(world)["deploymentStatus"] == "SUCCEEDED"


def test_the_environment_deployed_waiter_fails_on_a_failed_deployment(world: World) -> None:
    published_template(world)
    world.set_settle_policy("fail")
    create_env(world)
    with pytest.raises(WaiterError) as excinfo:
        proton(world).get_waiter("environment_deployed").wait(name="dev", WaiterConfig=WAIT)
    assert excinfo.value.last_response["environment"]["deploymentStatus"] == "FAILED"
    assert "terminal failure state" in str(excinfo.value)
