"""UpdateEnvironment: the deployment types and version moves, the rules on provisioning and connections; and
the rules that join environments to the other families: a connection an environment uses cannot be rejected
(environment-account-connections.md), and a template version environments use cannot be deleted. In every
mode.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

import pytest

from openproton import decided
from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World, create_connection

from .helpers import (
    CODEBUILD_ROLE,
    CONNECTION,
    ENV_ARN,
    NEW_SPEC,
    REPOSITORY,
    SERVICE_ROLE,
    SPEC,
    add_version,
    connected,
    create_env,
    get_deployment,
    get_env,
    not_found,
    proton,
    published_template,
    refused,
    state,
    unusable,
    update_env,
    version_of,
)

# -- update ---------------------------------------------------------------------------------------------------


def test_update_none_changes_metadata_only_without_a_deployment(world: World) -> None:
    published_template(world)
    create_env(world, description="old")
    before = get_env(world)
    updated = update_env(world, "NONE", description="new", codebuildRoleArn=CODEBUILD_ROLE)
    assert updated == {**before, "description": "new", "codebuildRoleArn": CODEBUILD_ROLE}
    assert get_env(world) == updated
    assert len(proton(world).list_deployments(environmentName="dev")["deployments"]) == 1


@pytest.mark.parametrize("deployment_type", ["NONE", "CURRENT_VERSION"])
def test_none_and_current_version_take_no_version_fields(world: World, deployment_type: str) -> None:
    published_template(world)
    create_env(world)
    for members in ({"templateMajorVersion": "1"}, {"templateMinorVersion": "0"}):
        assert refused(proton(world).update_environment, name="dev", deploymentType=deployment_type, **members) == (
            "ValidationException",
            f"deploymentType {deployment_type} keeps the template version; templateMajorVersion and "
            "templateMinorVersion go with MINOR_VERSION or MAJOR_VERSION.",
            400,
        )


def test_update_none_with_a_spec_is_refused(world: World) -> None:
    published_template(world)
    create_env(world)
    # [decided] D-5
    assert refused(proton(world).update_environment, name="dev", deploymentType="NONE", spec=NEW_SPEC) == (
        "ValidationException",
        "deploymentType NONE changes metadata only; a spec needs CURRENT_VERSION.",
        400,
    )
    assert get_env(world)["spec"] == SPEC


def test_update_current_version_deploys_and_replaces_the_spec_once_it_succeeds(world: World) -> None:
    published_template(world)
    created = create_env(world)
    updating = update_env(world, "CURRENT_VERSION", spec=NEW_SPEC)
    deployment_id = updating["lastAttemptedDeploymentId"]
    assert deployment_id != created["lastAttemptedDeploymentId"]
    assert updating["deploymentStatus"] == "IN_PROGRESS"
    assert updating["spec"] == SPEC  # [decided] D-13: the spec of the last successful deployment
    assert updating["lastSucceededDeploymentId"] == created["lastAttemptedDeploymentId"]
    got = get_env(world)
    assert (got["deploymentStatus"], got["spec"], version_of(got)) == ("SUCCEEDED", NEW_SPEC, "1.0")
    assert got["lastSucceededDeploymentId"] == deployment_id
    again = update_env(world, "CURRENT_VERSION")  # no spec: the current one is deployed again
    assert get_env(world)["spec"] == NEW_SPEC
    assert get_deployment(world, again["lastAttemptedDeploymentId"])["targetState"] == state("1.0", NEW_SPEC)


def test_update_minor_version_moves_to_the_recommended_minor_or_the_one_named(world: World) -> None:
    published_template(world)  # 1.0
    create_env(world)
    add_version(world, major="1")  # 1.1, recommended
    add_version(world, major="1", publish=False)  # 1.2, DRAFT
    add_version(world)  # 2.0
    update_env(world, "MINOR_VERSION")
    assert version_of(get_env(world)) == "1.1"
    update_env(world, "MINOR_VERSION", templateMinorVersion="2")
    assert version_of(get_env(world)) == "1.2"
    assert refused(
        proton(world).update_environment, name="dev", deploymentType="MINOR_VERSION", templateMajorVersion="2"
    ) == (
        "ValidationException",
        "deploymentType MINOR_VERSION stays in major version 1; use MAJOR_VERSION for major version 2.",
        400,
    )
    assert version_of(get_env(world)) == "1.2"


def test_update_major_version_moves_to_the_recommended_version_of_a_higher_major(world: World) -> None:
    published_template(world)  # 1.0
    create_env(world)
    client = proton(world)
    assert refused(client.update_environment, name="dev", deploymentType="MAJOR_VERSION") == (
        "ValidationException",
        "Environment template web has no published major version above 1.",
        400,
    )
    add_version(world)  # 2.0
    add_version(world, major="2")  # 2.1, recommended
    add_version(world, major="2", publish=False)  # 2.2, DRAFT
    assert refused(client.update_environment, name="dev", deploymentType="MAJOR_VERSION", templateMajorVersion="1") == (
        "ValidationException",
        "deploymentType MAJOR_VERSION moves to a major version above 1, not 1.",
        400,
    )
    update_env(world, "MAJOR_VERSION")
    assert version_of(get_env(world)) == "2.1"
    add_version(world)  # 3.0
    update_env(world, "MAJOR_VERSION", templateMajorVersion="3")
    assert version_of(get_env(world)) == "3.0"


def test_the_version_and_spec_change_only_when_the_deployment_succeeds(world: World) -> None:
    published_template(world)
    create_env(world)
    add_version(world, major="1")  # 1.1
    world.set_settle_policy("manual")
    updating = update_env(world, "MINOR_VERSION", spec=NEW_SPEC)
    deployment_id = updating["lastAttemptedDeploymentId"]
    during = get_env(world)
    assert (during["deploymentStatus"], version_of(during), during["spec"]) == ("IN_PROGRESS", "1.0", SPEC)
    deployment = get_deployment(world, deployment_id)
    assert deployment["deploymentStatus"] == "IN_PROGRESS"
    assert "completedAt" not in deployment
    assert deployment["initialState"] == state("1.0", SPEC)
    assert deployment["targetState"] == state("1.1", NEW_SPEC)
    assert [d["id"] for d in world.deployments_under_way()] == [deployment_id]
    world.settle(deployment_id, "SUCCEEDED")
    after = get_env(world)
    assert (after["deploymentStatus"], version_of(after), after["spec"]) == ("SUCCEEDED", "1.1", NEW_SPEC)
    assert after["lastSucceededDeploymentId"] == deployment_id
    assert world.deployments_under_way() == []


def test_a_failed_update_keeps_the_old_version_and_spec(world: World) -> None:
    published_template(world)
    created = create_env(world)
    add_version(world, major="1")  # 1.1
    world.set_settle_policy("fail", message="The VPC quota was reached.")
    updating = update_env(world, "MINOR_VERSION", spec=NEW_SPEC)
    got = get_env(world)
    assert got == {
        **created,
        "deploymentStatus": "FAILED",
        "deploymentStatusMessage": "The VPC quota was reached.",
        "lastAttemptedDeploymentId": updating["lastAttemptedDeploymentId"],
        "lastDeploymentAttemptedAt": updating["lastDeploymentAttemptedAt"],
        "lastSucceededDeploymentId": created["lastAttemptedDeploymentId"],
    }
    deployment = get_deployment(world, updating["lastAttemptedDeploymentId"])
    assert (deployment["deploymentStatus"], deployment["deploymentStatusMessage"]) == (
        "FAILED",
        "The VPC quota was reached.",
    )
    assert deployment["targetState"] == state("1.1", NEW_SPEC)


def test_a_deployment_failing_by_policy_without_a_message_gets_the_policy_message(world: World) -> None:
    published_template(world)
    world.set_settle_policy("fail")
    create_env(world)
    got = get_env(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", decided.SETTLE_FAIL_MESSAGE)
    assert "lastSucceededDeploymentId" not in got
    assert got["lastDeploymentSucceededAt"] == got["createdAt"]  # [decided] D-7


def test_a_deployment_ends_by_the_policy_in_force_when_it_started(world: World) -> None:
    published_template(world)
    world.set_settle_policy("manual")
    create_env(world, "held")
    world.set_settle_policy("succeed")
    create_env(world, "quick")
    # [decided] D-12: changing the policy does not touch deployments already under way.
    assert get_env(world, "held")["deploymentStatus"] == "IN_PROGRESS"
    assert get_env(world, "quick")["deploymentStatus"] == "SUCCEEDED"
    assert [d["environmentName"] for d in world.deployments_under_way()] == ["held"]


def test_no_update_while_a_deployment_is_under_way(world: World) -> None:
    published_template(world)
    world.set_settle_policy("manual")
    created = create_env(world)
    client = proton(world)
    assert refused(client.update_environment, name="dev", deploymentType="NONE", description="x") == (
        "ConflictException",
        "Environment dev has a deployment IN_PROGRESS; wait for it to end or cancel it before updating.",
        400,
    )
    world.settle(created["lastAttemptedDeploymentId"], "SUCCEEDED")
    client.delete_environment(name="dev")
    assert refused(client.update_environment, name="dev", deploymentType="CURRENT_VERSION") == (
        "ConflictException",
        "Environment dev has a deployment DELETE_IN_PROGRESS; wait for it to end or cancel it before updating.",
        400,
    )


def test_an_environment_without_a_connection_cannot_gain_one(world: World) -> None:
    connection = connected(world)
    published_template(world)
    create_env(world)
    assert refused(
        proton(world).update_environment,
        name="dev",
        deploymentType="NONE",
        environmentAccountConnectionId=connection["id"],
    ) == (
        "ValidationException",
        "Environment dev is not provisioned through an environment account connection and cannot gain one.",
        400,
    )
    assert CONNECTION not in get_env(world)


def test_the_connection_and_the_service_role_do_not_change_in_one_call(world: World) -> None:
    connection = connected(world)
    published_template(world)
    create_env(world, environmentAccountConnectionId=connection["id"])
    assert refused(
        proton(world).update_environment,
        name="dev",
        deploymentType="NONE",
        environmentAccountConnectionId=connection["id"],
        protonServiceRoleArn=SERVICE_ROLE,
    ) == (
        "ValidationException",
        "Give environmentAccountConnectionId or protonServiceRoleArn in one UpdateEnvironment call, not both.",
        400,
    )


def test_how_an_environment_is_provisioned_does_not_change(world: World) -> None:
    connection = connected(world)
    published_template(world)
    create_env(world, "dev", environmentAccountConnectionId=connection["id"])
    create_env(world, "own", provisioningRepository=REPOSITORY)
    create_env(world, "roles")
    client = proton(world)
    # [decided] D-4
    assert refused(client.update_environment, name="dev", deploymentType="NONE", protonServiceRoleArn=SERVICE_ROLE) == (
        "ValidationException",
        "Environment dev is provisioned through a connection; it takes no protonServiceRoleArn.",
        400,
    )
    assert refused(
        client.update_environment, name="roles", deploymentType="NONE", provisioningRepository=REPOSITORY
    ) == (
        "ValidationException",
        "Environment roles is not self-managed and cannot gain a provisioningRepository.",
        400,
    )
    proton(world).notify_resource_deployment_status_change(resourceArn=f"{ENV_ARN}/own", status="SUCCEEDED")
    assert refused(client.update_environment, name="own", deploymentType="NONE", protonServiceRoleArn=SERVICE_ROLE) == (
        "ValidationException",
        "Environment own is provisioned by its own repository; it takes no protonServiceRoleArn.",
        400,
    )
    moved = {**REPOSITORY, "branch": "release"}
    assert update_env(world, "NONE", name="own", provisioningRepository=moved)["provisioningRepository"] == {
        "arn": f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:repository/github:acme/infra",
        **moved,
    }


def test_a_connection_is_switched_only_to_one_of_the_same_account_and_environment_name(world: World) -> None:
    current = connected(world)
    published_template(world)
    create_env(world, environmentAccountConnectionId=current["id"])
    other_account = connected(world, account=OTHER_ACCOUNT)
    other_name = connected(world, name="prod")
    client = proton(world)
    assert refused(
        client.update_environment, name="dev", deploymentType="NONE", environmentAccountConnectionId=other_account["id"]
    ) == (
        "ValidationException",
        f"Environment account connection {other_account['id']} is from account {OTHER_ACCOUNT}; environment dev is "
        f"provisioned in {ENV_ACCOUNT}.",
        400,
    )
    assert refused(
        client.update_environment, name="dev", deploymentType="NONE", environmentAccountConnectionId=other_name["id"]
    ) == unusable(other_name["id"], "it serves environment prod, not dev")
    # Only one live connection per environment name: the current one goes before a new one is asked for.
    proton(world, ENV_ACCOUNT).delete_environment_account_connection(id=current["id"])
    pending = create_connection(world)
    assert refused(
        client.update_environment, name="dev", deploymentType="NONE", environmentAccountConnectionId=pending["id"]
    ) == unusable(pending["id"], "it is PENDING, not CONNECTED")
    assert get_env(world)[CONNECTION] == current["id"]
    client.accept_environment_account_connection(id=pending["id"])
    switched = update_env(world, "NONE", environmentAccountConnectionId=pending["id"])
    assert (switched[CONNECTION], switched["environmentAccountId"]) == (pending["id"], ENV_ACCOUNT)
    assert get_env(world)[CONNECTION] == pending["id"]


def test_after_its_connection_is_deleted_an_environment_deploys_again_once_moved_to_a_new_one(world: World) -> None:
    old = connected(world)
    published_template(world)
    created = create_env(world, environmentAccountConnectionId=old["id"])
    # [doc] The environment account may delete a connection an environment uses.
    proton(world, ENV_ACCOUNT).delete_environment_account_connection(id=old["id"])
    updating = update_env(world, "CURRENT_VERSION", spec=NEW_SPEC)
    assert updating["deploymentStatus"] == "IN_PROGRESS"
    message = (
        f"Environment account connection {old['id']} is deleted: environment dev cannot be deployed until "
        "UpdateEnvironment moves it to a CONNECTED connection."
    )
    # [decided] D-14: it fails at once, with a message naming the connection.
    failed = get_env(world)
    assert (failed["deploymentStatus"], failed["deploymentStatusMessage"]) == ("FAILED", message)
    assert (failed[CONNECTION], failed["spec"]) == (old["id"], SPEC)
    assert failed["lastSucceededDeploymentId"] == created["lastAttemptedDeploymentId"]
    assert get_deployment(world, updating["lastAttemptedDeploymentId"])["deploymentStatusMessage"] == message
    new = connected(world)
    moved = update_env(world, "CURRENT_VERSION", spec=NEW_SPEC, environmentAccountConnectionId=new["id"])
    assert moved[CONNECTION] == new["id"]
    got = get_env(world)
    assert (got["deploymentStatus"], got[CONNECTION], got["spec"]) == ("SUCCEEDED", new["id"], NEW_SPEC)
    assert "deploymentStatusMessage" not in got


def test_deleting_an_environment_whose_connection_is_deleted_fails_until_it_is_moved(world: World) -> None:
    old = connected(world)
    published_template(world)
    create_env(world, environmentAccountConnectionId=old["id"])
    proton(world, ENV_ACCOUNT).delete_environment_account_connection(id=old["id"])
    client = proton(world)
    client.delete_environment(name="dev")
    # [decided] D-14: a delete is a deployment too.
    failed = get_env(world)
    assert (failed["deploymentStatus"], failed["deploymentStatusMessage"]) == (
        "DELETE_FAILED",
        f"Environment account connection {old['id']} is deleted: environment dev cannot be deployed until "
        "UpdateEnvironment moves it to a CONNECTED connection.",
    )
    new = connected(world)
    update_env(world, "NONE", environmentAccountConnectionId=new["id"])
    client.delete_environment(name="dev")
    assert refused(client.get_environment, name="dev") == not_found()


# -- connections and versions in use --------------------------------------------------------------------------


def test_a_connection_an_environment_uses_cannot_be_rejected_until_the_environment_is_gone(world: World) -> None:
    connection = connected(world)
    published_template(world)
    create_env(world, environmentAccountConnectionId=connection["id"])
    client = proton(world)
    assert refused(client.reject_environment_account_connection, id=connection["id"]) == (
        "ConflictException",
        f"Environment account connection {connection['id']} is used by environment dev; delete the environment, or "
        "move it to another connection, before rejecting this one.",
        400,
    )
    assert (
        client.get_environment_account_connection(id=connection["id"])["environmentAccountConnection"]["status"]
        == "CONNECTED"
    )
    client.delete_environment(name="dev")
    rejected = client.reject_environment_account_connection(id=connection["id"])["environmentAccountConnection"]
    assert rejected["status"] == "REJECTED"


def test_a_template_version_environments_use_cannot_be_deleted(world: World) -> None:
    published_template(world)
    create_env(world)
    client = proton(world)
    assert refused(
        client.delete_environment_template_version, templateName="web", majorVersion="1", minorVersion="0"
    ) == ("ConflictException", "Environment template version web:1.0 is used by environment dev.", 400)
    client.delete_environment(name="dev")
    deleted = client.delete_environment_template_version(templateName="web", majorVersion="1", minorVersion="0")
    assert deleted["environmentTemplateVersion"]["arn"].endswith(":environment-template/web:1.0")


def test_a_template_version_being_deployed_cannot_be_deleted(world: World) -> None:
    published_template(world)
    create_env(world)
    add_version(world, major="1", publish=False)  # 1.1, DRAFT: not the recommended version
    world.set_settle_policy("manual")
    update_env(world, "MINOR_VERSION", templateMinorVersion="1")
    client = proton(world)
    assert refused(
        client.delete_environment_template_version, templateName="web", majorVersion="1", minorVersion="1"
    ) == ("ConflictException", "Environment template version web:1.1 is used by environment dev.", 400)
    client.cancel_environment_deployment(environmentName="dev")
    client.delete_environment_template_version(templateName="web", majorVersion="1", minorVersion="1")
    assert [
        v["minorVersion"] for v in client.list_environment_template_versions(templateName="web")["templateVersions"]
    ] == ["0"]
