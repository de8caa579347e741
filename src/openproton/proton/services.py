"""Services (services.md): CreateService, GetService, ListServices, UpdateService, DeleteService.

A service is made from a service template version and a spec naming its instances; with a pipeline unless its
template has `pipelineProvisioning`. Each of Create, Update (with a spec) and Delete is an operation: it starts
deployments of instances and the pipeline at once, and the service's status is what they add up to as of the
read's time ([decided] S-14), stored by the next write that sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

import orjson

from openproton import decided
from openproton.store import deployments as deployment_store
from openproton.store import services as store

from . import arns, paging, service_specs
from .call import Call
from .deployment_view import CREATE, DELETE, UNDER_WAY, UPDATE, as_of
from .environment_rules import usable_version
from .errors import ResourceNotFoundException, ServiceQuotaExceededException, ValidationException
from .idempotency import digest
from .relations import Relations
from .service_deployments import (
    CREATE_IN_PROGRESS,
    DELETE_IN_PROGRESS,
    UPDATE_IN_PROGRESS,
    ServiceParts,
    busy,
    conflict,
    operation_status,
)
from .service_templates import ServiceTemplates
from .service_view import service_wire
from .sync_blockers import ManualChanges, creation_reason, deletion_reason
from .tagging import Tags
from .targets import SERVICE_INSTANCE, SERVICE_PIPELINE, Row, service_arn, service_not_found

RESOURCE_TYPE = "service"

# The members a service with a pipeline needs and one without takes none of ([decided] S-11).
REPOSITORY_MEMBERS = ("repositoryConnectionArn", "repositoryId", "branchName")


class Services:
    def __init__(
        self,
        quotas: tuple[int, int],
        templates: ServiceTemplates,
        parts: ServiceParts,
        relations: Relations,
        tags: Tags,
        manual_changes: ManualChanges,
    ) -> None:
        self.service_quota, self.instance_quota = quotas
        self.templates = templates
        self.parts = parts
        self.deployments = parts.deployments
        self.relations = relations
        self.tags = tags
        self.manual_changes = manual_changes  # [decided] Y-17: adding or removing an instance raises a blocker

    # -- reading, as of the call's time ---------------------------------------------------------------------

    def current(self, call: Call, row: Row) -> Row | None:
        """The service as it reads now; None once its deletion has ended. A writer stores what it sees."""
        if row["operation"] is None:
            return row
        ended = []
        for deployment_id in orjson.loads(row["operation_deployments"]):
            stored = deployment_store.get(call.tx, call.scope, deployment_id)
            if stored is None:
                continue  # deleted since (DeleteDeployment of a removed instance's): it had ended
            deployment = as_of(stored, call.now_ms)
            if deployment["status"] in UNDER_WAY:
                return row
            ended.append(deployment)
        status, message = operation_status(row["operation"], ended)
        last = max((d["completed_at"] or 0 for d in ended), default=0)
        service = None
        if status is not None:
            service = {
                **row,
                "status": status,
                "status_message": message,
                "operation": None,
                "operation_deployments": "[]",
                "last_modified_at": max(row["last_modified_at"], last),
            }
        if call.write:
            # The parts catch up too: instances and a pipeline whose deletion ended are removed.
            for instance in store.instances_of_service(call.tx, call.scope, row["name"]):
                self.deployments.current(call, SERVICE_INSTANCE, instance)
            pipeline = store.get_pipeline(call.tx, call.scope, row["name"])
            if pipeline is not None:
                self.deployments.current(call, SERVICE_PIPELINE, pipeline)
            if service is None:
                store.delete_service(call.tx, call.scope, row["name"])
                self.tags.drop(call, service_arn(call.scope, row["name"]))
                self.relations.service_deleted(call, row["name"])
            else:
                changes = {key: service[key] for key in ("status", "status_message", "operation", "last_modified_at")}
                store.update_service(call.tx, call.scope, row["name"], {**changes, "operation_deployments": "[]"})
        return service

    def find(self, call: Call, name: str) -> Row | None:
        if call.write:
            self.deployments.lock_scope(call)
        row = store.get_service(call.tx, call.scope, name)
        return None if row is None else self.current(call, row)

    def load(self, call: Call, name: str) -> Row:
        service = self.find(call, name)
        if service is None:
            raise service_not_found(call.scope, name)
        return service

    def _wire(self, call: Call, service: Row) -> dict[str, Any]:
        pipeline, _ = self.parts.pipeline(call, service["name"])
        return service_wire(service, pipeline)

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row, pipeline_row = store.get_service_and_pipeline(call.tx, call.scope, params["name"])
        service = None if row is None else self.current(call, row)
        if service is None:
            raise service_not_found(call.scope, params["name"])
        if service is not row:  # its operation ended as of now: read the pipeline as it is now, too
            return {"service": self._wire(call, service)}
        pipeline = None
        if pipeline_row is not None:
            pipeline = self.deployments.current(call, SERVICE_PIPELINE, pipeline_row)[0]
        return {"service": service_wire(service, pipeline)}

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        query = paging.query_key("ListServices", call.account_id, call.region)
        position = paging.decode(params.get("nextToken"), query, (str,))
        limit = paging.page_size(params)
        listed = self._listed(call, position[0] if position else "", batch=limit + 1)
        page = list(islice(listed, limit))
        result: dict[str, Any] = {"services": [service_wire(s, None, summary=True) for s in page]}
        if len(page) == limit and next(listed, None) is not None:
            result["nextToken"] = paging.encode(query, [page[-1]["name"]])
        return result

    def _listed(self, call: Call, after: str, *, batch: int) -> Iterator[Row]:
        # [decided] S-6: by name; services whose deletion ended are skipped.
        while True:
            rows = store.page_services(call.tx, call.scope, after=after, limit=batch)
            for row in rows:
                service = self.current(call, row)
                if service is not None:
                    yield service
            if len(rows) < batch:
                return
            after = rows[-1]["name"]

    # -- create ---------------------------------------------------------------------------------------------

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["name"]
        template = self.templates.template(call, params["templateName"])
        with_pipeline = template["pipeline_provisioning"] is None
        _check_repository(params, with_pipeline)
        new_tags = self.tags.check_new(params.get("tags") or [])
        fingerprint = digest(params)
        existing = self.find(call, name)  # takes the scope's lock first
        if existing is not None:
            # Idempotent without a token, as CreateEnvironment.
            if existing["parameters_digest"] != fingerprint:
                raise ValidationException(
                    f"Service {name} already exists with different parameters (idempotent parameter mismatch)."
                )
            return {"service": self._wire(call, existing)}
        if self._count(call) >= self.service_quota:
            raise ServiceQuotaExceededException(
                f"Account {call.account_id} already has {self.service_quota} services in {call.region}, "
                "the most it may have."
            )
        version = usable_version(
            self.templates, call, template["name"], params["templateMajorVersion"], params.get("templateMinorVersion")
        )
        spec = self.parse_spec(call, params["spec"])
        if not with_pipeline and not spec.instances:
            # [decided] S-12
            raise ValidationException(f"Service {name} has no pipeline, so its spec must name at least one instance.")
        if len(spec.instances) > self.instance_quota:
            raise ServiceQuotaExceededException(
                f"A service can have at most {self.instance_quota} service instances; the spec names "
                f"{len(spec.instances)}."
            )
        environments = {
            entry.name: self.parts.check_environment(call, entry.environment, version) for entry in spec.instances
        }
        self.parts.check_spec_inputs(
            call,
            template["name"],
            version,
            params["spec"],
            instances=[entry.name for entry in spec.instances],
            pipeline=with_pipeline,
        )
        if with_pipeline:
            self.parts.check_pipeline_roles(call)
        service = {
            "account_id": call.account_id,
            "region": call.region,
            "name": name,
            "description": params.get("description"),
            "template_name": template["name"],
            "spec": params["spec"],
            **{_column(member): params.get(member) for member in REPOSITORY_MEMBERS},
            "parameters_digest": fingerprint,
            "created_at": call.now_ms,
            "last_modified_at": call.now_ms,
            "status": CREATE_IN_PROGRESS,
            "status_message": None,
            "operation": CREATE,
            "operation_deployments": "[]",
        }
        # Stored first: each deployment's render reads the service it belongs to (P-1's `service` namespace).
        store.insert_service(call.tx, service)
        started: list[Row] = []
        pipeline = self.parts.new_pipeline(call, service, version, params["spec"]) if with_pipeline else None
        if pipeline is not None:
            store.insert_pipeline(call.tx, {**pipeline})  # first: instances record its last success (none yet)
        instance_deployments = []
        for entry in spec.instances:
            instance = self.parts.new_instance(call, service, entry, version, params["spec"])
            deployment = self.parts.start_instance(
                call, instance, CREATE, (version.major, version.minor, params["spec"]), environments[entry.name]
            )
            store.insert_instance(call.tx, instance)
            # [doc] The service's tags are copied onto each instance as it is created.
            self.tags.put(call, SERVICE_INSTANCE.arn(instance), new_tags)
            instance_deployments.append(deployment)
        started.extend(instance_deployments)
        if pipeline is not None:
            started.append(
                self.parts.start_pipeline(
                    call,
                    pipeline,
                    CREATE,
                    (version.major, version.minor, params["spec"]),
                    instance_failures=instance_deployments,
                )
            )
            store.update_pipeline(call.tx, call.scope, name, _mirror(pipeline))
        service["operation_deployments"] = orjson.dumps([d["id"] for d in started]).decode()
        store.update_service(call.tx, call.scope, name, {"operation_deployments": service["operation_deployments"]})
        self.tags.put(call, service_arn(call.scope, name), new_tags)
        return {"service": service_wire(service, pipeline)}

    def _count(self, call: Call) -> int:
        """The services of the scope that read as existing now (a deletion that ended frees its place)."""
        stored = store.count_services(call.tx, call.scope)
        if stored < self.service_quota:
            return stored
        gone = sum(1 for row in store.deleting_services(call.tx, call.scope) if self.current(call, row) is None)
        return stored - gone

    def parse_spec(self, call: Call, text: str) -> service_specs.ServiceSpec:
        # [decided] S-10: instances name environments of the caller's account and region.
        return service_specs.parse(
            text, environment_exists=lambda env: self.relations.environment(call, env) is not None
        )

    # -- update ---------------------------------------------------------------------------------------------

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        service = self.load(call, params["name"])
        name = service["name"]
        if service["status"] == DELETE_IN_PROGRESS:
            raise conflict(f"Service {name} is {DELETE_IN_PROGRESS}", "updating it")  # [decided] S-15
        moved = max(call.now_ms, service["last_modified_at"] + decided.LAST_MODIFIED_MIN_STEP_MS)
        changes: dict[str, Any] = {"last_modified_at": moved}
        if "description" in params:
            changes["description"] = params["description"]
        if params.get("spec") is not None:
            changes.update(self._update_spec(call, service, params["spec"]))
        store.update_service(call.tx, call.scope, name, changes)
        return {"service": self._wire(call, {**service, **changes})}

    def _update_spec(self, call: Call, service: Row, text: str) -> dict[str, Any]:
        """[doc] The spec lists the instances to add and those to keep; the others are removed."""
        name = service["name"]
        instances = self.parts.instances(call, name)
        pipeline, pipeline_deployment = self.parts.pipeline(call, name)
        parts = [*instances, *([(pipeline, pipeline_deployment)] if pipeline is not None else [])]
        reason = busy(service, parts)
        if reason is not None:
            raise conflict(reason, "updating its spec")  # [decided] S-17
        if service["status"] == "DELETE_FAILED":
            raise conflict(f"Service {name} is DELETE_FAILED; delete it again", "updating its spec")
        spec = self.parse_spec(call, text)
        existing = {row["name"]: row for row, _ in instances}
        for entry in spec.instances:
            row = existing.get(entry.name)
            if row is None:
                continue
            kept = row["environment_name"] == entry.environment and service_specs.same_inputs(
                service_specs.inputs_of_instance(row["spec"], entry.name), entry.spec
            )
            if not kept:
                # [decided] S-16
                raise ValidationException(
                    f"UpdateService can't modify existing service instance {entry.name}; use UpdateServiceInstance"
                )
        if pipeline is not None and not service_specs.same_inputs(
            service_specs.pipeline_inputs(pipeline["spec"]), spec.pipeline
        ):
            raise ValidationException("UpdateService can't modify the service pipeline; use UpdateServicePipeline")
        named = {entry.name for entry in spec.instances}
        added = [entry for entry in spec.instances if entry.name not in existing]
        removed = [
            row for row in existing.values() if row["name"] not in named or row["deployment_status"] == "DELETE_FAILED"
        ]
        self.parts.check_no_component(call, removed, "removing it")
        if pipeline is None and not spec.instances:
            raise ValidationException(f"Service {name} has no pipeline, so its spec must name at least one instance.")
        if len(existing) + len(added) > self.instance_quota:
            raise ServiceQuotaExceededException(
                f"A service can have at most {self.instance_quota} service instances; this spec would leave "
                f"{name} with {len(existing) + len(added)}."
            )
        changes: dict[str, Any] = {"spec": text}
        if not added and not removed:
            return changes  # [decided] S-16: stored, nothing deployed
        version = self.parts.default_version(call, service["template_name"], None, None) if added else None
        environments = {
            entry.name: self.parts.check_environment(call, entry.environment, version)  # type: ignore[arg-type]
            for entry in added
        }
        if version is not None:
            self.parts.check_spec_inputs(
                call, service["template_name"], version, text, instances=[entry.name for entry in added]
            )
        if pipeline is not None:
            self.parts.check_pipeline_roles(call)  # [decided] S-23: the pipeline is redeployed
        started: list[Row] = []
        for entry in added:
            assert version is not None
            instance = self.parts.new_instance(call, service, entry, version, text)
            started.append(
                self.parts.start_instance(
                    call, instance, CREATE, (version.major, version.minor, text), environments[entry.name]
                )
            )
            store.insert_instance(call.tx, instance)
            self.tags.put(call, SERVICE_INSTANCE.arn(instance), self.tags.of(call, service_arn(call.scope, name)))
            self.manual_changes.record_manual_change(call, name, entry.name, creation_reason(entry.name))
        for row in removed:
            # On the service: the instance is going, and sync must not create it again behind the user's back.
            self.manual_changes.record_manual_change(call, name, None, deletion_reason(row["name"]))
            deleting = dict(row)
            target = (row["template_major_version"], row["template_minor_version"], row["spec"])
            started.append(self.parts.start_instance(call, deleting, DELETE, target, None))
            store.update_instance(call.tx, call.scope, name, row["name"], _mirror(deleting))
        if pipeline is not None:
            redeploying = dict(pipeline)
            target = (pipeline["template_major_version"], pipeline["template_minor_version"], pipeline["spec"])
            started.append(
                self.parts.start_pipeline(call, redeploying, UPDATE, target, instance_failures=started[: len(added)])
            )
            store.update_pipeline(call.tx, call.scope, name, _mirror(redeploying))
        changes.update(
            status=UPDATE_IN_PROGRESS,
            status_message=None,
            operation=UPDATE,
            operation_deployments=orjson.dumps([d["id"] for d in started]).decode(),
        )
        return changes

    # -- delete ---------------------------------------------------------------------------------------------

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        service = self.load(call, params["name"])
        name = service["name"]
        if service["status"] == DELETE_IN_PROGRESS:
            return {"service": self._wire(call, service)}  # [doc] a repeat returns it
        instances = self.parts.instances(call, name)
        pipeline, pipeline_deployment = self.parts.pipeline(call, name)
        parts = [*instances, *([(pipeline, pipeline_deployment)] if pipeline is not None else [])]
        reason = busy(service, parts)
        if reason is not None:
            raise conflict(reason, "deleting it")  # [decided] S-17
        self.parts.check_no_component(call, [row for row, _ in instances], "deleting the service")
        started: list[Row] = []
        for row, _ in instances:
            deleting = dict(row)
            target = (row["template_major_version"], row["template_minor_version"], row["spec"])
            started.append(self.parts.start_instance(call, deleting, DELETE, target, None))
            store.update_instance(call.tx, call.scope, name, row["name"], _mirror(deleting))
        shown = pipeline
        if pipeline is not None:
            shown = dict(pipeline)
            target = (pipeline["template_major_version"], pipeline["template_minor_version"], pipeline["spec"])
            started.append(self.parts.start_pipeline(call, shown, DELETE, target))
            store.update_pipeline(call.tx, call.scope, name, _mirror(shown))
        changes = {
            "status": DELETE_IN_PROGRESS,
            "status_message": None,
            "operation": DELETE,
            "operation_deployments": orjson.dumps([d["id"] for d in started]).decode(),
            "last_modified_at": max(call.now_ms, service["last_modified_at"]),
        }
        store.update_service(call.tx, call.scope, name, changes)
        return {"service": service_wire({**service, **changes}, shown)}

    # -- tagging --------------------------------------------------------------------------------------------

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        """Services, their instances and pipelines are tagged by their owner ([decided] S-28)."""
        if arn.account_id != call.account_id:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
        service_name, _, rest = resource_id.partition("/")
        if not rest:
            self.load(call, service_name)
            return
        part, _, name = rest.partition("/")
        if part == "service-instance" and name:
            self.parts.load_instance(call, service_name, name)
            return
        if part == "pipeline" and name:
            pipeline, _ = self.parts.pipeline(call, service_name)
            if pipeline is not None and pipeline["id"] == name:
                return
        raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")


def _check_repository(params: dict[str, Any], with_pipeline: bool) -> None:
    """[decided] S-11: with a pipeline, every repository member; without one, none."""
    for member in REPOSITORY_MEMBERS:
        if with_pipeline and params.get(member) is None:
            raise ValidationException(f"A service with a pipeline needs {member}.")
        if not with_pipeline and params.get(member) is not None:
            raise ValidationException(
                f"The service template has no pipeline (pipelineProvisioning CUSTOMER_MANAGED), so {member} "
                "cannot be given."
            )


def _column(member: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in member)


_MIRROR_COLUMNS = (
    "deployment_status",
    "deployment_status_message",
    "last_deployment_attempted_at",
    "last_attempted_deployment_id",
)


def _mirror(row: Row) -> dict[str, Any]:
    """What starting a deployment changed on its target's row."""
    return {column: row[column] for column in _MIRROR_COLUMNS}
