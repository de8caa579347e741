"""DeleteEnvironment and CancelEnvironmentDeployment, in every mode.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

from support import World

from .helpers import (
    ENV_ARN,
    NEW_SPEC,
    SPEC,
    add_version,
    create_env,
    get_deployment,
    get_env,
    not_found,
    proton,
    published_template,
    refused,
    update_env,
    version_of,
)

# -- delete ---------------------------------------------------------------------------------------------------


def test_delete_answers_delete_in_progress_and_the_environment_is_then_gone(world: World) -> None:
    published_template(world)
    create_env(world, tags=[{"key": "team", "value": "platform"}])
    before = get_env(world)
    client = proton(world)
    deleting = client.delete_environment(name="dev")["environment"]
    deployment_id = deleting["lastAttemptedDeploymentId"]
    assert deployment_id != before["lastAttemptedDeploymentId"]
    assert deleting == {
        **before,
        "deploymentStatus": "DELETE_IN_PROGRESS",
        "lastAttemptedDeploymentId": deployment_id,
        "lastDeploymentAttemptedAt": deleting["lastDeploymentAttemptedAt"],
    }
    assert refused(client.get_environment, name="dev") == not_found()
    assert refused(client.delete_environment, name="dev") == not_found()
    assert refused(client.list_tags_for_resource, resourceArn=f"{ENV_ARN}/dev") == not_found()
    assert get_deployment(world, deployment_id)["deploymentStatus"] == "DELETE_COMPLETE"


def test_a_repeated_delete_during_delete_in_progress_returns_the_environment(world: World) -> None:
    published_template(world)
    create_env(world)
    world.set_settle_policy("manual")
    client = proton(world)
    first = client.delete_environment(name="dev")["environment"]
    again = client.delete_environment(name="dev")["environment"]
    assert again == first
    assert get_env(world) == first
    assert [d["id"] for d in world.deployments_under_way()] == [first["lastAttemptedDeploymentId"]]
    world.settle(first["lastAttemptedDeploymentId"], "SUCCEEDED")
    assert refused(client.get_environment, name="dev") == not_found()


def test_delete_during_a_deployment_in_progress_conflicts(world: World) -> None:
    published_template(world)
    world.set_settle_policy("manual")
    create_env(world)
    # [decided] D-3
    assert refused(proton(world).delete_environment, name="dev") == (
        "ConflictException",
        "Environment dev has a deployment IN_PROGRESS; wait for it to end or cancel it before deleting.",
        400,
    )
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"


def test_a_failed_delete_leaves_the_environment_delete_failed(world: World) -> None:
    published_template(world)
    create_env(world)
    world.set_settle_policy("fail", message="The stack could not be deleted.")
    client = proton(world)
    deleting = client.delete_environment(name="dev")["environment"]
    got = get_env(world)
    assert got == {
        **deleting,
        "deploymentStatus": "DELETE_FAILED",
        "deploymentStatusMessage": "The stack could not be deleted.",
    }
    assert [e["name"] for e in client.list_environments()["environments"]] == ["dev"]
    world.set_settle_policy("succeed")
    client.delete_environment(name="dev")
    assert refused(client.get_environment, name="dev") == not_found()


# -- cancel ---------------------------------------------------------------------------------------------------


def test_cancel_answers_cancelling_then_reads_cancelled_and_keeps_the_old_version(world: World) -> None:
    published_template(world)
    create_env(world)
    add_version(world, major="1")  # 1.1
    world.set_settle_policy("manual")
    updating = update_env(world, "MINOR_VERSION", spec=NEW_SPEC)
    client = proton(world)
    cancelling = client.cancel_environment_deployment(environmentName="dev")["environment"]
    assert cancelling == {**updating, "deploymentStatus": "CANCELLING"}
    # [decided] D-2: the cancellation ends at once.
    got = get_env(world)
    # services.md's change to environments.md: a cancelled environment deployment reads as instances' do [doc].
    assert got == {
        **updating,
        "deploymentStatus": "CANCELLED",
        "deploymentStatusMessage": "User initiated cancellation.",
    }
    assert (version_of(got), got["spec"]) == ("1.0", SPEC)
    deployment = get_deployment(world, updating["lastAttemptedDeploymentId"])
    assert deployment["deploymentStatus"] == "CANCELLED"
    assert "completedAt" in deployment
    assert world.deployments_under_way() == []
    assert refused(client.cancel_environment_deployment, environmentName="dev") == (
        "ConflictException",
        "Environment dev has no deployment IN_PROGRESS to cancel (its deployment is CANCELLED).",
        400,
    )
    update_env(world, "CURRENT_VERSION")  # a cancelled deployment no longer blocks updates


def test_cancel_only_applies_to_a_deployment_in_progress(world: World) -> None:
    published_template(world)
    create_env(world)
    client = proton(world)
    assert refused(client.cancel_environment_deployment, environmentName="dev") == (
        "ConflictException",
        "Environment dev has no deployment IN_PROGRESS to cancel (its deployment is SUCCEEDED).",
        400,
    )
    world.set_settle_policy("manual")
    client.delete_environment(name="dev")
    assert refused(client.cancel_environment_deployment, environmentName="dev") == (
        "ConflictException",
        "Environment dev has no deployment IN_PROGRESS to cancel (its deployment is DELETE_IN_PROGRESS).",
        400,
    )
