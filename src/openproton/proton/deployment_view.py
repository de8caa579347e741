"""How a deployment reads: its statuses, its ending as of a moment, its wire shape and what it produced."""

from __future__ import annotations

from typing import Any

import orjson

from openproton.protocol.serializer import Millis
from openproton.store import Scope
from openproton.store.deployments import UNDER_WAY

from . import arns
from .errors import ResourceNotFoundException
from .targets import KINDS, TargetKind

RESOURCE_TYPE = "deployment"

# What a deployment does to its target when it succeeds.
CREATE, UPDATE, DELETE = "CREATE", "UPDATE", "DELETE"

IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
CANCELLING = "CANCELLING"
CANCELLED = "CANCELLED"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
DELETE_COMPLETE = "DELETE_COMPLETE"
DELETE_FAILED = "DELETE_FAILED"
# [doc] The message a cancelled deployment reads.
CANCELLED_MESSAGE = "User initiated cancellation."

__all__ = ["UNDER_WAY"]

# (status while under way, outcome) -> the status it ends in.
_ENDINGS = {
    (IN_PROGRESS, SUCCEEDED): SUCCEEDED,
    (IN_PROGRESS, FAILED): FAILED,
    (DELETE_IN_PROGRESS, SUCCEEDED): DELETE_COMPLETE,
    (DELETE_IN_PROGRESS, FAILED): DELETE_FAILED,
    (CANCELLING, CANCELLED): CANCELLED,
    # [decided] P-17: a stack a cancel could not stop ends the deployment as it ends.
    (CANCELLING, SUCCEEDED): SUCCEEDED,
    (CANCELLING, FAILED): FAILED,
}


def as_of(row: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """The deployment as it reads at `now_ms`: ended if its outcome is due. Returns `row` itself if unchanged."""
    settles_at = row["settles_at"]
    if row["status"] not in UNDER_WAY or row["outcome"] is None or settles_at is None or now_ms < settles_at:
        return row
    return {
        **row,
        "status": _ENDINGS[row["status"], row["outcome"]],
        "status_message": row["outcome_message"],
        "completed_at": settles_at,
        "last_modified_at": max(settles_at, row["last_modified_at"]),
    }


def changed_columns(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The columns of `after` that differ from `before`: what an update must write."""
    return {key: value for key, value in after.items() if before[key] != value}


def deployment_arn(row: dict[str, Any]) -> str:
    return arns.build(row["region"], row["account_id"], RESOURCE_TYPE, row["id"])


def not_found(deployment_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested deployment does not exist: {deployment_id}")


def scope_of(row: dict[str, Any]) -> Scope:
    return Scope(row["account_id"], row["region"])


def to_wire(row: dict[str, Any], *, summary: bool = False) -> dict[str, Any]:
    """The model's Deployment (or DeploymentSummary), for every target type."""
    wire: dict[str, Any] = {
        "arn": deployment_arn(row),
        "completedAt": Millis(row["completed_at"]) if row["completed_at"] is not None else None,
        "componentName": row["component_name"],
        "createdAt": Millis(row["created_at"]),
        "deploymentStatus": row["status"],
        "environmentName": row["environment_name"],
        "id": row["id"],
        "lastAttemptedDeploymentId": row["previous_attempted_id"],
        "lastModifiedAt": Millis(row["last_modified_at"]),
        "lastSucceededDeploymentId": row["previous_succeeded_id"],
        "serviceInstanceName": row["service_instance_name"],
        "serviceName": row["service_name"],
        "targetArn": row["target_arn"],
        "targetResourceCreatedAt": Millis(row["target_resource_created_at"]),
        "targetResourceType": row["target_type"],
    }
    if not summary:
        wire["deploymentStatusMessage"] = row["status_message"]
        kind = KINDS[row["target_type"]]
        initial, target = kind.wire_state(row, "initial"), kind.wire_state(row, "target")
        wire["initialState"] = None if initial is None else {kind.state_key: initial}
        wire["targetState"] = None if target is None else {kind.state_key: target}
    return wire


def admin_view(row: dict[str, Any]) -> dict[str, Any]:
    """A deployment for the admin interface: the API's shape, plus whose it is, where, and what it produced."""
    wire = {key: value for key, value in to_wire(row).items() if value is not None}
    for key in ("completedAt", "createdAt", "lastModifiedAt", "targetResourceCreatedAt"):
        if key in wire:
            wire[key] = int(wire[key])
    return {
        **wire,
        "accountId": row["account_id"],
        "region": row["region"],
        # [decided] S-2: the account the target is provisioned in.
        "environmentAccountId": row["environment_account_id"],
        # [decided] P-8: what runs it (older deployments, started before provisioners, read as settle).
        "provisioner": row.get("provisioner") or "settle",
        "outputs": outputs_of(row),
        "provisionedResources": provisioned_resources_of(row),
    }


def outputs_of(row: dict[str, Any] | None) -> list[dict[str, Any]]:
    return orjson.loads(row["outputs"]) if row is not None else []


def provisioned_resources_of(row: dict[str, Any] | None) -> list[dict[str, Any]]:
    return orjson.loads(row["provisioned_resources"]) if row is not None else []


def merge_outputs(current: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outputs by key: a later value for a key replaces the earlier one; the order of first appearance stays."""
    merged = {item.get("key"): item for item in current}
    for item in new:
        merged[item.get("key")] = item
    return list(merged.values())


def deployed_members(row: dict[str, Any]) -> dict[str, Any]:
    """The wire members every deployed target shows of its version and its last deployments."""
    return {
        "createdAt": Millis(row["created_at"]),
        "deploymentStatus": row["deployment_status"],
        "deploymentStatusMessage": row["deployment_status_message"],
        "lastAttemptedDeploymentId": row["last_attempted_deployment_id"],
        "lastDeploymentAttemptedAt": Millis(row["last_deployment_attempted_at"]),
        # [decided] D-7: until a deployment succeeds, the model's required member reads as the creation time.
        "lastDeploymentSucceededAt": Millis(row["last_deployment_succeeded_at"] or row["created_at"]),
        "lastSucceededDeploymentId": row["last_succeeded_deployment_id"],
        "templateMajorVersion": str(row["template_major_version"]),
        "templateMinorVersion": str(row["template_minor_version"]),
        "templateName": row["template_name"],
    }


def started_mirror(now_ms: int) -> dict[str, Any]:
    """The mirror columns of a target row that is created with its first deployment (start() fills the id)."""
    return {
        "created_at": now_ms,
        "deployment_status": IN_PROGRESS,
        "deployment_status_message": None,
        "last_deployment_attempted_at": now_ms,
        "last_deployment_succeeded_at": None,
        "last_attempted_deployment_id": "",
        "last_succeeded_deployment_id": None,
    }


def after_deployment(kind: TargetKind, target: dict[str, Any], deployment: dict[str, Any]) -> dict[str, Any] | None:
    """The target once `deployment` (its last attempted one) has ended; None when that deleted it."""
    status = deployment["status"]
    if status == DELETE_COMPLETE:
        return None
    ended = {**target, "deployment_status": status, "deployment_status_message": deployment["status_message"]}
    if status == SUCCEEDED:  # [decided] D-13, C-2: the state changes only when the deployment succeeds
        ended.update(
            kind.succeeded(deployment),
            last_deployment_succeeded_at=deployment["completed_at"],
            last_succeeded_deployment_id=deployment["id"],
        )
    return ended
