"""Account settings (services.md, "Account settings"; S-22, S-23), in every mode."""

from __future__ import annotations

from support import MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World, link_repository

from .service_helpers import (
    CODEBUILD_ROLE,
    DEV,
    NO_PIPELINE_ROLES,
    OTHER_REGION,
    PIPELINE_REPOSITORY,
    PIPELINE_ROLE,
    body,
    create_service,
    get_service,
    proton,
    refused,
    service_names,
    setup,
    spec_of,
)

REPOSITORY_ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:repository/github:acme/pipelines"
STORED_REPOSITORY = {**PIPELINE_REPOSITORY, "arn": REPOSITORY_ARN}


def test_settings_are_empty_at_first(world: World) -> None:
    assert body(proton(world).get_account_settings()) == {"accountSettings": {}}


def test_update_sets_the_members_given_and_keeps_those_left_out(world: World) -> None:
    client = proton(world)
    assert body(client.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)) == {
        "accountSettings": {"pipelineServiceRoleArn": PIPELINE_ROLE}
    }
    both = {"pipelineServiceRoleArn": PIPELINE_ROLE, "pipelineCodebuildRoleArn": CODEBUILD_ROLE}
    assert body(client.update_account_settings(pipelineCodebuildRoleArn=CODEBUILD_ROLE)) == {"accountSettings": both}
    assert body(client.update_account_settings()) == {"accountSettings": both}
    assert body(client.get_account_settings()) == {"accountSettings": both}


def test_an_empty_string_clears_a_role(world: World) -> None:
    client = proton(world)
    client.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE, pipelineCodebuildRoleArn=CODEBUILD_ROLE)
    assert body(client.update_account_settings(pipelineServiceRoleArn="")) == {
        "accountSettings": {"pipelineCodebuildRoleArn": CODEBUILD_ROLE}
    }
    client.update_account_settings(pipelineCodebuildRoleArn="")
    assert body(client.get_account_settings()) == {"accountSettings": {}}


def test_the_repository_comes_back_with_its_arn(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    client = proton(world)
    assert body(client.update_account_settings(pipelineProvisioningRepository=PIPELINE_REPOSITORY)) == {
        "accountSettings": {"pipelineProvisioningRepository": STORED_REPOSITORY}
    }
    assert body(client.get_account_settings()) == {
        "accountSettings": {"pipelineProvisioningRepository": STORED_REPOSITORY}
    }
    other = {"provider": "BITBUCKET", "name": "acme/deploys", "branch": "release"}
    link_repository(world, other)
    assert client.update_account_settings(pipelineProvisioningRepository=other)["accountSettings"] == {
        "pipelineProvisioningRepository": {
            **other,
            "arn": f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:repository/bitbucket:acme/deploys",
        }
    }


def test_the_delete_flag_removes_the_repository_and_keeps_the_roles(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    client = proton(world)
    client.update_account_settings(
        pipelineServiceRoleArn=PIPELINE_ROLE, pipelineProvisioningRepository=PIPELINE_REPOSITORY
    )
    assert body(client.update_account_settings(deletePipelineProvisioningRepository=True)) == {
        "accountSettings": {"pipelineServiceRoleArn": PIPELINE_ROLE}
    }
    # None set: a no-op.
    assert body(client.update_account_settings(deletePipelineProvisioningRepository=True)) == {
        "accountSettings": {"pipelineServiceRoleArn": PIPELINE_ROLE}
    }
    assert body(client.update_account_settings(deletePipelineProvisioningRepository=False)) == {
        "accountSettings": {"pipelineServiceRoleArn": PIPELINE_ROLE}
    }


def test_the_delete_flag_with_a_repository_is_refused(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    client = proton(world)
    client.update_account_settings(pipelineProvisioningRepository=PIPELINE_REPOSITORY)
    link_repository(world, {"provider": "GITHUB", "name": "acme/other"})
    code, _, status = refused(
        client.update_account_settings,
        deletePipelineProvisioningRepository=True,
        pipelineProvisioningRepository={"provider": "GITHUB", "name": "acme/other", "branch": "main"},
    )
    assert (code, status) == ("ValidationException", 400)
    assert body(client.get_account_settings()) == {
        "accountSettings": {"pipelineProvisioningRepository": STORED_REPOSITORY}
    }


def test_settings_belong_to_one_account_and_region(world: World) -> None:
    proton(world).update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)
    for client in (proton(world, OTHER_ACCOUNT), proton(world, MGMT_ACCOUNT, OTHER_REGION)):
        assert body(client.get_account_settings()) == {"accountSettings": {}}
    proton(world, OTHER_ACCOUNT).update_account_settings(
        pipelineCodebuildRoleArn=CODEBUILD_ROLE.replace(MGMT_ACCOUNT, OTHER_ACCOUNT)
    )
    assert body(proton(world).get_account_settings()) == {"accountSettings": {"pipelineServiceRoleArn": PIPELINE_ROLE}}


# -- S-23: a pipeline deployment needs the roles ----------------------------------------------------------------


def test_create_service_with_a_pipeline_needs_pipeline_roles(world: World) -> None:
    setup(world, roles=False)
    assert refused(create_service, world=world) == NO_PIPELINE_ROLES
    assert service_names(world) == []


def test_any_one_of_the_three_settings_lets_a_pipeline_deploy(world: World) -> None:
    link_repository(world, PIPELINE_REPOSITORY)  # [decided] Y-5: a linked repository
    setup(world, roles=False)
    client = proton(world)
    for index, members in enumerate(
        (
            {"pipelineServiceRoleArn": PIPELINE_ROLE},
            {"pipelineCodebuildRoleArn": CODEBUILD_ROLE},
            {"pipelineProvisioningRepository": PIPELINE_REPOSITORY},
        )
    ):
        client.update_account_settings(**members)
        assert create_service(world, f"shop{index}", (f"shop{index}-dev", "dev"))["status"] == "CREATE_IN_PROGRESS"
        client.update_account_settings(
            pipelineServiceRoleArn="", pipelineCodebuildRoleArn="", deletePipelineProvisioningRepository=True
        )
    assert service_names(world) == ["shop0", "shop1", "shop2"]


def test_a_service_without_a_pipeline_needs_no_pipeline_roles(world: World) -> None:
    setup(world, roles=False, pipelineProvisioning="CUSTOMER_MANAGED")
    create_service(world, "shop", DEV, pipeline=False)
    got = get_service(world)
    assert got["status"] == "ACTIVE"
    assert "pipeline" not in got


def test_updates_starting_a_pipeline_deployment_need_the_roles_and_clearing_them_is_allowed(world: World) -> None:
    setup(world)
    create_service(world)
    client = proton(world)
    assert body(client.update_account_settings(pipelineServiceRoleArn="")) == {"accountSettings": {}}
    # UpdateService adding an instance redeploys the pipeline.
    assert refused(client.update_service, name="shop", spec=spec_of(DEV, ("shop-two", "dev"))) == NO_PIPELINE_ROLES
    assert (
        refused(client.update_service_pipeline, serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV))
        == NO_PIPELINE_ROLES
    )
    # NONE starts no deployment; a description-only UpdateService neither; deletion needs no roles.
    client.update_service_pipeline(serviceName="shop", deploymentType="NONE", spec=spec_of(DEV))
    client.update_service(name="shop", description="described")
    assert get_service(world)["status"] == "ACTIVE"
    client.delete_service(name="shop")
    assert service_names(world) == []
