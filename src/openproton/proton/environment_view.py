"""How an environment reads: its ARN, its wire shape, and what a deployment that ended makes of it."""

from __future__ import annotations

from typing import Any

from openproton.protocol.serializer import Millis
from openproton.store import Scope

from . import arns
from .deployments import DELETE_COMPLETE, ENVIRONMENT_TYPE, SUCCEEDED, environment_arn
from .errors import ResourceNotFoundException

RESOURCE_TYPE = ENVIRONMENT_TYPE

__all__ = ["RESOURCE_TYPE", "after_deployment", "environment_arn", "not_found", "to_wire"]


def not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested environment does not exist: {name}")


def _repository_arn(row: dict[str, Any]) -> str:
    return arns.build(
        row["region"], row["account_id"], "repository", f"{row['repository_provider'].lower()}:{row['repository_name']}"
    )


def to_wire(row: dict[str, Any], *, summary: bool = False) -> dict[str, Any]:
    """The model's Environment (or EnvironmentSummary)."""
    scope = Scope(row["account_id"], row["region"])
    wire: dict[str, Any] = {
        "arn": environment_arn(scope, row["name"]),
        "componentRoleArn": row["component_role_arn"],
        "createdAt": Millis(row["created_at"]),
        "deploymentStatus": row["deployment_status"],
        "deploymentStatusMessage": row["deployment_status_message"],
        "description": row["description"],
        "environmentAccountConnectionId": row["environment_account_connection_id"],
        "environmentAccountId": row["environment_account_id"],
        "lastAttemptedDeploymentId": row["last_attempted_deployment_id"],
        "lastDeploymentAttemptedAt": Millis(row["last_deployment_attempted_at"]),
        # [decided] D-7: until a deployment succeeds, the model's required member reads as the creation time.
        "lastDeploymentSucceededAt": Millis(row["last_deployment_succeeded_at"] or row["created_at"]),
        "lastSucceededDeploymentId": row["last_succeeded_deployment_id"],
        "name": row["name"],
        "protonServiceRoleArn": row["proton_service_role_arn"],
        "provisioning": row["provisioning"],
        "templateMajorVersion": str(row["template_major_version"]),
        "templateMinorVersion": str(row["template_minor_version"]),
        "templateName": row["template_name"],
    }
    if not summary:
        wire["codebuildRoleArn"] = row["codebuild_role_arn"]
        wire["spec"] = row["spec"]
        if row["repository_name"] is not None:
            wire["provisioningRepository"] = {
                "arn": _repository_arn(row),
                "branch": row["repository_branch"],
                "name": row["repository_name"],
                "provider": row["repository_provider"],
            }
    return wire


def after_deployment(environment: dict[str, Any], deployment: dict[str, Any]) -> dict[str, Any] | None:
    """The environment once `deployment` (its last attempted one) has ended; None when that deleted it."""
    status = deployment["status"]
    if status == DELETE_COMPLETE:
        return None
    ended = {**environment, "deployment_status": status, "deployment_status_message": deployment["status_message"]}
    if status == SUCCEEDED:  # [decided] D-13: the version and spec change only when the deployment succeeds
        ended.update(
            template_major_version=deployment["target_major_version"],
            template_minor_version=deployment["target_minor_version"],
            spec=deployment["target_spec"],
            last_deployment_succeeded_at=deployment["completed_at"],
            last_succeeded_deployment_id=deployment["id"],
        )
    return ended
