"""CreateEnvironment: the provisioning methods and the rules of each, template versions, idempotency, the
quota, tags and privacy; then GetEnvironment and ListEnvironments (environments.md, second half), in every mode.

Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from openproton import mock_proton
from openproton.proton.clock import ManualClock
from openproton.settings import Settings
from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, InProcessWorld, World, create_connection, error_of

from .helpers import (
    CODEBUILD_ROLE,
    COMPONENT_ROLE,
    CONNECTION,
    DEPLOYMENT_ARN,
    ENV_ARN,
    NEW_SPEC,
    OTHER_REGION,
    REPOSITORY,
    SERVICE_ROLE,
    SPEC,
    add_version,
    connected,
    create_env,
    get_env,
    not_found,
    proton,
    published_template,
    refused,
    unusable,
    version_of,
)

# -- create -------------------------------------------------------------------------------------------------


def test_create_in_the_management_account_answers_in_progress_and_reads_succeeded(world: World) -> None:
    published_template(world)
    created = create_env(
        world,
        description="dev tier",
        protonServiceRoleArn=SERVICE_ROLE,
        codebuildRoleArn=CODEBUILD_ROLE,
        componentRoleArn=COMPONENT_ROLE,
    )
    deployment_id = created["lastAttemptedDeploymentId"]
    assert str(uuid.UUID(deployment_id)) == deployment_id
    assert created == {
        "arn": f"{ENV_ARN}/dev",
        "codebuildRoleArn": CODEBUILD_ROLE,
        "componentRoleArn": COMPONENT_ROLE,
        "createdAt": created["createdAt"],
        "deploymentStatus": "IN_PROGRESS",
        "description": "dev tier",
        # [decided] D-6: provisioned in the management account itself
        "environmentAccountId": MGMT_ACCOUNT,
        "lastAttemptedDeploymentId": deployment_id,
        "lastDeploymentAttemptedAt": created["createdAt"],
        # [decided] D-7: no deployment has succeeded yet
        "lastDeploymentSucceededAt": created["createdAt"],
        "name": "dev",
        "protonServiceRoleArn": SERVICE_ROLE,
        "spec": SPEC,
        "templateMajorVersion": "1",
        "templateMinorVersion": "0",
        "templateName": "web",
    }
    assert get_env(world) == {**created, "deploymentStatus": "SUCCEEDED", "lastSucceededDeploymentId": deployment_id}


def test_a_codebuild_role_alone_provisions_in_the_management_account(world: World) -> None:
    published_template(world)
    created = create_env(world, codebuildRoleArn=CODEBUILD_ROLE)
    assert created["codebuildRoleArn"] == CODEBUILD_ROLE
    assert "protonServiceRoleArn" not in created
    assert created["environmentAccountId"] == MGMT_ACCOUNT
    assert get_env(world)["deploymentStatus"] == "SUCCEEDED"


def test_create_through_a_connection_is_provisioned_in_its_environment_account(world: World) -> None:
    connection = connected(world)
    published_template(world)
    created = create_env(world, environmentAccountConnectionId=connection["id"])
    assert created[CONNECTION] == connection["id"]
    assert created["environmentAccountId"] == ENV_ACCOUNT
    assert "protonServiceRoleArn" not in created
    got = get_env(world)
    assert got["deploymentStatus"] == "SUCCEEDED"
    assert (got[CONNECTION], got["environmentAccountId"]) == (connection["id"], ENV_ACCOUNT)


@pytest.mark.parametrize("status", ["PENDING", "REJECTED"])
def test_a_connection_that_is_not_connected_cannot_be_used(world: World, status: str) -> None:
    connection = create_connection(world)
    if status == "REJECTED":
        proton(world).reject_environment_account_connection(id=connection["id"])
    published_template(world)
    assert refused(
        proton(world).create_environment,
        name="dev",
        templateName="web",
        templateMajorVersion="1",
        spec=SPEC,
        environmentAccountConnectionId=connection["id"],
    ) == unusable(connection["id"], f"it is {status}, not CONNECTED")
    assert proton(world).list_environments()["environments"] == []


def test_the_environment_account_cannot_create_through_its_own_connection(world: World) -> None:
    connection = connected(world)
    published_template(world, account=ENV_ACCOUNT)
    with pytest.raises(ClientError) as excinfo:
        create_env(world, account=ENV_ACCOUNT, environmentAccountConnectionId=connection["id"])
    assert error_of(excinfo) == unusable(
        connection["id"], f"its management account is {MGMT_ACCOUNT}, not the calling account"
    )


def test_a_connection_of_another_region_cannot_be_used(world: World) -> None:
    connection = connected(world, region=OTHER_REGION)
    published_template(world)
    with pytest.raises(ClientError) as excinfo:
        create_env(world, environmentAccountConnectionId=connection["id"])
    assert error_of(excinfo) == unusable(connection["id"], f"it is in {OTHER_REGION}, not {REGION}")


def test_a_connection_serving_another_environment_name_cannot_be_used(world: World) -> None:
    connection = connected(world, name="dev")
    published_template(world)
    with pytest.raises(ClientError) as excinfo:
        create_env(world, "prod", environmentAccountConnectionId=connection["id"])
    assert error_of(excinfo) == unusable(connection["id"], "it serves environment dev, not prod")


def test_an_unknown_connection_or_one_of_other_accounts_is_not_found(world: World) -> None:
    published_template(world)
    unknown = str(uuid.uuid4())
    # A connection between two other accounts: the caller is neither of its parties.
    foreign = create_connection(world, account=OTHER_ACCOUNT, management=ENV_ACCOUNT)
    proton(world, ENV_ACCOUNT).accept_environment_account_connection(id=foreign["id"])
    for connection_id in (unknown, foreign["id"]):
        with pytest.raises(ClientError) as excinfo:
            create_env(world, environmentAccountConnectionId=connection_id)
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            f"The requested environment account connection does not exist: {connection_id}",
            400,
        )


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {},
            "An environment needs a way to be provisioned: give environmentAccountConnectionId, protonServiceRoleArn "
            "(and/or codebuildRoleArn), or provisioningRepository.",
        ),
        (
            {CONNECTION: "5f1a2b3c-0000-4000-8000-000000000001", "protonServiceRoleArn": SERVICE_ROLE},
            "An environment is provisioned in one way only; environmentAccountConnectionId and protonServiceRoleArn "
            "cannot be given together.",
        ),
        (
            {CONNECTION: "5f1a2b3c-0000-4000-8000-000000000001", "provisioningRepository": REPOSITORY},
            "An environment is provisioned in one way only; environmentAccountConnectionId and "
            "provisioningRepository cannot be given together.",
        ),
        (
            {"protonServiceRoleArn": SERVICE_ROLE, "provisioningRepository": REPOSITORY},
            "An environment is provisioned in one way only; protonServiceRoleArn and provisioningRepository cannot "
            "be given together.",
        ),
        (
            {"codebuildRoleArn": CODEBUILD_ROLE, "provisioningRepository": REPOSITORY},
            "A self-managed environment (provisioningRepository) takes no codebuildRoleArn.",
        ),
    ],
    ids=["none", "connection-and-role", "connection-and-repository", "role-and-repository", "repository-codebuild"],
)
def test_exactly_one_provisioning_method_is_given(world: World, members: dict[str, Any], message: str) -> None:
    published_template(world)
    assert refused(
        proton(world).create_environment,
        name="dev",
        templateName="web",
        templateMajorVersion="1",
        spec=SPEC,
        **members,
    ) == ("ValidationException", message, 400)


def test_a_self_managed_environment_echoes_its_repository_and_waits_for_notify(world: World) -> None:
    published_template(world)
    created = create_env(world, provisioningRepository=REPOSITORY)
    repository = {
        "arn": f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:repository/github:acme/infra",
        "branch": "main",
        "name": "acme/infra",
        "provider": "GITHUB",
    }
    assert created["provisioningRepository"] == repository
    assert "protonServiceRoleArn" not in created
    assert created["environmentAccountId"] == MGMT_ACCOUNT
    # [doc] Not settled by the policy (here `succeed` at once): it waits for the customer's automation.
    assert get_env(world) == created
    assert [d["id"] for d in world.deployments_under_way()] == [created["lastAttemptedDeploymentId"]]


def test_the_template_and_version_must_exist(world: World) -> None:
    client = proton(world)
    assert refused(
        client.create_environment,
        name="dev",
        templateName="missing",
        templateMajorVersion="1",
        spec=SPEC,
        protonServiceRoleArn=SERVICE_ROLE,
    ) == ("ResourceNotFoundException", "The requested environment template does not exist: missing", 400)
    published_template(world)
    with pytest.raises(ClientError) as excinfo:
        create_env(world, major="9")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "The requested environment template version does not exist: web:9",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        create_env(world, templateMinorVersion="7")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "The requested environment template version does not exist: web:1.7",
        400,
    )
    assert client.list_environments()["environments"] == []


def test_the_minor_version_defaults_to_the_recommended_minor_of_the_major(world: World) -> None:
    published_template(world)  # 1.0
    add_version(world, major="1")  # 1.1, published: recommended
    add_version(world, major="1", publish=False)  # 1.2, DRAFT
    add_version(world)  # 2.0, published, another major
    created = create_env(world)
    assert version_of(created) == "1.1"
    assert version_of(get_env(world)) == "1.1"


def test_a_draft_version_may_be_named_explicitly(world: World) -> None:
    proton(world).create_environment_template(name="web")
    add_version(world, publish=False)  # 1.0, DRAFT
    created = create_env(world, templateMinorVersion="0")
    assert version_of(created) == "1.0"
    assert get_env(world)["deploymentStatus"] == "SUCCEEDED"


def test_without_a_published_minor_the_minor_version_must_be_given(world: World) -> None:
    proton(world).create_environment_template(name="web")
    add_version(world, publish=False)  # 1.0, DRAFT
    with pytest.raises(ClientError) as excinfo:
        create_env(world)
    assert error_of(excinfo) == (
        "ValidationException",
        "Environment template web has no published minor version in major version 1; publish one, or name a DRAFT "
        "with templateMinorVersion.",
        400,
    )


def test_create_is_idempotent_for_the_same_parameters_and_refuses_others(world: World) -> None:
    published_template(world)
    first = create_env(world, description="dev tier")
    again = create_env(world, description="dev tier")
    assert again == get_env(world)
    assert again["lastAttemptedDeploymentId"] == first["lastAttemptedDeploymentId"]
    assert len(proton(world).list_deployments()["deployments"]) == 1
    with pytest.raises(ClientError) as excinfo:
        create_env(world, description="dev tier", spec=NEW_SPEC)
    assert error_of(excinfo) == (
        "ValidationException",
        "Environment dev already exists with different parameters (idempotent parameter mismatch).",
        400,
    )


def test_the_environment_quota_is_a_setting() -> None:
    # In-process only: the servers keep the default quota of 100.
    with mock_proton(settings=Settings(database_url="sqlite://", environment_quota=2)) as mock:
        world = InProcessWorld(mock)
        published_template(world)
        create_env(world, "alpha")
        create_env(world, "bravo")
        with pytest.raises(ClientError) as excinfo:
            create_env(world, "charlie")
        assert error_of(excinfo) == (
            "ServiceQuotaExceededException",
            f"Account {MGMT_ACCOUNT} already has 2 environments in {REGION}, the most it may have.",
            400,
        )
        proton(world).delete_environment(name="alpha")
        assert create_env(world, "charlie")["name"] == "charlie"  # a deleted environment frees its place


def test_tags_given_at_create_are_listed_on_the_environment_arn(world: World) -> None:
    published_template(world)
    created = create_env(world, tags=[{"key": "team", "value": "platform"}, {"key": "cost", "value": "dev"}])
    assert proton(world).list_tags_for_resource(resourceArn=created["arn"])["tags"] == [
        {"key": "cost", "value": "dev"},
        {"key": "team", "value": "platform"},
    ]


def test_environments_and_deployments_are_tagged_by_their_arns(world: World) -> None:
    published_template(world)
    created = create_env(world)
    deployment_arn = f"{DEPLOYMENT_ARN}/{created['lastAttemptedDeploymentId']}"
    client = proton(world)
    for arn in (created["arn"], deployment_arn):
        client.tag_resource(resourceArn=arn, tags=[{"key": "owner", "value": "me"}, {"key": "stage", "value": "b"}])
        assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [
            {"key": "owner", "value": "me"},
            {"key": "stage", "value": "b"},
        ]
        client.untag_resource(resourceArn=arn, tagKeys=["owner"])
        assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "stage", "value": "b"}]
    for arn, resource_id in ((created["arn"], "dev"), (deployment_arn, created["lastAttemptedDeploymentId"])):
        assert refused(proton(world, OTHER_ACCOUNT).list_tags_for_resource, resourceArn=arn) == (
            "ResourceNotFoundException",
            f"The requested resource does not exist: {resource_id}",
            400,
        )
    assert refused(client.list_tags_for_resource, resourceArn=f"{ENV_ARN}/missing") == not_found("missing")
    missing_deployment = str(uuid.uuid4())
    assert refused(client.list_tags_for_resource, resourceArn=f"{DEPLOYMENT_ARN}/{missing_deployment}") == (
        "ResourceNotFoundException",
        f"The requested deployment does not exist: {missing_deployment}",
        400,
    )


def test_an_environment_is_private_to_its_account_and_region(world: World) -> None:
    connection = connected(world)
    published_template(world)
    create_env(world, environmentAccountConnectionId=connection["id"])
    # Not even the environment account it is provisioned in sees it: it lives in the management account.
    for client in (proton(world, OTHER_ACCOUNT), proton(world, ENV_ACCOUNT), proton(world, MGMT_ACCOUNT, OTHER_REGION)):
        assert refused(client.get_environment, name="dev") == not_found()
        assert client.list_environments()["environments"] == []
        assert client.list_deployments()["deployments"] == []


# -- get and list ---------------------------------------------------------------------------------------------


def test_the_paginator_lists_environment_summaries_by_name(world: World) -> None:
    published_template(world)
    for name in ("delta", "alpha", "charlie", "bravo", "echo"):
        create_env(world, name, codebuildRoleArn=CODEBUILD_ROLE)
    pages = list(proton(world).get_paginator("list_environments").paginate(PaginationConfig={"PageSize": 2}))
    assert [[e["name"] for e in page["environments"]] for page in pages] == [
        ["alpha", "bravo"],
        ["charlie", "delta"],
        ["echo"],
    ]
    first = pages[0]["environments"][0]
    assert first == {k: v for k, v in get_env(world, "alpha").items() if k not in ("spec", "codebuildRoleArn")}


def test_list_filters_by_template_and_major_version(world: World) -> None:
    published_template(world)  # web 1.0
    add_version(world)  # web 2.0
    published_template(world, "api")  # api 1.0
    create_env(world, "a")
    create_env(world, "b", major="2")
    create_env(world, "c", template="api")
    client = proton(world)

    def names(*filters: tuple[str, str]) -> list[str]:
        wanted = [{"templateName": t, "majorVersion": m} for t, m in filters]
        return [e["name"] for e in client.list_environments(environmentTemplates=wanted)["environments"]]

    assert names(("web", "1")) == ["a"]
    assert names(("web", "2"), ("api", "1")) == ["b", "c"]
    assert names(("api", "2")) == []
    assert names() == ["a", "b", "c"]


def test_deleted_environments_are_not_listed(world: World) -> None:
    published_template(world)
    for name in ("a", "b", "c"):
        create_env(world, name)
    proton(world).delete_environment(name="b")
    pages = list(proton(world).get_paginator("list_environments").paginate(PaginationConfig={"PageSize": 1}))
    assert [e["name"] for page in pages for e in page["environments"]] == ["a", "c"]


def test_the_last_page_has_no_next_token_when_only_hidden_environments_follow(world: World) -> None:
    published_template(world)
    published_template(world, "api")
    for name, template in (("a", "web"), ("b", "web"), ("c", "api"), ("d", "web")):
        create_env(world, name, template=template)
    client = proton(world)
    client.delete_environment(name="d")
    # wire.md: nextToken is omitted on the last page; "c" is filtered out and "d" is deleted.
    filtered = client.list_environments(
        environmentTemplates=[{"templateName": "web", "majorVersion": "1"}], maxResults=2
    )
    assert [e["name"] for e in filtered["environments"]] == ["a", "b"]
    assert "nextToken" not in filtered
    everything = client.list_environments(maxResults=3)
    assert [e["name"] for e in everything["environments"]] == ["a", "b", "c"]
    assert "nextToken" not in everything
    first = client.list_environments(maxResults=1)
    assert [e["name"] for e in first["environments"]] == ["a"]
    assert [e["name"] for e in client.list_environments(nextToken=first["nextToken"])["environments"]] == ["b", "c"]


def test_a_name_freed_by_a_delete_makes_a_new_environment(world: World) -> None:
    published_template(world)
    first = create_env(world, tags=[{"key": "team", "value": "platform"}])
    proton(world).delete_environment(name="dev")
    second = create_env(world, spec=NEW_SPEC)
    assert second["lastAttemptedDeploymentId"] != first["lastAttemptedDeploymentId"]
    assert (second["spec"], second["deploymentStatus"]) == (NEW_SPEC, "IN_PROGRESS")
    assert "lastSucceededDeploymentId" not in second
    assert proton(world).list_tags_for_resource(resourceArn=second["arn"])["tags"] == []
    assert get_env(world)["lastSucceededDeploymentId"] == second["lastAttemptedDeploymentId"]


def test_deployments_filtered_by_name_are_those_of_the_environment_that_has_it_now() -> None:
    # In-process on a clock that moves: the two environments of one name are created a second apart.
    clock = ManualClock()
    with mock_proton(clock=clock) as mock:
        world = InProcessWorld(mock)
        published_template(world)
        first = create_env(world)["lastAttemptedDeploymentId"]
        clock.advance(seconds=1)
        deleted = proton(world).delete_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
        clock.advance(seconds=1)
        second = create_env(world)["lastAttemptedDeploymentId"]
        listed = proton(world).list_deployments(environmentName="dev")["deployments"]
        assert [item["id"] for item in listed] == [second]
        everything = [item["id"] for item in proton(world).list_deployments()["deployments"]]
        assert everything == [second, deleted, first]  # the earlier environment's history is still there


def test_operations_on_a_missing_environment_are_not_found(world: World) -> None:
    client = proton(world)
    assert refused(client.get_environment, name="nope") == not_found("nope")
    assert refused(client.update_environment, name="nope", deploymentType="NONE") == not_found("nope")
    assert refused(client.delete_environment, name="nope") == not_found("nope")
    assert refused(client.cancel_environment_deployment, environmentName="nope") == not_found("nope")
    assert refused(client.list_environment_outputs, environmentName="nope") == not_found("nope")
    assert refused(client.list_environment_provisioned_resources, environmentName="nope") == not_found("nope")
    assert refused(client.list_deployments, environmentName="nope") == not_found("nope")
