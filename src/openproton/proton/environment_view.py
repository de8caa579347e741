"""How an environment reads: its ARN and its wire shape."""

from __future__ import annotations

from typing import Any

from openproton.store import Scope

from . import arns
from .deployment_view import deployed_members
from .errors import ResourceNotFoundException
from .targets import ENVIRONMENT_TYPE, environment_arn

RESOURCE_TYPE = ENVIRONMENT_TYPE

__all__ = ["RESOURCE_TYPE", "environment_arn", "not_found", "repository_view", "to_wire"]


def not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested environment does not exist: {name}")


def repository_view(row: dict[str, Any]) -> dict[str, Any] | None:
    """The model's RepositoryBranch of a row with repository_provider, _name and _branch, or None."""
    if row["repository_name"] is None:
        return None
    return {
        "arn": arns.build(
            row["region"],
            row["account_id"],
            "repository",
            f"{row['repository_provider'].lower()}:{row['repository_name']}",
        ),
        "branch": row["repository_branch"],
        "name": row["repository_name"],
        "provider": row["repository_provider"],
    }


def to_wire(row: dict[str, Any], *, summary: bool = False) -> dict[str, Any]:
    """The model's Environment (or EnvironmentSummary)."""
    scope = Scope(row["account_id"], row["region"])
    wire: dict[str, Any] = {
        "arn": environment_arn(scope, row["name"]),
        "componentRoleArn": row["component_role_arn"],
        "description": row["description"],
        "environmentAccountConnectionId": row["environment_account_connection_id"],
        "environmentAccountId": row["environment_account_id"],
        "name": row["name"],
        "protonServiceRoleArn": row["proton_service_role_arn"],
        "provisioning": row["provisioning"],
        **deployed_members(row),
    }
    if not summary:
        wire["codebuildRoleArn"] = row["codebuild_role_arn"]
        wire["spec"] = row["spec"]
        wire["provisioningRepository"] = repository_view(row)
    return wire
