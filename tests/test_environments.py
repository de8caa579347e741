"""Environments, their deployments, outputs and provisioned resources (environments.md, second half), in every mode.

Also the rules that join them to the other families: a connection an environment uses cannot be rejected
(environment-account-connections.md), and a template version environments are deployed with cannot be deleted.
Deployments end by the settle policy: `succeed` at once unless a test sets `manual` or `fail`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from openproton import decided, mock_proton
from openproton.proton.clock import ManualClock
from openproton.settings import Settings
from support import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    InProcessWorld,
    World,
    create_connection,
    error_of,
)

SOURCE = {"s3": {"bucket": "templates", "key": "x.tar.gz"}}
SPEC = "proton: EnvironmentSpec\nspec:\n  size: small\n"
NEW_SPEC = "proton: EnvironmentSpec\nspec:\n  size: large\n"
SERVICE_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service"
CODEBUILD_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-codebuild"
COMPONENT_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-component"
REPOSITORY = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}
ENV_ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment"
DEPLOYMENT_ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:deployment"
OTHER_REGION = "eu-west-1"
CONNECTION = "environmentAccountConnectionId"
PROVISIONING = (CONNECTION, "protonServiceRoleArn", "codebuildRoleArn", "provisioningRepository")
WAIT = {"Delay": 1, "MaxAttempts": 2}


# -- helpers ------------------------------------------------------------------------------------------------


def proton(world: World, account: str = MGMT_ACCOUNT, region: str = REGION) -> Any:
    return world.client(account, region)


def refused(operation: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the error the call must fail with."""
    with pytest.raises(ClientError) as excinfo:
        operation(**params)
    return error_of(excinfo)


def add_version(
    world: World, template: str = "web", major: str | None = None, *, publish: bool = True, account: str = MGMT_ACCOUNT
) -> str:
    """A new version (a new major, or the next minor of `major`), published unless told; returns "major.minor"."""
    client = proton(world, account)
    members = {} if major is None else {"majorVersion": major}
    version = client.create_environment_template_version(templateName=template, source=SOURCE, **members)[
        "environmentTemplateVersion"
    ]
    if publish:
        client.update_environment_template_version(
            templateName=template,
            majorVersion=version["majorVersion"],
            minorVersion=version["minorVersion"],
            status="PUBLISHED",
        )
    return f"{version['majorVersion']}.{version['minorVersion']}"


def published_template(world: World, name: str = "web", *, account: str = MGMT_ACCOUNT) -> None:
    """A template with one published version, 1.0."""
    proton(world, account).create_environment_template(name=name)
    add_version(world, name, account=account)


def connected(world: World, name: str = "dev", *, account: str = ENV_ACCOUNT, region: str = REGION) -> dict[str, Any]:
    """A CONNECTED connection from `account` to the management account, serving environment `name`."""
    connection = create_connection(world, account=account, name=name, region=region)
    accepted = proton(world, MGMT_ACCOUNT, region).accept_environment_account_connection(id=connection["id"])
    return accepted["environmentAccountConnection"]


def create_env(
    world: World,
    name: str = "dev",
    *,
    template: str = "web",
    major: str = "1",
    account: str = MGMT_ACCOUNT,
    **members: Any,
) -> dict[str, Any]:
    """CreateEnvironment; in the management account with a service role unless another way is given."""
    if not any(member in members for member in PROVISIONING):
        members["protonServiceRoleArn"] = SERVICE_ROLE
    members.setdefault("spec", SPEC)
    return proton(world, account).create_environment(
        name=name, templateName=template, templateMajorVersion=major, **members
    )["environment"]


def get_env(world: World, name: str = "dev") -> dict[str, Any]:
    return proton(world).get_environment(name=name)["environment"]


def update_env(world: World, deployment_type: str, name: str = "dev", **members: Any) -> dict[str, Any]:
    return proton(world).update_environment(name=name, deploymentType=deployment_type, **members)["environment"]


def get_deployment(world: World, deployment_id: str) -> dict[str, Any]:
    return proton(world).get_deployment(id=deployment_id)["deployment"]


def newest_first(world: World, ids: list[str]) -> list[str]:
    """[decided] D-9: the order ListDeployments gives: by createdAt, newest first, then by id (one millisecond's)."""
    created_at = {i: get_deployment(world, i)["createdAt"] for i in ids}
    return sorted(ids, key=lambda i: (created_at[i], i), reverse=True)


def version_of(environment: dict[str, Any]) -> str:
    return f"{environment['templateMajorVersion']}.{environment['templateMinorVersion']}"


def state(version: str, spec: str = SPEC, template: str = "web") -> dict[str, Any]:
    major, minor = version.split(".")
    return {
        "environment": {
            "spec": spec,
            "templateMajorVersion": major,
            "templateMinorVersion": minor,
            "templateName": template,
        }
    }


def not_found(name: str = "dev") -> tuple[str, str, int]:
    return ("ResourceNotFoundException", f"The requested environment does not exist: {name}", 400)


def unusable(connection_id: str, problem: str) -> tuple[str, str, int]:
    return (
        "ValidationException",
        f"Environment account connection {connection_id} cannot be used: {problem}.",
        400,
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
    assert got == {**updating, "deploymentStatus": "CANCELLED"}
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


# -- outputs and provisioned resources ------------------------------------------------------------------------

OUTPUTS_1 = [{"key": "vpcId", "valueString": "vpc-1"}]
OUTPUTS_2 = [{"key": "vpcId", "valueString": "vpc-2"}, {"key": "subnetId", "valueString": "subnet-2"}]
RESOURCES_1 = [{"name": "Vpc", "identifier": "vpc-1", "provisioningEngine": "CLOUDFORMATION"}]
RESOURCES_2 = [
    {"name": "Vpc", "identifier": "vpc-2", "provisioningEngine": "CLOUDFORMATION"},
    {"name": "Subnet", "identifier": "subnet-2", "provisioningEngine": "TERRAFORM"},
]


def test_outputs_and_provisioned_resources_come_from_the_deployments(world: World) -> None:
    published_template(world)
    world.set_settle_policy("manual")
    first = create_env(world)["lastAttemptedDeploymentId"]
    client = proton(world)
    # Nothing has been produced before a deployment succeeds.
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == []
    assert client.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"] == []
    world.settle(first, "SUCCEEDED", outputs=OUTPUTS_1, provisioned_resources=RESOURCES_1)
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == OUTPUTS_1
    assert client.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"] == RESOURCES_1
    second = update_env(world, "CURRENT_VERSION")["lastAttemptedDeploymentId"]
    world.settle(second, "SUCCEEDED", outputs=OUTPUTS_2, provisioned_resources=RESOURCES_2)
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == OUTPUTS_2
    assert client.list_environment_outputs(environmentName="dev", deploymentId=first)["outputs"] == OUTPUTS_1
    assert client.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"] == RESOURCES_2
    outputs = client.get_paginator("list_environment_outputs").paginate(environmentName="dev")
    assert [o for page in outputs for o in page["outputs"]] == OUTPUTS_2
    resources = client.get_paginator("list_environment_provisioned_resources").paginate(environmentName="dev")
    assert [r for page in resources for r in page["provisionedResources"]] == RESOURCES_2


def test_outputs_of_a_deployment_of_another_environment_are_not_found(world: World) -> None:
    published_template(world)
    create_env(world)
    other = create_env(world, "prod")["lastAttemptedDeploymentId"]
    assert refused(proton(world).list_environment_outputs, environmentName="dev", deploymentId=other) == (
        "ResourceNotFoundException",
        f"The requested deployment does not exist: {other}",
        400,
    )


# -- NotifyResourceDeploymentStatusChange ---------------------------------------------------------------------


def self_managed(world: World) -> tuple[str, str]:
    """A self-managed environment `dev`, its first deployment waiting: (its ARN, the deployment id)."""
    published_template(world)
    created = create_env(world, provisioningRepository=REPOSITORY)
    return created["arn"], created["lastAttemptedDeploymentId"]


def test_notify_reports_outputs_in_progress_and_then_success(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(
        resourceArn=arn, deploymentId=deployment_id, status="IN_PROGRESS", outputs=OUTPUTS_1
    )
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"
    assert client.list_environment_outputs(environmentName="dev", deploymentId=deployment_id)["outputs"] == OUTPUTS_1
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == []  # nothing has succeeded yet
    client.notify_resource_deployment_status_change(
        resourceArn=arn, deploymentId=deployment_id, status="SUCCEEDED", outputs=[OUTPUTS_2[1]]
    )
    got = get_env(world)
    assert (got["deploymentStatus"], got["lastSucceededDeploymentId"]) == ("SUCCEEDED", deployment_id)
    # A later value for a key replaces the earlier one; new keys are added.
    assert client.list_environment_outputs(environmentName="dev")["outputs"] == [*OUTPUTS_1, OUTPUTS_2[1]]
    assert world.deployments_under_way() == []


def test_notify_without_a_status_records_outputs_of_the_latest_deployment(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(resourceArn=arn, outputs=OUTPUTS_2)
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"
    assert client.list_environment_outputs(environmentName="dev", deploymentId=deployment_id)["outputs"] == OUTPUTS_2


def test_notify_failed_ends_the_deployment_with_its_message(world: World) -> None:
    arn, deployment_id = self_managed(world)
    proton(world).notify_resource_deployment_status_change(
        resourceArn=arn, deploymentId=deployment_id, status="FAILED", statusMessage="terraform apply failed"
    )
    got = get_env(world)
    assert (got["deploymentStatus"], got["deploymentStatusMessage"]) == ("FAILED", "terraform apply failed")
    deployment = get_deployment(world, deployment_id)
    assert (deployment["deploymentStatus"], deployment["deploymentStatusMessage"]) == (
        "FAILED",
        "terraform apply failed",
    )


def test_notify_applies_only_to_self_managed_environments(world: World) -> None:
    published_template(world)
    world.set_settle_policy("manual")
    created = create_env(world)
    # [decided] D-11
    assert refused(
        proton(world).notify_resource_deployment_status_change,
        resourceArn=created["arn"],
        deploymentId=created["lastAttemptedDeploymentId"],
        status="SUCCEEDED",
    ) == (
        "ValidationException",
        "Environment dev is not self-managed: OpenProton settles its deployments itself.",
        400,
    )
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"


def test_notify_on_an_ended_deployment_conflicts(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(resourceArn=arn, deploymentId=deployment_id, status="SUCCEEDED")
    # [decided] D-11
    assert refused(
        client.notify_resource_deployment_status_change, resourceArn=arn, deploymentId=deployment_id, status="FAILED"
    ) == ("ConflictException", f"Deployment {deployment_id} of environment dev is not in progress.", 400)
    assert get_env(world)["deploymentStatus"] == "SUCCEEDED"


def test_notify_of_an_unknown_deployment_or_environment_is_not_found(world: World) -> None:
    arn, _ = self_managed(world)
    client = proton(world)
    unknown = str(uuid.uuid4())
    assert refused(
        client.notify_resource_deployment_status_change, resourceArn=arn, deploymentId=unknown, status="SUCCEEDED"
    ) == ("ResourceNotFoundException", f"The requested deployment does not exist: {unknown}", 400)
    assert refused(
        client.notify_resource_deployment_status_change, resourceArn=f"{ENV_ARN}/missing", status="SUCCEEDED"
    ) == not_found("missing")
    template_arn = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment-template/web"
    assert refused(client.notify_resource_deployment_status_change, resourceArn=template_arn, status="SUCCEEDED") == (
        "ResourceNotFoundException",
        f"The requested resource does not exist: {template_arn}",
        400,
    )
    # Another account (or region) is answered as if the environment did not exist, naming no account.
    for other in (proton(world, OTHER_ACCOUNT), proton(world, MGMT_ACCOUNT, OTHER_REGION)):
        assert refused(other.notify_resource_deployment_status_change, resourceArn=arn, status="SUCCEEDED") == (
            not_found()
        )
    assert get_env(world)["deploymentStatus"] == "IN_PROGRESS"


def test_deleting_a_self_managed_environment_waits_for_notify(world: World) -> None:
    arn, deployment_id = self_managed(world)
    client = proton(world)
    client.notify_resource_deployment_status_change(resourceArn=arn, deploymentId=deployment_id, status="SUCCEEDED")
    deleting = client.delete_environment(name="dev")["environment"]
    assert get_env(world)["deploymentStatus"] == "DELETE_IN_PROGRESS"
    client.notify_resource_deployment_status_change(
        resourceArn=arn, deploymentId=deleting["lastAttemptedDeploymentId"], status="SUCCEEDED"
    )
    assert refused(client.get_environment, name="dev") == not_found()


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


# -- found in review: edge cases that once answered 500 or broke a rule -------------------------------------


def test_an_update_none_that_changes_nothing_returns_the_environment(world: World) -> None:
    published_template(world)
    create_env(world, description="d")
    before = get_env(world)
    assert update_env(world, "NONE") == before
    assert update_env(world, "NONE", description="d", protonServiceRoleArn=SERVICE_ROLE) == before


def test_a_string_with_a_nul_character_is_refused_on_every_backend(world: World) -> None:
    published_template(world)
    code, message, status = refused(
        proton(world).create_environment,
        name="dev",
        templateName="web",
        templateMajorVersion="1",
        spec="a\x00b",
        protonServiceRoleArn=SERVICE_ROLE,
    )
    assert (code, status) == ("ValidationException", 400)
    assert "at 'spec' failed to satisfy constraint: Member must not contain the character U+0000" in message
    assert proton(world).list_environments()["environments"] == []


def test_a_credential_scope_without_a_region_name_is_refused(world: World) -> None:
    response = world.call("ListEnvironmentTemplates", {}, account=MGMT_ACCOUNT, region="r" * 40)
    assert response.status == 400
    body = response.json()
    assert body["__type"].endswith("#ValidationException")
    assert f"names the region '{'r' * 40}', which is not a region name" in body["message"]


def test_a_deleted_deployment_takes_its_tags_with_it() -> None:
    from openproton.store.transfer import export_state

    with mock_proton() as mock:
        world = InProcessWorld(mock)
        published_template(world)
        first = create_env(world)["lastAttemptedDeploymentId"]
        update_env(world, "CURRENT_VERSION")
        update_env(world, "CURRENT_VERSION")
        arn = f"{DEPLOYMENT_ARN}/{first}"
        proton(world).tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "platform"}])
        proton(world).delete_deployment(id=first)
        tagged = {row["resource_arn"] for row in export_state(mock.service.database)["tables"]["resource_tags"]}
        assert arn not in tagged


def test_an_earlier_environments_deployment_is_not_this_ones() -> None:
    clock = ManualClock()
    with mock_proton(clock=clock) as mock:
        world = InProcessWorld(mock)
        published_template(world)
        old = create_env(world)["lastAttemptedDeploymentId"]
        clock.advance(seconds=1)
        proton(world).delete_environment(name="dev")
        clock.advance(seconds=1)
        create_env(world)
        assert refused(proton(world).list_environment_outputs, environmentName="dev", deploymentId=old) == (
            "ResourceNotFoundException",
            f"The requested deployment does not exist: {old}",
            400,
        )


def test_notify_with_another_environments_deployment_is_not_found(world: World) -> None:
    published_template(world)
    create_env(world, "first", provisioningRepository=REPOSITORY)
    other = create_env(world, "second", provisioningRepository=REPOSITORY)["lastAttemptedDeploymentId"]
    assert refused(
        proton(world).notify_resource_deployment_status_change,
        resourceArn=f"{ENV_ARN}/first",
        deploymentId=other,
        status="SUCCEEDED",
    ) == ("ResourceNotFoundException", f"The requested deployment does not exist: {other}", 400)
    assert get_env(world, "second")["deploymentStatus"] == "IN_PROGRESS"


def test_a_self_managed_environment_cannot_gain_a_codebuild_role_by_update(world: World) -> None:
    published_template(world)
    created = create_env(world, provisioningRepository=REPOSITORY)
    proton(world).notify_resource_deployment_status_change(
        resourceArn=created["arn"], deploymentId=created["lastAttemptedDeploymentId"], status="SUCCEEDED"
    )
    assert refused(
        proton(world).update_environment, name="dev", deploymentType="NONE", codebuildRoleArn=CODEBUILD_ROLE
    ) == (
        "ValidationException",
        "A self-managed environment (provisioningRepository) takes no codebuildRoleArn.",
        400,
    )


def test_a_major_version_too_long_to_exist_is_not_found(world: World) -> None:
    published_template(world)
    create_env(world)
    huge = "9" * 15  # within the model's 20 characters, beyond any version number
    assert refused(
        proton(world).update_environment, name="dev", deploymentType="MAJOR_VERSION", templateMajorVersion=huge
    ) == (
        "ResourceNotFoundException",
        f"The requested environment template version does not exist: web:{huge}",
        400,
    )


def test_the_admin_list_of_deployments_under_way_skips_ended_ones_before_its_limit() -> None:
    with mock_proton() as mock:
        world = InProcessWorld(mock)
        published_template(world)
        for name in ("a", "b", "c"):
            create_env(world, name)  # ended at once, but stored as IN_PROGRESS until a write touches them
        mock.set_settle_policy("manual")
        waiting = create_env(world, "d")["lastAttemptedDeploymentId"]
        service = mock.service
        under_way = service.provider.deployments.under_way(service.database, service.clock.now_ms(), limit=1)
        assert [item["id"] for item in under_way] == [waiting]


def test_names_are_listed_in_code_point_order_on_every_backend(world: World) -> None:
    published_template(world)
    names = ["ab", "a_d", "B", "a-c", "Ab"]
    for name in names:
        create_env(world, name)
    listed = [item["name"] for item in proton(world).list_environments()["environments"]]
    assert listed == sorted(names)  # Python sorts by code point, as SQLite does and "C" collation does
    for name in names:
        proton(world).create_environment_template(name=f"t{name}")
    templates = [item["name"] for item in proton(world).list_environment_templates()["templates"]]
    assert templates == sorted(["web", *(f"t{name}" for name in names)])


def test_a_version_still_registering_cannot_be_deployed() -> None:
    # Registration ends at once here ([decided] T-2); a registration delay on an injected clock shows the rule
    # that a version must have registered (DRAFT or PUBLISHED) to be deployed.
    clock = ManualClock()
    with mock_proton(clock=clock) as mock:
        world = InProcessWorld(mock)
        mock.service.provider.templates.registration_delay_ms = 60_000
        proton(world).create_environment_template(name="web")
        add_version(world, "web", publish=False)
        assert refused(
            proton(world).create_environment,
            name="dev",
            templateName="web",
            templateMajorVersion="1",
            templateMinorVersion="0",
            spec=SPEC,
            protonServiceRoleArn=SERVICE_ROLE,
        ) == (
            "ValidationException",
            "Environment template version web:1.0 is REGISTRATION_IN_PROGRESS; only a PUBLISHED or DRAFT version "
            "can be deployed.",
            400,
        )
        clock.advance(seconds=60)
        assert create_env(world, templateMinorVersion="0")["templateMinorVersion"] == "0"
