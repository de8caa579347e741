"""Directly defined components (components.md): Create, Get, List, Update, Delete, Cancel, and their products.

A component is the fourth target type of the one deployment mechanism (targets.COMPONENT): its deployments
record its attachment, serviceSpec and template file, and change the component only when they succeed
([decided] C-2). What joins it to environments, instances and connections is asked of relations.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from itertools import islice
from typing import Any

from openproton import decided
from openproton.store import components as store

from . import arns, component_manifest, paging
from .call import Call
from .component_view import component_wire
from .deployment_view import (
    CANCELLING,
    CREATE,
    DELETE,
    DELETE_FAILED,
    DELETE_IN_PROGRESS,
    IN_PROGRESS,
    UPDATE,
    outputs_of,
    provisioned_resources_of,
    started_mirror,
)
from .environment_rules import NONE
from .environment_view import not_found as environment_not_found
from .errors import ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException
from .idempotency import ClientTokens
from .service_deployments import ServiceParts
from .service_templates import no_directly_defined, supports_directly_defined
from .tagging import Tags
from .targets import COMPONENT, COMPONENT_TYPE, Row, component_not_found, instance_not_found

RESOURCE_TYPE = COMPONENT_TYPE
CURRENT_VERSION = "CURRENT_VERSION"
# [doc] IN_PROGRESS; [decided] C-9: the other statuses of a deployment under way.
BUSY = (IN_PROGRESS, CANCELLING, DELETE_IN_PROGRESS)
# What UpdateComponent with NONE may carry besides the description ([doc]; SDKs fill in clientToken).
_NONE_MEMBERS = frozenset({"name", "deploymentType", "description", "clientToken"})

Attachment = tuple[str, str] | None  # (service name, instance name), or None: detached


class Components:
    def __init__(self, quota: int, parts: ServiceParts, tokens: ClientTokens, tags: Tags) -> None:
        self.quota = quota
        self.parts = parts
        self.deployments = parts.deployments
        self.relations = parts.relations
        self.tokens = tokens
        self.tags = tags

    # -- reading, as of the call's time ---------------------------------------------------------------------

    def _current(self, call: Call, name: str) -> tuple[Row | None, Row | None]:
        if call.write:
            self.deployments.lock_scope(call)
        row = store.get(call.tx, call.scope, name)
        return (None, None) if row is None else self.deployments.current(call, COMPONENT, row)

    def find(self, call: Call, name: str) -> Row | None:
        """The component as it reads now, or None (for the deployment operations' names)."""
        return self._current(call, name)[0]

    def _load(self, call: Call, name: str) -> tuple[Row, Row | None]:
        component, deployment = self._current(call, name)
        if component is None:
            raise component_not_found(call.scope, name)
        return component, deployment

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"component": component_wire(self._load(call, params["name"])[0])}

    # -- create ---------------------------------------------------------------------------------------------

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["name"]
        attachment = _attachment(params.get("serviceName"), params.get("serviceInstanceName"))
        if attachment is None and params.get("serviceSpec") is not None:
            raise ValidationException("serviceSpec is only for a component attached to a service instance.")
        if attachment is None and params.get("environmentName") is None:
            raise ValidationException("A component that is not attached to a service instance needs environmentName.")
        new_tags = self.tags.check_new(params.get("tags") or [])
        self.deployments.lock_scope(call)
        # [decided] C-7: a retry within the token's lifetime answers the component as it reads now.
        replayed = self.tokens.replay(call, params)
        if replayed is not None:
            component = self.find(call, replayed)
            if component is not None:
                return {"component": component_wire(component)}
        if self.find(call, name) is not None:
            raise ConflictException(f"Component {name} already exists")  # [decided] C-7
        if attachment is not None:
            environment_name = self._check_attachment(call, name, attachment, params.get("environmentName"))
        else:
            environment_name = params["environmentName"]
            if self.relations.environment(call, environment_name) is None:
                raise environment_not_found(environment_name)  # [decided] C-3
        environment = self._deployable(call, environment_name)
        self.relations.component_role(call, environment)
        self_managed = environment["repository_name"] is not None
        component_manifest.check(params["manifest"], self_managed=self_managed)
        if store.count(call.tx, call.scope) >= self.quota and self._count(call) >= self.quota:
            raise ServiceQuotaExceededException(
                f"Account {call.account_id} already has {self.quota} components in {call.region}, the most it may have."
            )
        component: Row = {
            "account_id": call.account_id,
            "region": call.region,
            "name": name,
            "environment_name": environment_name,
            "description": params.get("description"),
            # [decided] C-2: the creating request until a deployment succeeds.
            "service_name": attachment and attachment[0],
            "service_instance_name": attachment and attachment[1],
            "spec": params.get("serviceSpec"),
            "template_file": params["templateFile"],
            "manifest": params["manifest"],
            "last_client_request_token": params.get("clientToken") or None,
            "last_modified_at": call.now_ms,
            **started_mirror(call.now_ms),
        }
        self._start(call, component, CREATE, _state_of(component), environment)
        store.insert(call.tx, component)
        self.tags.put(call, COMPONENT.arn(component), new_tags)
        self.tokens.remember(call, params, name)
        return {"component": component_wire(component)}

    def _count(self, call: Call) -> int:
        """The components that read as existing now (a deletion that ended frees its place)."""
        rows = store.all_in_scope(call.tx, call.scope)
        return sum(1 for row in rows if self.deployments.current(call, COMPONENT, row)[0] is not None)

    def _check_attachment(self, call: Call, name: str, attachment: tuple[str, str], environment: str | None) -> str:
        """[doc] Create's checks 3 on the instance a component is to be attached to; returns its environment."""
        service_name, instance_name = attachment
        instance, deployment = self.parts.instance(call, service_name, instance_name)
        if instance is None:
            raise instance_not_found(call.scope, service_name, instance_name)
        label = f"{service_name}/{instance_name}"
        if instance["deployment_status"] in (DELETE_IN_PROGRESS, DELETE_FAILED):
            raise ValidationException(
                f"Service instance {label} is {instance['deployment_status']}; no component can be attached to it"
            )
        if environment is not None and environment != instance["environment_name"]:
            raise ValidationException(
                f"Service instance {label} is in environment {instance['environment_name']}, not {environment}"
            )
        self.check_supports_components(
            call, instance, instance["template_major_version"], instance["template_minor_version"]
        )
        other = self.relations.component_of_instance(call, instance)
        if other is not None and other[0]["name"] != name:
            raise ConflictException(f"Service instance {label} already has an attached component {other[0]['name']}")
        if deployment is not None or instance["deployment_status"] in BUSY:
            # [doc] IN_PROGRESS, [decided] C-9
            raise ConflictException(
                f"Service instance {label} has a deployment {instance['deployment_status']}; wait for it to end "
                "before attaching a component to it."
            )
        return str(instance["environment_name"])

    def check_supports_components(self, call: Call, instance: Row, major: int, minor: int) -> None:
        """[doc] The instance's version (the one it shows, or the one it is to move to) admits components."""
        template = instance["template_name"]
        version = self.parts.templates.version(call, template, str(major), str(minor))
        if not supports_directly_defined(version.row):
            raise no_directly_defined(template, major, minor)

    def _deployable(self, call: Call, environment_name: str) -> Row:
        environment = self.relations.environment(call, environment_name)
        if environment is None or not self.relations.deployable_environment(environment):
            raise ValidationException(f"Environment {environment_name} is not deployed")  # [decided] C-4
        return environment

    def _start(self, call: Call, component: Row, action: str, target: Row, environment: Row | None) -> Row:
        """Start a deployment of the component (changed in place) where its environment places it."""
        if environment is None:
            environment = self.relations.environment(call, component["environment_name"])
        placement = (
            self.relations.placement(call, environment, what=f"component {component['name']}")
            if environment is not None
            else None
        )
        # [decided] C-12: the deployment names the target state's attachment; a detach, the instance it leaves.
        attached = target["service_name"] is not None
        source = target if attached else component
        deployment_id = str(uuid.uuid4())
        fails_now = placement.fails_now if placement else None
        # [decided] P-8: the manifest's method provisions it when `--provisioners` lists it.
        prepared = (
            self.parts.renderer.prepare_component(call, component, deployment_id, action, target)
            if fails_now is None
            else None
        )
        return self.deployments.start(
            call,
            COMPONENT,
            component,
            deployment_id,
            action,
            target,
            self_managed=placement is not None and placement.self_managed,
            environment_account_id=placement.account_id if placement else call.account_id,
            fails_now=fails_now or (prepared.failure if prepared is not None else None),
            names={"service_name": source["service_name"], "service_instance_name": source["service_instance_name"]},
            prepared=prepared,
        )

    # -- update ---------------------------------------------------------------------------------------------

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["name"]
        component, deployment = self._load(call, name)
        kind = params["deploymentType"]
        if kind == NONE:
            extra = sorted(
                member for member, value in params.items() if member not in _NONE_MEMBERS and value is not None
            )
            if extra:
                raise ValidationException(
                    f"UpdateComponent with deploymentType NONE changes only the description; it takes no "
                    f"{', '.join(extra)}."
                )
        given = (params.get("serviceName"), params.get("serviceInstanceName"))
        if (given[0] is None) != (given[1] is None) or (given[0] == "") != (given[1] == ""):
            raise ValidationException(
                "Give both serviceName and serviceInstanceName, both empty to detach, or neither."
            )
        self._check_not_busy(call, component, deployment)
        changes: dict[str, Any] = {
            "last_modified_at": max(call.now_ms, component["last_modified_at"] + decided.LAST_MODIFIED_MIN_STEP_MS)
        }
        if "description" in params:
            changes["description"] = params["description"]
        if params.get("clientToken"):
            changes["last_client_request_token"] = params["clientToken"]
        updated = {**component, **changes}
        if kind != NONE:
            target, environment = self._update_target(call, component, params, given)
            self.relations.component_role(call, environment)
            self._start(call, updated, UPDATE, target, environment)
        store.update(call.tx, call.scope, name, {k: v for k, v in updated.items() if component[k] != v})
        return {"component": component_wire(updated)}

    def _check_not_busy(self, call: Call, component: Row, deployment: Row | None) -> None:
        """[doc] IN_PROGRESS, [decided] C-9: nothing changes while the component's own deployment or its
        instance's is under way."""
        name = component["name"]
        status = component["deployment_status"]
        if deployment is not None or status in BUSY:
            raise ConflictException(
                f"Component {name} has a deployment {status}; wait for it to end before updating it."
            )
        if status == DELETE_FAILED:
            raise ConflictException(f"Component {name} is DELETE_FAILED; it can only be deleted.")
        if component["service_name"] is not None:
            self._check_instance_not_busy(call, name, (component["service_name"], component["service_instance_name"]))

    def _check_instance_not_busy(self, call: Call, name: str, attachment: tuple[str, str]) -> None:
        instance, deployment = self.parts.instance(call, *attachment)
        if instance is not None and (deployment is not None or instance["deployment_status"] in BUSY):
            raise ConflictException(
                f"Service instance {attachment[0]}/{attachment[1]} of component {name} has a deployment "
                f"{instance['deployment_status']}; wait for it to end before updating the component."
            )

    def _update_target(
        self, call: Call, component: Row, params: dict[str, Any], given: tuple[str | None, str | None]
    ) -> tuple[Row, Row]:
        """[decided] C-8: the state a CURRENT_VERSION update deploys, and the component's environment."""
        name = component["name"]
        current: Attachment = (
            (component["service_name"], component["service_instance_name"]) if component["service_name"] else None
        )
        if given[0] is None:
            attachment = current
        elif given[0] == "":
            attachment = None
        else:
            attachment = (given[0], str(given[1]))
            if current is not None and attachment != current:
                raise ConflictException(f"Component {name} is attached to {current[0]}/{current[1]}; detach it first")
            if current is None:
                self._attach_in_place(call, component, attachment)
        if attachment is None and params.get("serviceSpec") is not None:
            raise ValidationException(
                f"Component {name} is not attached to a service instance; it takes no serviceSpec."
            )
        environment = self._deployable(call, component["environment_name"])
        spec = params.get("serviceSpec") if params.get("serviceSpec") is not None else component["spec"]
        target = {
            "service_name": attachment and attachment[0],
            "service_instance_name": attachment and attachment[1],
            "spec": spec if attachment is not None else None,
            "template_file": params.get("templateFile") or component["template_file"],
        }
        return target, environment

    def _attach_in_place(self, call: Call, component: Row, attachment: tuple[str, str]) -> None:
        """Attaching a detached component: create's checks, with the instance in the component's environment."""
        service_name, instance_name = attachment
        instance, _ = self.parts.instance(call, service_name, instance_name)
        if instance is not None and instance["environment_name"] != component["environment_name"]:
            raise ValidationException(
                f"Component {component['name']} is in environment {component['environment_name']}; service instance "
                f"{service_name}/{instance_name} is in {instance['environment_name']}"
            )
        self._check_attachment(call, component["name"], attachment, component["environment_name"])

    # -- delete and cancel ---------------------------------------------------------------------------------------

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        component, _ = self._load(call, params["name"])
        name, status = component["name"], component["deployment_status"]
        if status == DELETE_IN_PROGRESS:
            return {"component": component_wire(component)}  # [decided] C-10: a repeat returns it
        if component["service_name"] is not None:
            raise ConflictException(
                f"Component {name} is attached to service instance {component['service_name']}/"
                f"{component['service_instance_name']}; detach it before deleting"
            )
        if status in BUSY:
            # As [decided] D-3
            raise ConflictException(
                f"Component {name} has a deployment {status}; wait for it to end or cancel it before deleting."
            )
        deleting = {**component, "last_modified_at": max(call.now_ms, component["last_modified_at"])}
        self._start(call, deleting, DELETE, _state_of(component), None)  # [decided] C-12: its current state
        store.update(call.tx, call.scope, name, {k: v for k, v in deleting.items() if component[k] != v})
        return {"component": component_wire(deleting)}

    def cancel(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        component, deployment = self._load(call, params["componentName"])
        # [doc] only a deployment UpdateComponent started; [decided] C-11 as D-2
        cancelled = self.deployments.cancel(call, COMPONENT, component, deployment, updates_only=True)
        return {"component": component_wire(cancelled)}

    # -- what deployments produced ----------------------------------------------------------------------------

    def list_outputs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        component, _ = self._load(call, params["componentName"])
        produced = self.deployments.produced_by(call, COMPONENT, component, params.get("deploymentId"))
        return {"outputs": outputs_of(produced)}

    def list_provisioned_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        component, _ = self._load(call, params["componentName"])
        produced = self.deployments.produced_by(call, COMPONENT, component, None)
        return {"provisionedResources": provisioned_resources_of(produced)}

    # -- list ([decided] C-16) ------------------------------------------------------------------------------

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        environment_name = params.get("environmentName")
        service_name, instance_name = params.get("serviceName"), params.get("serviceInstanceName")
        if instance_name is not None and service_name is None:
            raise ValidationException("serviceInstanceName needs serviceName: an instance is named within its service.")
        query = paging.query_key(
            "ListComponents", call.account_id, call.region, environment_name, service_name, instance_name
        )
        position = paging.decode(params.get("nextToken"), query, (str,))
        limit = paging.page_size(params)

        def matches(component: Row) -> bool:
            return (
                (environment_name is None or component["environment_name"] == environment_name)
                and (service_name is None or component["service_name"] == service_name)
                and (instance_name is None or component["service_instance_name"] == instance_name)
            )

        listed = (c for c in self._listed(call, position[0] if position else "", batch=limit + 1) if matches(c))
        page = list(islice(listed, limit))
        result: dict[str, Any] = {"components": [component_wire(c, summary=True) for c in page]}
        if len(page) == limit and next(listed, None) is not None:
            result["nextToken"] = paging.encode(query, [page[-1]["name"]])
        return result

    def _listed(self, call: Call, after: str, *, batch: int) -> Iterator[Row]:
        while True:
            rows = store.page(call.tx, call.scope, after=after, limit=batch)
            for row in rows:
                component = self.deployments.current(call, COMPONENT, row)[0]
                if component is not None:
                    yield component
            if len(rows) < batch:
                return
            after = rows[-1]["name"]

    # -- tagging --------------------------------------------------------------------------------------------

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        """Components are tagged by their owner (the management account), as services are."""
        if arn.account_id != call.account_id or self.find(call, resource_id) is None:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")


def _attachment(service_name: str | None, instance_name: str | None) -> Attachment:
    """[doc] serviceName and serviceInstanceName come both or neither."""
    if (service_name is None) != (instance_name is None):
        raise ValidationException("Give both serviceName and serviceInstanceName to attach a component, or neither.")
    return None if service_name is None or instance_name is None else (service_name, instance_name)


def _state_of(component: Row) -> Row:
    """The component's state now, as a deployment's target (keys: its row's columns)."""
    return {column: component[column] for column, _ in COMPONENT.state}
