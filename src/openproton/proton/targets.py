"""What a deployment can target: one description per target type, read by the one deployment mechanism.

Environments, service instances, service pipelines and components are each a row that mirrors its last
attempted deployment (deployment_status, last_attempted_deployment_id, ...) and carries the state in effect: the
template version and spec, or a component's attachment, spec and template file. A kind says where that row
lives, which of its columns a deployment changes, how a deployment names it, what its ARN is and how its states
read on the wire; deployments.py does the rest the same way for every kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from openproton.store import Scope
from openproton.store.tables import components, environments, service_instances, service_pipelines

from . import arns
from .errors import ResourceNotFoundException

Row = dict[str, Any]

ENVIRONMENT_TYPE = "environment"
SERVICE_TYPE = "service"
COMPONENT_TYPE = "component"

# (the target row's column, the stem of the deployment's initial_<stem> and target_<stem> columns)
State = tuple[tuple[str, str], ...]

# The state of a target on a template: its version and spec.
VERSIONED: State = (
    ("template_major_version", "major_version"),
    ("template_minor_version", "minor_version"),
    ("spec", "spec"),
)
# [decided] C-12: a component's state is its attachment, its serviceSpec and its template file.
COMPONENT_STATE: State = (
    ("service_name", "service_name"),
    ("service_instance_name", "service_instance_name"),
    ("spec", "spec"),
    ("template_file", "template_file"),
)
# Every deployment column a state can use: a deployment of one kind leaves the others' empty.
_STEMS = dict.fromkeys(stem for _, stem in VERSIONED + COMPONENT_STATE)
STATE_COLUMNS = tuple(f"{prefix}_{stem}" for prefix in ("initial", "target") for stem in _STEMS)


def versioned(major: int, minor: int, spec: str | None) -> dict[str, Any]:
    """The target state of a deployment to a template version (keys: the row's columns)."""
    return {"template_major_version": major, "template_minor_version": minor, "spec": spec}


def environment_arn(scope: Scope, name: str) -> str:
    return arns.build(scope.region, scope.account_id, ENVIRONMENT_TYPE, name)


def service_arn(scope: Scope, name: str) -> str:
    return arns.build(scope.region, scope.account_id, SERVICE_TYPE, name)


def instance_arn(scope: Scope, service_name: str, name: str) -> str:
    return arns.build(scope.region, scope.account_id, SERVICE_TYPE, f"{service_name}/service-instance/{name}")


def pipeline_arn(scope: Scope, service_name: str, pipeline_id: str) -> str:
    # [decided] S-1: the pipeline's id is a lowercase UUID4 fixed at creation.
    return arns.build(scope.region, scope.account_id, SERVICE_TYPE, f"{service_name}/pipeline/{pipeline_id}")


def component_arn(scope: Scope, name: str) -> str:
    return arns.build(scope.region, scope.account_id, COMPONENT_TYPE, name)


# -- how a deployment's states read (the model's DeploymentState members) -------------------------------------


def _versioned_state(row: Row, prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}_major_version"] is None:
        return None
    return {
        "spec": row[f"{prefix}_spec"],
        "templateMajorVersion": str(row[f"{prefix}_major_version"]),
        "templateMinorVersion": str(row[f"{prefix}_minor_version"]),
        "templateName": row["template_name"],
    }


def _instance_state(row: Row, prefix: str) -> dict[str, Any] | None:
    state = _versioned_state(row, prefix)
    if state is not None:
        state["lastSuccessfulEnvironmentDeploymentId"] = row["last_successful_environment_deployment_id"]
        state["lastSuccessfulServicePipelineDeploymentId"] = row["last_successful_pipeline_deployment_id"]
        component = row["last_successful_component_deployment_id"]
        if component is not None:  # [decided] C-14
            state["lastSuccessfulComponentDeploymentIds"] = [component]
    return state


def _component_state(row: Row, prefix: str) -> dict[str, Any] | None:
    # [decided] C-12: no initial state on create; names "" when detached; serviceSpec only when attached.
    if row[f"{prefix}_template_file"] is None:
        return None
    service_name = row[f"{prefix}_service_name"]
    state = {
        "serviceName": service_name or "",
        "serviceInstanceName": row[f"{prefix}_service_instance_name"] or "",
        "templateFile": row[f"{prefix}_template_file"],
    }
    if service_name:
        state["serviceSpec"] = row[f"{prefix}_spec"]
    return state


def _scope(row: Row) -> Scope:
    return Scope(row["account_id"], row["region"])


@dataclass(frozen=True, slots=True)
class TargetKind:
    type: str  # the model's DeploymentTargetResourceType
    state_key: str  # the DeploymentState member its states are
    noun: str  # as messages name it
    table: Table
    key_columns: tuple[str, ...]  # the row's key inside its scope
    # The deployment columns that name the target (environment_name, service_name, ...).
    names: Callable[[Row], dict[str, Any]]
    arn: Callable[[Row], str]
    state: State  # the row's columns a deployment changes when it succeeds
    wire_state: Callable[[Row, str], dict[str, Any] | None]  # a deployment's "initial" or "target" state

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

    def initial(self, row: Row) -> dict[str, Any]:
        """The target's state now, as a deployment records it (its initial_* columns)."""
        return {f"initial_{stem}": row[column] for column, stem in self.state}

    def target(self, state: dict[str, Any]) -> dict[str, Any]:
        """A state to deploy (keys: the row's columns) as a deployment records it (its target_* columns)."""
        return {f"target_{stem}": state[column] for column, stem in self.state}

    def succeeded(self, deployment: Row) -> dict[str, Any]:
        """The row's state columns once the deployment has succeeded."""
        return {column: deployment[f"target_{stem}"] for column, stem in self.state}


ENVIRONMENT = TargetKind(
    type="ENVIRONMENT",
    state_key="environment",
    noun="environment",
    table=environments,
    key_columns=("name",),
    names=lambda row: {"environment_name": row["name"], "service_name": None, "service_instance_name": None},
    arn=lambda row: environment_arn(_scope(row), row["name"]),
    state=VERSIONED,
    wire_state=_versioned_state,
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
    state=VERSIONED,
    wire_state=_instance_state,
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
    state=VERSIONED,
    wire_state=_versioned_state,
)

COMPONENT = TargetKind(
    type="COMPONENT",
    state_key="component",
    noun="component",
    table=components,
    key_columns=("name",),
    # [decided] C-12: the instance of the target state's attachment; the caller gives it when the deployment
    # starts (for a detach, the instance left).
    names=lambda row: {
        "environment_name": row["environment_name"],
        "component_name": row["name"],
        "service_name": row["service_name"],
        "service_instance_name": row["service_instance_name"],
    },
    arn=lambda row: component_arn(_scope(row), row["name"]),
    state=COMPONENT_STATE,
    wire_state=_component_state,
)

KINDS = {kind.type: kind for kind in (ENVIRONMENT, SERVICE_INSTANCE, SERVICE_PIPELINE, COMPONENT)}


def service_not_found(scope: Scope, name: str) -> ResourceNotFoundException:
    # [decided] S-4: the message names the ARN.
    return ResourceNotFoundException(f"The requested service does not exist: {service_arn(scope, name)}")


def instance_not_found(scope: Scope, service_name: str, name: str) -> ResourceNotFoundException:
    # [decided] S-4
    return ResourceNotFoundException(
        f"The requested service instance does not exist: {instance_arn(scope, service_name, name)}"
    )


def component_not_found(scope: Scope, name: str) -> ResourceNotFoundException:
    # As S-4: the message names the ARN.
    return ResourceNotFoundException(f"The requested component does not exist: {component_arn(scope, name)}")


def no_pipeline(service_name: str) -> ResourceNotFoundException:
    # [decided] S-4
    return ResourceNotFoundException(f"Service {service_name} has no pipeline")
