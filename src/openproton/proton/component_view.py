"""How a component reads on the wire (the model's Component and ComponentSummary)."""

from __future__ import annotations

from typing import Any

from openproton.protocol.serializer import Millis
from openproton.store import Scope

from .targets import component_arn

Row = dict[str, Any]


def component_wire(row: Row, *, summary: bool = False) -> dict[str, Any]:
    """[doc] List items drop description, serviceSpec and lastClientRequestToken; the manifest and the template
    file are never returned (the template file shows in deployment states)."""
    succeeded_at = row["last_deployment_succeeded_at"]
    wire: dict[str, Any] = {
        "arn": component_arn(Scope(row["account_id"], row["region"]), row["name"]),
        "createdAt": Millis(row["created_at"]),
        "deploymentStatus": row["deployment_status"],
        "deploymentStatusMessage": row["deployment_status_message"],
        "environmentName": row["environment_name"],
        "lastAttemptedDeploymentId": row["last_attempted_deployment_id"],
        "lastDeploymentAttemptedAt": Millis(row["last_deployment_attempted_at"]),
        # [decided] C-2: omitted until a deployment succeeds (the model does not require them).
        "lastDeploymentSucceededAt": Millis(succeeded_at) if succeeded_at is not None else None,
        "lastModifiedAt": Millis(row["last_modified_at"]),
        "lastSucceededDeploymentId": row["last_succeeded_deployment_id"],
        "name": row["name"],
        "serviceInstanceName": row["service_instance_name"],
        "serviceName": row["service_name"],
    }
    if not summary:
        wire["description"] = row["description"]
        wire["lastClientRequestToken"] = row["last_client_request_token"]
        wire["serviceSpec"] = row["spec"]
    return wire
