"""How services, their instances and pipelines read on the wire (the model's Service, ServiceInstance,
ServicePipeline and their summaries)."""

from __future__ import annotations

from typing import Any

from openproton.protocol.serializer import Millis
from openproton.store import Scope

from .deployment_view import deployed_members
from .targets import instance_arn, pipeline_arn, service_arn

Row = dict[str, Any]


def pipeline_wire(row: Row) -> dict[str, Any]:
    scope = Scope(row["account_id"], row["region"])
    return {"arn": pipeline_arn(scope, row["service_name"], row["id"]), "spec": row["spec"], **deployed_members(row)}


def instance_wire(row: Row, *, summary: bool = False) -> dict[str, Any]:
    scope = Scope(row["account_id"], row["region"])
    wire = {
        "arn": instance_arn(scope, row["service_name"], row["name"]),
        "environmentName": row["environment_name"],
        "name": row["name"],
        "serviceName": row["service_name"],
        **deployed_members(row),
    }
    if not summary:
        wire["spec"] = row["spec"]
        wire["lastClientRequestToken"] = row["last_client_request_token"]
    return wire


def service_wire(row: Row, pipeline: Row | None, *, summary: bool = False) -> dict[str, Any]:
    scope = Scope(row["account_id"], row["region"])
    wire: dict[str, Any] = {
        "arn": service_arn(scope, row["name"]),
        "createdAt": Millis(row["created_at"]),
        "description": row["description"],
        "lastModifiedAt": Millis(row["last_modified_at"]),
        "name": row["name"],
        "status": row["status"],
        "statusMessage": row["status_message"],
        "templateName": row["template_name"],
    }
    if not summary:
        wire.update(
            spec=row["spec"],
            pipeline=pipeline_wire(pipeline) if pipeline is not None else None,
            repositoryConnectionArn=row["repository_connection_arn"],
            repositoryId=row["repository_id"],
            branchName=row["branch_name"],
        )
    return wire
