"""Account settings (services.md): the roles and repository service pipelines are provisioned with."""

from __future__ import annotations

from typing import Any

from openproton.store import services as store

from .call import Call
from .environment_view import repository_view
from .errors import ValidationException
from .relations import Relations

# [decided] S-23: the observed wording.
NO_PIPELINE_ROLES = "Operation cannot be run until pipeline roles have been configured"


def can_run_pipelines(settings: dict[str, Any]) -> bool:
    """[decided] S-23: a pipeline deployment needs a role or the pipeline provisioning repository."""
    return any(
        settings[column] is not None
        for column in ("pipeline_service_role_arn", "pipeline_codebuild_role_arn", "repository_name")
    )


def pipelines_self_managed(settings: dict[str, Any]) -> bool:
    """[decided] S-24: the repository and neither role: the only setting a self-managed pipeline can use."""
    return (
        settings["repository_name"] is not None
        and settings["pipeline_service_role_arn"] is None
        and settings["pipeline_codebuild_role_arn"] is None
    )


def to_wire(settings: dict[str, Any], call: Call) -> dict[str, Any]:
    return {
        "pipelineCodebuildRoleArn": settings["pipeline_codebuild_role_arn"],
        "pipelineProvisioningRepository": repository_view(
            {**settings, "account_id": call.account_id, "region": call.region}
        ),
        "pipelineServiceRoleArn": settings["pipeline_service_role_arn"],
    }


class AccountSettings:
    def __init__(self, relations: Relations) -> None:
        self.relations = relations

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        # [decided] S-22: the configured members, `{}` at first; never ResourceNotFoundException.
        return {"accountSettings": to_wire(self.relations.account_settings(call), call)}

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        repository = params.get("pipelineProvisioningRepository")
        if params.get("deletePipelineProvisioningRepository") and repository is not None:
            raise ValidationException(
                "Give pipelineProvisioningRepository or deletePipelineProvisioningRepository, not both."
            )
        self.relations.check_linked(call, repository)
        changes: dict[str, Any] = {}
        for member, column in (
            ("pipelineServiceRoleArn", "pipeline_service_role_arn"),
            ("pipelineCodebuildRoleArn", "pipeline_codebuild_role_arn"),
        ):
            if member in params:
                changes[column] = params[member] or None  # [doc] "" clears a role
        if repository is not None:
            changes.update(
                repository_provider=repository["provider"],
                repository_name=repository["name"],
                repository_branch=repository["branch"],
            )
        elif params.get("deletePipelineProvisioningRepository"):
            changes.update(repository_provider=None, repository_name=None, repository_branch=None)
        if changes:
            store.put_settings(call.tx, call.scope, changes)
        return {"accountSettings": to_wire(self.relations.account_settings(call), call)}
