"""What a deployment can target: one description per target type, read by the one deployment mechanism.

Environments, service instances and service pipelines (and components next) are each a row that mirrors its
last attempted deployment (deployment_status, last_attempted_deployment_id, ...) and carries the template
version and spec in effect. A kind says where that row lives, how a deployment names it and what its ARN is;
deployments.py does the rest the same way for every kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from openproton.store import Scope
from openproton.store.tables import environments, service_instances, service_pipelines

from . import arns
from .errors import ResourceNotFoundException

Row = dict[str, Any]

ENVIRONMENT_TYPE = "environment"
SERVICE_TYPE = "service"


def environment_arn(scope: Scope, name: str) -> str:
    return arns.build(scope.region, scope.account_id, ENVIRONMENT_TYPE, name)


def service_arn(scope: Scope, name: str) -> str:
    return arns.build(scope.region, scope.account_id, SERVICE_TYPE, name)


def instance_arn(scope: Scope, service_name: str, name: str) -> str:
    return arns.build(scope.region, scope.account_id, SERVICE_TYPE, f"{service_name}/service-instance/{name}")


def pipeline_arn(scope: Scope, service_name: str, pipeline_id: str) -> str:
    # [decided] S-1: the pipeline's id is a lowercase UUID4 fixed at creation.
    return arns.build(scope.region, scope.account_id, SERVICE_TYPE, f"{service_name}/pipeline/{pipeline_id}")


def _scope(row: Row) -> Scope:
    return Scope(row["account_id"], row["region"])


@dataclass(frozen=True, slots=True)
class TargetKind:
    type: str  # the model's DeploymentTargetResourceType
    state_key: str  # the DeploymentState member its states are
    noun: str  # as messages name it
    table: Table
    key_columns: tuple[str, ...]  # the row's key inside its scope
    # The deployment columns that name the target (environment_name, service_name, service_instance_name).
    names: Callable[[Row], dict[str, Any]]
    arn: Callable[[Row], str]

    def key(self, row: Row) -> dict[str, Any]:
        return {"account_id": row["account_id"], "region": row["region"], **{c: row[c] for c in self.key_columns}}

    def label(self, row: Row) -> str:
        """The target as messages name it: `environment dev`, `service instance shop-dev of service shop`,
        `the pipeline of service shop`."""
        if self.type == "SERVICE_INSTANCE":
            return f"{self.noun} {row['name']} of service {row['service_name']}"
        if self.type == "SERVICE_PIPELINE":
            return f"the pipeline of service {row['service_name']}"
        return f"{self.noun} {row['name']}"


ENVIRONMENT = TargetKind(
    type="ENVIRONMENT",
    state_key="environment",
    noun="environment",
    table=environments,
    key_columns=("name",),
    names=lambda row: {"environment_name": row["name"], "service_name": None, "service_instance_name": None},
    arn=lambda row: environment_arn(_scope(row), row["name"]),
)

SERVICE_INSTANCE = TargetKind(
    type="SERVICE_INSTANCE",
    state_key="serviceInstance",
    noun="service instance",
    table=service_instances,
    key_columns=("service_name", "name"),
    names=lambda row: {
        "environment_name": row["environment_name"],
        "service_name": row["service_name"],
        "service_instance_name": row["name"],
    },
    arn=lambda row: instance_arn(_scope(row), row["service_name"], row["name"]),
)

SERVICE_PIPELINE = TargetKind(
    type="SERVICE_PIPELINE",
    state_key="servicePipeline",
    noun="service pipeline",
    table=service_pipelines,
    key_columns=("service_name",),
    # environment_name: [decided] S-25, given when the deployment starts.
    names=lambda row: {"service_name": row["service_name"], "service_instance_name": None},
    arn=lambda row: pipeline_arn(_scope(row), row["service_name"], row["id"]),
)

KINDS = {kind.type: kind for kind in (ENVIRONMENT, SERVICE_INSTANCE, SERVICE_PIPELINE)}


def service_not_found(scope: Scope, name: str) -> ResourceNotFoundException:
    # [decided] S-4: the message names the ARN.
    return ResourceNotFoundException(f"The requested service does not exist: {service_arn(scope, name)}")


def instance_not_found(scope: Scope, service_name: str, name: str) -> ResourceNotFoundException:
    # [decided] S-4
    return ResourceNotFoundException(
        f"The requested service instance does not exist: {instance_arn(scope, service_name, name)}"
    )


def no_pipeline(service_name: str) -> ResourceNotFoundException:
    # [decided] S-4
    return ResourceNotFoundException(f"Service {service_name} has no pipeline")
