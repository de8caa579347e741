"""GetDeployment, ListDeployments, DeleteDeployment and NotifyResourceDeploymentStatusChange, for every target.

These operations name targets by the families' own names (environmentName, serviceName, ...), so they are
built last, with a finder per family: the resource of that name as it reads now, or None.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openproton.store import Scope
from openproton.store import bundles as render_store
from openproton.store import deployments as store

from . import arns, paging
from .call import Call
from .deployment_view import UNDER_WAY, as_of, deployment_arn, not_found, to_wire
from .deployments import Deployments, belongs, kind_of
from .environment_view import not_found as environment_not_found
from .errors import ResourceNotFoundException, ValidationException
from .tagging import Tags
from .targets import (
    COMPONENT,
    COMPONENT_TYPE,
    ENVIRONMENT,
    SERVICE_INSTANCE,
    SERVICE_PIPELINE,
    Row,
    TargetKind,
    component_not_found,
    instance_not_found,
)
from .targets import service_not_found as service_not_found_error

RESOURCE_TYPE = "deployment"


@dataclass(frozen=True, slots=True)
class Finders:
    """The resources deployments name, as they read now (None: there is none)."""

    environment: Callable[[Call, str], Row | None]
    service: Callable[[Call, str], Row | None]
    instance: Callable[[Call, str, str], Row | None]
    pipeline: Callable[[Call, str], Row | None]
    component: Callable[[Call, str], Row | None]


class DeploymentRecords:
    def __init__(self, deployments: Deployments, finders: Finders, tags: Tags) -> None:
        self.deployments = deployments
        self.find = finders
        self.tags = tags

    def load(self, call: Call, deployment_id: str) -> dict[str, Any]:
        row = store.get(call.tx, call.scope, deployment_id)
        if row is None:
            raise not_found(deployment_id)
        return as_of(row, call.now_ms)

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _instance_needs_service(params)
        row = self.load(call, params["id"])
        # [decided] S-26: each name given must be the deployment's.
        for member, column in _NAMED:
            if params.get(member) is not None and params[member] != row.get(column):
                raise not_found(params["id"])
        return {"deployment": to_wire(row)}

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _instance_needs_service(params)
        filters = self._filters(call, params)
        query = paging.query_key("ListDeployments", call.account_id, call.region, sorted(filters.items()))
        position = paging.decode(params.get("nextToken"), query, (int, str))
        limit = paging.page_size(params)
        # [decided] D-9: newest first.
        rows = store.page(
            call.tx,
            call.scope,
            filters=filters,
            before=(position[0], position[1]) if position else None,
            limit=limit + 1,
        )
        page = [as_of(row, call.now_ms) for row in rows[:limit]]
        result: dict[str, Any] = {"deployments": [to_wire(row, summary=True) for row in page]}
        if len(rows) > limit:
            result["nextToken"] = paging.encode(query, [page[-1]["created_at"], page[-1]["id"]])
        return result

    def _filters(self, call: Call, params: dict[str, Any]) -> dict[str, tuple[str, int]]:
        """[decided] S-26: each filter names a resource that exists now; its deployments since it was created."""
        service = params.get("serviceName")
        # member, the deployment column it filters, the resource of that name now, the error when there is none
        named: list[tuple[str, str, Callable[[str], Row | None], Callable[[str], Exception]]] = [
            ("environmentName", "environment_name", lambda n: self.find.environment(call, n), environment_not_found),
            (
                "serviceName",
                "service_name",
                lambda n: self.find.service(call, n),
                lambda n: service_not_found_error(call.scope, n),
            ),
            (
                "serviceInstanceName",  # with serviceName (_instance_needs_service)
                "service_instance_name",
                lambda n: self.find.instance(call, str(service), n),
                lambda n: instance_not_found(call.scope, str(service), n),
            ),
            (
                "componentName",
                "component_name",
                lambda n: self.find.component(call, n),
                lambda n: component_not_found(call.scope, n),
            ),
        ]
        filters: dict[str, tuple[str, int]] = {}
        for member, column, find, missing in named:
            name = params.get(member)
            if name is None:
                continue
            resource = find(name)
            if resource is None:
                raise missing(name)
            filters[column] = (name, resource["created_at"])
        return filters

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self.deployments.lock_scope(call)
        row = self.load(call, params["id"])
        if row["status"] in UNDER_WAY:
            # [decided] D-10 (the model gives DeleteDeployment no ConflictException)
            raise ValidationException(
                f"Deployment {row['id']} is {row['status']}; only a deployment that has ended can be deleted."
            )
        kind = kind_of(row)
        target = self._target(call, kind, row)
        if (
            target is not None
            and belongs(row, kind, target)
            and row["id"] in (target["last_attempted_deployment_id"], target["last_succeeded_deployment_id"])
        ):
            # [decided] D-10
            raise ValidationException(
                f"Deployment {row['id']} is the latest deployment of {kind.label(target)} and cannot be deleted."
            )
        store.delete(call.tx, row["id"])
        render_store.delete_render(call.tx, call.scope, row["id"])  # [decided] P-6: its files go with it
        self.tags.drop(call, deployment_arn(row))
        return {"deployment": to_wire(row)}

    def _target(self, call: Call, kind: TargetKind, deployment: Row) -> Row | None:
        if kind is ENVIRONMENT:
            return self.find.environment(call, deployment["environment_name"])
        if kind is SERVICE_INSTANCE:
            return self.find.instance(call, deployment["service_name"], deployment["service_instance_name"])
        if kind is COMPONENT:
            return self.find.component(call, deployment["component_name"])
        return self.find.pipeline(call, deployment["service_name"])

    # -- NotifyResourceDeploymentStatusChange ------------------------------------------------------------

    def notify(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[decided] S-27 and S-3 (superseding D-11), C-13: an environment, instance, pipeline or component
        deployment reports how it went."""
        resource_arn = params["resourceArn"]
        arn = arns.parse(resource_arn)
        if arn is None:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_arn}")
        if arn.region != call.region:
            raise _missing(call, arn)
        # The target lives in its owner's scope; S-3 also admits the account its environment is provisioned in.
        owner = dataclasses.replace(call, scope=Scope(arn.account_id, arn.region))
        kind, target, environment_account = self._notified(owner, arn)
        if target is None or call.account_id not in (arn.account_id, environment_account):
            # Answered as for a missing resource of the caller's own, naming no account's data.
            raise _missing(call, arn)
        self.deployments.lock_scope(owner)
        current, deployment = self.deployments.current(owner, kind, target)
        if current is None:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_arn}")
        self.deployments.notify(owner, kind, current, deployment, params)
        return {}

    def _notified(self, call: Call, arn: arns.ProtonArn) -> tuple[TargetKind, Row | None, str | None]:
        if arn.resource_type == "environment":
            environment = self.find.environment(call, arn.resource_id)
            return ENVIRONMENT, environment, environment and environment["environment_account_id"]
        if arn.resource_type == "service":
            service_name, _, rest = arn.resource_id.partition("/")
            part, _, name = rest.partition("/")
            if part == "service-instance" and name and "/" not in name:
                instance = self.find.instance(call, service_name, name)
                environment = instance and self.find.environment(call, instance["environment_name"])
                return SERVICE_INSTANCE, instance, environment and environment["environment_account_id"]
            if part == "pipeline" and name:
                pipeline = self.find.pipeline(call, service_name)
                if pipeline is not None and pipeline["id"] != name:
                    pipeline = None
                return SERVICE_PIPELINE, pipeline, None
        if arn.resource_type == COMPONENT_TYPE:
            # [decided] C-13: from the owner only, wherever the component is provisioned.
            return COMPONENT, self.find.component(call, arn.resource_id), None
        return ENVIRONMENT, None, None

    # -- tagging -------------------------------------------------------------------------------------------

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        if arn.account_id != call.account_id:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
        if call.write:  # so that a tag cannot land on a deployment being deleted
            self.deployments.lock_scope(call)
        self.load(call, resource_id)


# GetDeployment's names and the deployment columns they must equal.
_NAMED = (
    ("environmentName", "environment_name"),
    ("serviceName", "service_name"),
    ("serviceInstanceName", "service_instance_name"),
    ("componentName", "component_name"),
)


def _missing(call: Call, arn: arns.ProtonArn) -> ResourceNotFoundException:
    """As for a resource of that name missing in the caller's own account: the answer names no other account."""
    if arn.resource_type == "environment":
        return environment_not_found(arn.resource_id)
    own = arns.build(call.region, call.account_id, arn.resource_type, arn.resource_id)
    return ResourceNotFoundException(f"The requested resource does not exist: {own}")


def _instance_needs_service(params: dict[str, Any]) -> None:
    if params.get("serviceInstanceName") is not None and params.get("serviceName") is None:
        # [decided] S-26
        raise ValidationException("serviceInstanceName needs serviceName: an instance is named within its service.")
