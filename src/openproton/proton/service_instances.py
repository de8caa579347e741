"""Service instances (services.md): Create, Get, List, Update, Cancel, and what their deployments produced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from openproton.store import services as store

from . import paging, service_specs
from .call import Call
from .deployment_view import CREATE, DELETE_FAILED, UNDER_WAY, UPDATE, outputs_of, provisioned_resources_of
from .environment_rules import NONE, update_target
from .errors import ConflictException, ValidationException
from .idempotency import ClientTokens, digest
from .service_deployments import SERVICE_BUSY, ServiceParts, busy, conflict
from .service_templates import no_directly_defined, supports_directly_defined
from .service_view import instance_wire
from .services import Services
from .sync_blockers import ManualChanges, creation_reason, update_reason
from .tagging import Tags
from .targets import SERVICE_INSTANCE, Row, instance_not_found, service_arn


class ServiceInstances:
    def __init__(
        self,
        services: Services,
        parts: ServiceParts,
        tokens: ClientTokens,
        tags: Tags,
        manual_changes: ManualChanges,
    ) -> None:
        self.services = services
        self.parts = parts
        self.tokens = tokens
        self.tags = tags
        self.manual_changes = manual_changes  # [decided] Y-17: creating or deploying an instance raises a blocker

    def find(self, call: Call, service_name: str, name: str) -> Row | None:
        """The instance as it reads now, or None (for the deployment operations' names)."""
        if self.services.find(call, service_name) is None:
            return None
        return self.parts.instance(call, service_name, name)[0]

    def _load(self, call: Call, service_name: str, name: str) -> tuple[Row, Row, Row | None]:
        service = self.services.load(call, service_name)
        instance, deployment = self.parts.load_instance(call, service_name, name)
        return service, instance, deployment

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        # An instance goes before its service does, so one that reads as existing has its service: the
        # service is read only to say which of the two is missing.
        instance, _ = self.parts.instance(call, params["serviceName"], params["name"])
        if instance is None:
            self.services.load(call, params["serviceName"])
            raise instance_not_found(call.scope, params["serviceName"], params["name"])
        return {"serviceInstance": instance_wire(instance)}

    # -- create -----------------------------------------------------------------------------------------------

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[decided] S-18"""
        service_name, name = params["serviceName"], params["name"]
        new_tags = self.tags.check_new(params.get("tags") or [])
        service = self.services.load(call, service_name)  # takes the scope's lock first
        replayed = self.tokens.replay(call, params)
        if replayed is not None:
            instance, _ = self.parts.instance(call, service_name, name)
            if instance is not None:
                return {"serviceInstance": instance_wire(instance)}
        spec = self.services.parse_spec(call, params["spec"])
        entry = service_specs.instance_entry_required(spec, name)
        parts = self.parts.instances(call, service_name)
        pipeline = self.parts.pipeline(call, service_name)
        reason = busy(service, [*parts, *([pipeline] if pipeline[0] is not None else [])])
        if reason is not None or service["status"] == "DELETE_IN_PROGRESS":
            raise conflict(reason or f"Service {service_name} is DELETE_IN_PROGRESS", "adding an instance")
        if any(row["name"] == name for row, _ in parts):
            raise ConflictException(f"Service {service_name} already has a service instance {name}.")
        if len(parts) >= self.services.instance_quota:
            # [decided] S-18: no ServiceQuotaExceededException is modelled for this operation.
            raise ValidationException(
                f"Service {service_name} already has {self.services.instance_quota} service instances, the most it "
                "may have."
            )
        version = self.parts.default_version(
            call, service["template_name"], params.get("templateMajorVersion"), params.get("templateMinorVersion")
        )
        environment = self.parts.check_environment(call, entry.environment, version)
        self.parts.check_spec_inputs(call, service["template_name"], version, params["spec"], instances=[name])
        instance = self.parts.new_instance(call, service, entry, version, params["spec"])
        if params.get("clientToken"):
            instance["last_client_request_token"] = params["clientToken"]
            instance["last_client_request_digest"] = digest(params)
        self.parts.start_instance(call, instance, CREATE, (version.major, version.minor, params["spec"]), environment)
        store.insert_instance(call.tx, instance)
        # [doc] The service's tags are copied on, the instance's own winning on a key.
        inherited = self.tags.of(call, service_arn(call.scope, service_name))
        self.tags.put(call, SERVICE_INSTANCE.arn(instance), {**inherited, **new_tags})
        self.tokens.remember(call, params, name)
        self.manual_changes.record_manual_change(call, service_name, name, creation_reason(name))
        return {"serviceInstance": instance_wire(instance)}

    # -- update -----------------------------------------------------------------------------------------------

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        service, instance, deployment = self._load(call, params["serviceName"], params["name"])
        token = params.get("clientToken")
        if token and token == instance["last_client_request_token"]:
            # [decided] S-19: a retry returns the instance as it is and starts nothing.
            if instance["last_client_request_digest"] != digest(params):
                raise ValidationException(
                    f"The client token {token} was already used with different parameters "
                    "(idempotent parameter mismatch)."
                )
            return {"serviceInstance": instance_wire(instance)}
        if service["status"] in SERVICE_BUSY:
            raise conflict(f"Service {service['name']} is {service['status']}", "updating its instance")
        if deployment is not None or instance["deployment_status"] in UNDER_WAY:
            raise conflict(
                f"Service instance {instance['name']} has a deployment {instance['deployment_status']}",
                "updating it",
            )
        if instance["deployment_status"] == DELETE_FAILED:
            raise ConflictException(f"Service instance {instance['name']} is DELETE_FAILED; it can only be deleted.")
        kind = params["deploymentType"]
        given = params.get("spec")
        if given is not None:
            spec = self.services.parse_spec(call, given)
            service_specs.instance_entry_in(spec, instance["name"], instance["environment_name"])
        major, minor, spec_text = update_target(self.parts.templates, call, instance, params, kind)
        # [decided] B-12: the spec the instance moves to (its own when none is given), against the target version.
        self.parts.check_spec_inputs(
            call,
            instance["template_name"],
            self.parts.templates.version(call, instance["template_name"], str(major), str(minor)),
            spec_text or "",
            instances=[instance["name"]],
            current=instance["spec"],
        )
        changes: dict[str, Any] = {}
        if token:
            changes.update(last_client_request_token=token, last_client_request_digest=digest(params))
        updated = {**instance, **changes}
        if kind != NONE:
            attached = self.parts.relations.component_of_instance(call, instance)
            if attached is not None and (attached[1] is not None or attached[0]["deployment_status"] in UNDER_WAY):
                # [doc] IN_PROGRESS, [decided] C-9
                raise conflict(
                    f"Component {attached[0]['name']} of service instance {instance['name']} has a deployment "
                    f"{attached[0]['deployment_status']}",
                    "updating the instance",
                )
            if (major, minor) != (instance["template_major_version"], instance["template_minor_version"]):
                version = self.parts.templates.version(call, instance["template_name"], str(major), str(minor))
                environment = self.parts.relations.environment(call, instance["environment_name"])
                if environment is not None:
                    self.parts.check_compatible(environment, version)  # [decided] S-13
                if attached is not None and not supports_directly_defined(version.row):
                    # [decided] C-15
                    raise no_directly_defined(
                        instance["template_name"],
                        major,
                        minor,
                        f"; component {attached[0]['name']} is attached to service instance {instance['name']}",
                    )
            self.parts.start_instance(call, updated, UPDATE, (major, minor, spec_text), None)
            # NONE changes only what is stored (a spec, a token), so it is no manual change to undo ([decided] Y-17).
            self.manual_changes.record_manual_change(
                call, instance["service_name"], instance["name"], update_reason(instance["name"])
            )
        store.update_instance(
            call.tx,
            call.scope,
            instance["service_name"],
            instance["name"],
            {key: value for key, value in updated.items() if instance[key] != value},
        )
        return {"serviceInstance": instance_wire(updated)}

    def cancel(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _, instance, deployment = self._load(call, params["serviceName"], params["serviceInstanceName"])
        cancelled = self.parts.deployments.cancel(call, SERVICE_INSTANCE, instance, deployment, updates_only=True)
        return {"serviceInstance": instance_wire(cancelled)}

    # -- what deployments produced ------------------------------------------------------------------------------

    def list_outputs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _, instance, _ = self._load(call, params["serviceName"], params["serviceInstanceName"])
        produced = self.parts.deployments.produced_by(call, SERVICE_INSTANCE, instance, params.get("deploymentId"))
        return {"outputs": outputs_of(produced)}

    def list_provisioned_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _, instance, _ = self._load(call, params["serviceName"], params["serviceInstanceName"])
        produced = self.parts.deployments.produced_by(call, SERVICE_INSTANCE, instance, None)
        return {"provisionedResources": provisioned_resources_of(produced)}

    # -- list ([decided] S-20) -------------------------------------------------------------------------------

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        service_name = params.get("serviceName")
        if service_name is not None:
            self.services.load(call, service_name)
        matches = _filters(params.get("filters") or [])
        sort_by = params.get("sortBy") or "serviceName"
        descending = params.get("sortOrder") == "DESCENDING"
        query = paging.query_key(
            "ListServiceInstances",
            call.account_id,
            call.region,
            service_name,
            params.get("filters"),
            sort_by,
            descending,
        )
        kind = int if sort_by in _TIMES else str
        position = paging.decode(params.get("nextToken"), query, (kind, str, str))
        limit = paging.page_size(params)
        if matches is None and sort_by == "serviceName":
            # The default order is the table's key: the database pages it, so a page costs O(page).
            page = list(
                islice(self._in_key_order(call, service_name, position, descending, batch=limit + 1), limit + 1)
            )
            result = {"serviceInstances": [instance_wire(row, summary=True) for row in page[:limit]]}
            if len(page) > limit:
                last = page[limit - 1]
                result["nextToken"] = paging.encode(query, [last["service_name"], last["service_name"], last["name"]])
            return result
        rows = (
            store.instances_of_service(call.tx, call.scope, service_name)
            if service_name is not None
            else store.all_instances(call.tx, call.scope)
        )
        version_status: dict[tuple[int, int, str], str] = {}
        listed = []
        for row in rows:
            instance = self.parts.deployments.current(call, SERVICE_INSTANCE, row)[0]
            if instance is None:
                continue
            if matches and not matches(instance, lambda i: self._version_status(call, i, version_status)):
                continue
            listed.append((_sort_value(instance, sort_by), instance["service_name"], instance["name"], instance))
        listed.sort(key=lambda item: item[:3], reverse=descending)
        if position:
            after = tuple(position)
            listed = [item for item in listed if (item[:3] < after if descending else item[:3] > after)]
        page = listed[:limit]
        result: dict[str, Any] = {"serviceInstances": [instance_wire(item[3], summary=True) for item in page]}
        if len(listed) > limit:
            result["nextToken"] = paging.encode(query, list(page[-1][:3]))
        return result

    def _in_key_order(
        self, call: Call, service_name: str | None, position: list[Any] | None, descending: bool, *, batch: int
    ) -> Iterator[Row]:
        """Instances in (serviceName, name) order after `position`, a batch of rows at a time; deletions that
        ended are skipped, so a page reads on until it is full."""
        after = (position[1], position[2]) if position else None
        while True:
            rows = store.page_instances(
                call.tx, call.scope, service_name=service_name, after=after, descending=descending, limit=batch
            )
            for row in rows:
                instance = self.parts.deployments.current(call, SERVICE_INSTANCE, row)[0]
                if instance is not None:
                    yield instance
            if len(rows) < batch:
                return
            after = (rows[-1]["service_name"], rows[-1]["name"])

    def _version_status(self, call: Call, instance: Row, cache: dict[tuple[int, int, str], str]) -> str:
        key = (instance["template_major_version"], instance["template_minor_version"], instance["template_name"])
        if key not in cache:
            version = self.parts.templates.version(call, key[2], str(key[0]), str(key[1]))
            cache[key] = version.status
        return cache[key]


_TIMES = ("createdAt", "lastDeploymentAttemptedAt")
_SORT_COLUMNS = {
    "name": "name",
    "deploymentStatus": "deployment_status",
    "templateName": "template_name",
    "serviceName": "service_name",
    "environmentName": "environment_name",
    "lastDeploymentAttemptedAt": "last_deployment_attempted_at",
    "createdAt": "created_at",
}
_EXACT = {
    "name": "name",
    "serviceName": "service_name",
    "templateName": "template_name",
    "environmentName": "environment_name",
    "deploymentStatus": "deployment_status",
}
_DATES = {
    "createdAtBefore": ("created_at", False),
    "createdAtAfter": ("created_at", True),
    "lastDeploymentAttemptedAtBefore": ("last_deployment_attempted_at", False),
    "lastDeploymentAttemptedAtAfter": ("last_deployment_attempted_at", True),
}
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def _sort_value(instance: Row, sort_by: str) -> Any:
    return instance[_SORT_COLUMNS[sort_by]]


def _filters(filters: list[dict[str, str]]) -> Any:
    """[decided] S-20: the same key ORed, keys ANDed. Returns None for no filter, else a predicate."""
    if not filters:
        return None
    by_key: dict[str, list[str]] = {}
    for item in filters:
        if item.get("key") is None or item.get("value") is None:
            # The model leaves both optional; a filter without either names nothing to match.
            raise ValidationException("Each filter of ListServiceInstances needs a key and a value.")
        by_key.setdefault(item["key"], []).append(item["value"])
    dates = {key: [_exact_moment(key, v) for v in values] for key, values in by_key.items() if key in _DATES}

    def matches(instance: Row, version_status: Any) -> bool:
        for key, values in by_key.items():
            if key in _EXACT:
                ok = instance[_EXACT[key]] in values
            elif key == "deployedTemplateVersionStatus":
                ok = version_status(instance) in values
            else:
                column, after = _DATES[key]
                at = instance[column] * 1000  # microseconds: strict comparison at the filter's own precision
                ok = any((at > moment) if after else (at < moment) for moment in dates[key])
            if not ok:
                return False
        return True

    return matches


def _exact_moment(key: str, value: str) -> int:
    """The filter's moment in epoch microseconds (the finest the format's fraction usually carries)."""
    if _RFC3339.fullmatch(value):
        whole, _, fraction = value[:-1].partition(".")
        try:
            moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            moment = None
        if moment is not None:
            return int(moment.timestamp()) * 1_000_000 + (int((fraction + "000000")[:6]) if fraction else 0)
    raise ValidationException(f"Invalid value '{value}' for filter {key}: expected an RFC 3339 date-time")
