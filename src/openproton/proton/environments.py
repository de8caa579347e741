"""Environments: the rules of ../shared/spec/environments.md (second half).

An environment is built from a published template version, in the management account (roles), in an
environment account (through a connection) or by the customer's own automation (self-managed, through a
repository). Every create, update (except NONE) and delete is a deployment; see deployments.py for how one
ends. An environment mirrors its last attempted deployment, read as of the call's time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from itertools import islice
from typing import Any

from openproton.bundles.model import ENVIRONMENT_FOLDER
from openproton.store import environments as store

from . import arns, paging, spec_inputs
from .call import Call
from .deployment_view import (
    CREATE,
    DELETE,
    DELETE_IN_PROGRESS,
    IN_PROGRESS,
    UNDER_WAY,
    UPDATE,
    changed_columns,
    outputs_of,
    provisioned_resources_of,
)
from .deployments import Deployments
from .environment_rules import (
    CODEBUILD_ROLE_MEMBER,
    CONNECTION_MEMBER,
    NONE,
    REPOSITORY_MEMBER,
    SERVICE_ROLE_MEMBER,
    check_method,
    check_provisioning,
    metadata_changes,
    update_target,
    usable_connection,
    usable_version,
)
from .environment_view import RESOURCE_TYPE, environment_arn, not_found, to_wire
from .errors import ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException
from .idempotency import digest
from .relations import Relations
from .rendering import Renderer
from .tagging import Tags
from .targets import ENVIRONMENT, versioned
from .templates import Templates, Version, version_number

__all__ = ["RESOURCE_TYPE", "Environments"]


class Environments:
    def __init__(
        self,
        settings_quota: int,
        templates: Templates,
        deployment_records: Deployments,
        relations: Relations,
        tags: Tags,
        renderer: Renderer,
    ) -> None:
        self.renderer = renderer
        self.quota = settings_quota
        self.templates = templates
        self.deployments = deployment_records
        self.relations = relations
        self.tags = tags

    # -- reading, as of the call's time --------------------------------------------------------------

    def _as_of(self, call: Call, row: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The environment and its deployment under way (if any) as they read now."""
        return self.deployments.current(call, ENVIRONMENT, row)

    def _lock(self, call: Call) -> None:
        """A writer locks the scope's deployed resources before it reads them, so that two writers cannot both
        start a deployment, or store an ending over a newer deployment (PostgreSQL; SQLite's writers already
        take turns)."""
        if call.write:
            self.deployments.lock_scope(call)

    def find(self, call: Call, name: str) -> dict[str, Any] | None:
        return self.relations.environment(call, name)

    def _load(self, call: Call, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        self._lock(call)
        row = store.get_environment(call.tx, call.scope, name)
        environment, deployment = self._as_of(call, row) if row is not None else (None, None)
        if environment is None:
            raise not_found(name)
        return environment, deployment

    def _live(self, call: Call, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [env for env in (self._as_of(call, row)[0] for row in rows) if env is not None]

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"environment": to_wire(self._load(call, params["name"])[0])}

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        filters = params.get("environmentTemplates") or []
        wanted = {(f["templateName"], version_number(f["majorVersion"])) for f in filters}
        query = paging.query_key("ListEnvironments", call.account_id, call.region, sorted(wanted))
        position = paging.decode(params.get("nextToken"), query, (str,))
        limit = paging.page_size(params)
        listed = self._listed(call, position[0] if position else "", wanted, batch=limit + 1)
        page = list(islice(listed, limit))
        result: dict[str, Any] = {"environments": [to_wire(env, summary=True) for env in page]}
        # wire.md: no nextToken on the last page, so one is given only when a listed environment follows.
        if len(page) == limit and next(listed, None) is not None:
            result["nextToken"] = paging.encode(query, [page[-1]["name"]])
        return result

    def _listed(self, call: Call, after: str, wanted: set[tuple[str, int]], *, batch: int) -> Iterator[dict[str, Any]]:
        """The environments after the name `after` that a list shows, read a batch of rows at a time."""
        # [decided] D-8: by name. Deleted or filtered-out rows are skipped, so a page reads on until it is full.
        while True:
            rows = store.page_environments(call.tx, call.scope, after=after, limit=batch)
            for row in rows:
                environment = self._as_of(call, row)[0]
                if environment is None:
                    continue
                if wanted and (environment["template_name"], environment["template_major_version"]) not in wanted:
                    continue
                yield environment
            if len(rows) < batch:
                return  # the end of the table
            after = rows[-1]["name"]

    # -- create ----------------------------------------------------------------------------------------

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["name"]
        check_provisioning(params)
        new_tags = self.tags.check_new(params.get("tags") or [])
        fingerprint = digest(params)
        # The quota and the name's uniqueness read before they write: find() takes the scope's lock first.
        existing = self.find(call, name)
        if existing is not None:
            # [doc] Idempotent without a token: the same parameters return the environment, others conflict.
            if existing["parameters_digest"] != fingerprint:
                raise ValidationException(
                    f"Environment {name} already exists with different parameters (idempotent parameter mismatch)."
                )
            return {"environment": to_wire(existing)}
        if len(self._live(call, store.all_environments(call.tx, call.scope))) >= self.quota:
            raise ServiceQuotaExceededException(
                f"Account {call.account_id} already has {self.quota} environments in {call.region}, "
                "the most it may have."
            )
        template = self.templates.template(call, params["templateName"])
        version = usable_version(
            self.templates, call, template["name"], params["templateMajorVersion"], params.get("templateMinorVersion")
        )
        self._check_spec(call, template["name"], version, params["spec"], current=None)
        environment_account_id = call.account_id
        connection_id = params.get(CONNECTION_MEMBER)
        if connection_id is not None:
            environment_account_id = usable_connection(call, connection_id, name)["environment_account_id"]
        self.relations.check_linked(call, params.get(REPOSITORY_MEMBER))
        repository = params.get(REPOSITORY_MEMBER) or {}
        deployment_id = str(uuid.uuid4())
        row = {
            "account_id": call.account_id,
            "region": call.region,
            "name": name,
            "template_name": template["name"],
            "template_major_version": version.major,
            "template_minor_version": version.minor,
            "spec": params["spec"],
            "description": params.get("description"),
            "proton_service_role_arn": params.get(SERVICE_ROLE_MEMBER),
            "codebuild_role_arn": params.get(CODEBUILD_ROLE_MEMBER),
            "component_role_arn": params.get("componentRoleArn"),
            "environment_account_connection_id": connection_id,
            # [decided] D-6: an environment outside a connection is provisioned in its own account.
            "environment_account_id": environment_account_id,
            "provisioning": template["provisioning"],
            "repository_provider": repository.get("provider"),
            "repository_name": repository.get("name"),
            "repository_branch": repository.get("branch"),
            "parameters_digest": fingerprint,
            "created_at": call.now_ms,
            "deployment_status": IN_PROGRESS,
            "deployment_status_message": None,
            "last_deployment_attempted_at": call.now_ms,
            "last_deployment_succeeded_at": None,
            "last_attempted_deployment_id": deployment_id,
            "last_succeeded_deployment_id": None,
        }
        self._check_method(call, template["name"], version, row)
        self._start(call, row, deployment_id, CREATE, (version.major, version.minor, params["spec"]))
        store.insert_environment(call.tx, row)
        self.tags.put(call, environment_arn(call.scope, name), new_tags)
        return {"environment": to_wire(row)}

    def _check_spec(self, call: Call, template_name: str, version: Version, text: str, *, current: str | None) -> None:
        """B-9 to B-13, when the version came from a bundle (its schema); nothing is stored on failure."""
        schema = spec_inputs.schema_of(self.templates, call, template_name, version)
        if schema is not None:
            inputs = spec_inputs.environment_inputs(schema, text, current=current, creating=current is None)
            call.memo[spec_inputs.environment_key(schema, text, current)] = inputs  # the render's, below

    def _check_method(self, call: Call, template_name: str, version: Version, environment: dict[str, Any]) -> None:
        bundle = self.templates.version_bundle(call, template_name, version.row)
        folder = bundle.folders.get(ENVIRONMENT_FOLDER) if bundle is not None else None
        check_method(
            call, folder.method if folder else None, f"{template_name}:{version.major}.{version.minor}", environment
        )

    def _start(
        self,
        call: Call,
        environment: dict[str, Any],
        deployment_id: str,
        kind: str,
        target: tuple[int, int, str | None],
    ) -> None:
        """Start a deployment of `environment` (changed in place to show it) and record it."""
        placement = self.relations.placement(call, environment, what=f"environment {environment['name']}")
        prepared = self.renderer.prepare(call, ENVIRONMENT, environment, deployment_id, kind, *target)
        self.deployments.start(
            call,
            ENVIRONMENT,
            environment,
            deployment_id,
            kind,
            versioned(*target),
            self_managed=placement.self_managed,
            environment_account_id=placement.account_id,
            fails_now=placement.fails_now or prepared.failure,
            prepared=prepared,
        )

    # -- update ----------------------------------------------------------------------------------------

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        environment, _ = self._load(call, params["name"])
        name = environment["name"]
        if environment["deployment_status"] in UNDER_WAY:
            raise ConflictException(
                f"Environment {name} has a deployment {environment['deployment_status']}; wait for it to end or "
                "cancel it before updating."
            )
        kind = params["deploymentType"]
        target = update_target(self.templates, call, environment, params, kind)
        changes = metadata_changes(call, environment, params)
        self.relations.check_linked(call, params.get(REPOSITORY_MEMBER))
        updated = {**environment, **changes}
        if kind != NONE:
            # [decided] B-12: a version change without a new spec checks the current spec against the target.
            version = self.templates.version(call, environment["template_name"], str(target[0]), str(target[1]))
            self._check_spec(call, environment["template_name"], version, target[2] or "", current=environment["spec"])
            self._check_method(call, environment["template_name"], version, updated)
            self._start(call, updated, str(uuid.uuid4()), UPDATE, target)
        store.update_environment(call.tx, call.scope, name, changed_columns(environment, updated))
        return {"environment": to_wire(updated)}

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        environment, _ = self._load(call, params["name"])
        status = environment["deployment_status"]
        if status == DELETE_IN_PROGRESS:
            return {"environment": to_wire(environment)}  # [doc] a repeated Delete returns it
        if status in UNDER_WAY:
            # [decided] D-3
            raise ConflictException(
                f"Environment {environment['name']} has a deployment {status}; wait for it to end or cancel it "
                "before deleting."
            )
        instances = self.relations.instances_in_environment(call, environment["name"])
        if instances:
            # [doc] An environment with service instances cannot be deleted, whatever their status.
            raise ConflictException(
                f"Environment {environment['name']} has service instances ({', '.join(instances)}); delete them "
                "before the environment."
            )
        components = self.relations.components_in_environment(call, environment["name"])
        if components:
            # [doc] Nor one with components, attached or not, whatever their status.
            names = ", ".join(sorted(component["name"] for component, _ in components))
            raise ConflictException(f"Environment {environment['name']} has components: {names}")
        target = (environment["template_major_version"], environment["template_minor_version"], environment["spec"])
        deleting = dict(environment)
        self._start(call, deleting, str(uuid.uuid4()), DELETE, target)
        store.update_environment(call.tx, call.scope, environment["name"], changed_columns(environment, deleting))
        return {"environment": to_wire(deleting)}

    def cancel(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        environment, deployment = self._load(call, params["environmentName"])
        cancelled = self.deployments.cancel(call, ENVIRONMENT, environment, deployment, updates_only=False)
        return {"environment": to_wire(cancelled)}

    # -- what deployments produced ---------------------------------------------------------------------

    def list_outputs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        environment, _ = self._load(call, params["environmentName"])
        produced = self.deployments.produced_by(call, ENVIRONMENT, environment, params.get("deploymentId"))
        return {"outputs": outputs_of(produced)}

    def list_provisioned_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        environment, _ = self._load(call, params["environmentName"])
        produced = self.deployments.produced_by(call, ENVIRONMENT, environment, None)  # no deploymentId [doc]
        return {"provisionedResources": provisioned_resources_of(produced)}

    # -- tagging ---------------------------------------------------------------------------------------

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        if arn.account_id != call.account_id:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
        self._load(call, resource_id)
