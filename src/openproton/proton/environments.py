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

import orjson

from openproton.store import Scope
from openproton.store import connections as connection_store
from openproton.store import environments as store

from . import arns, deployments, paging
from .call import Call
from .deployments import (
    CANCELLED,
    CANCELLING,
    CREATE,
    DELETE,
    DELETE_IN_PROGRESS,
    FAILED,
    IN_PROGRESS,
    SUCCEEDED,
    UNDER_WAY,
    UPDATE,
    Deployments,
)
from .environment_rules import (
    CODEBUILD_ROLE_MEMBER,
    CONNECTED,
    CONNECTION_MEMBER,
    NONE,
    REPOSITORY_MEMBER,
    SERVICE_ROLE_MEMBER,
    check_provisioning,
    metadata_changes,
    update_target,
    usable_connection,
    usable_version,
)
from .environment_view import RESOURCE_TYPE, after_deployment, environment_arn, not_found, to_wire
from .errors import ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException
from .idempotency import digest
from .tagging import Tags
from .templates import EnvironmentTemplates, version_number

__all__ = ["RESOURCE_TYPE", "Environments"]


class Environments:
    def __init__(
        self, settings_quota: int, templates: EnvironmentTemplates, deployment_records: Deployments, tags: Tags
    ) -> None:
        self.quota = settings_quota
        self.templates = templates
        self.deployments = deployment_records
        self.tags = tags

    # -- reading, as of the call's time --------------------------------------------------------------

    def _as_of(self, call: Call, row: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The environment and its deployment under way (if any) as they read now.

        A writing call stores an ending it sees, so the stored rows catch up with what reads have shown.
        """
        if row["deployment_status"] not in UNDER_WAY:
            return row, None
        scope = Scope(row["account_id"], row["region"])
        stored = store.get_deployment(call.tx, scope, row["last_attempted_deployment_id"])
        if stored is None:  # cannot happen: the latest deployment cannot be deleted [decided] D-10
            return row, None
        deployment = deployments.as_of(stored, call.now_ms)
        if deployment is stored:
            return row, deployment
        environment = after_deployment(row, deployment)
        if call.write:
            store.update_deployment(call.tx, stored["id"], deployments.changed_columns(stored, deployment))
            if environment is None:
                store.delete_environment(call.tx, scope, row["name"])
                self.tags.drop(call, environment_arn(scope, row["name"]))
            else:
                store.update_environment(call.tx, scope, row["name"], deployments.changed_columns(row, environment))
        return environment, None

    def _lock(self, call: Call) -> None:
        """A writer locks the scope's environments before it reads them, so that two writers cannot both start a
        deployment, or store an ending over a newer deployment (PostgreSQL; SQLite's writers already take turns)."""
        if call.write:
            self.deployments.lock_scope(call)

    def find(self, call: Call, name: str) -> dict[str, Any] | None:
        self._lock(call)
        row = store.get_environment(call.tx, call.scope, name)
        return None if row is None else self._as_of(call, row)[0]

    def _load(self, call: Call, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        self._lock(call)
        row = store.get_environment(call.tx, call.scope, name)
        environment, deployment = self._as_of(call, row) if row is not None else (None, None)
        if environment is None:
            raise not_found(name)
        return environment, deployment

    def _live(self, call: Call, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [env for env in (self._as_of(call, row)[0] for row in rows) if env is not None]

    def using_connection(self, call: Call, connection_id: str) -> list[str]:
        """Environments provisioned through the connection (for the rule that it cannot be rejected)."""
        self._lock(call)  # the management account's: the caller of Reject
        return [env["name"] for env in self._live(call, store.environments_using_connection(call.tx, connection_id))]

    def using_version(self, call: Call, template_name: str, major: int, minor: int) -> list[str]:
        """Environments on the version, or being deployed to it (for the rule that it cannot be deleted)."""
        self._lock(call)
        names = []
        for row in store.environments_of_template(call.tx, call.scope, template_name):
            environment, deployment = self._as_of(call, row)
            if environment is None:
                continue
            on = (environment["template_major_version"], environment["template_minor_version"]) == (major, minor)
            going = deployment is not None and (
                deployment["target_major_version"],
                deployment["target_minor_version"],
            ) == (major, minor)
            if on or going:
                names.append(environment["name"])
        return names

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
        environment_account_id = call.account_id
        connection_id = params.get(CONNECTION_MEMBER)
        if connection_id is not None:
            environment_account_id = usable_connection(call, connection_id, name)["environment_account_id"]
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
        self._start(call, row, deployment_id, CREATE, (version.major, version.minor, params["spec"]))
        store.insert_environment(call.tx, row)
        self.tags.put(call, environment_arn(call.scope, name), new_tags)
        return {"environment": to_wire(row)}

    def _start(
        self,
        call: Call,
        environment: dict[str, Any],
        deployment_id: str,
        kind: str,
        target: tuple[int, int, str | None],
    ) -> None:
        """Start a deployment of `environment` (changed in place to show it) and record it."""
        status = DELETE_IN_PROGRESS if kind == DELETE else IN_PROGRESS
        plan = self.deployments.plan(call.tx, call.now_ms, self_managed=environment["repository_name"] is not None)
        connection_id = environment["environment_account_connection_id"]
        if connection_id is not None:
            connection = connection_store.get_by_id(call.tx, connection_id)
            if connection is None or connection["status"] != CONNECTED:
                state = "deleted" if connection is None else connection["status"]
                # [doc] Proton cannot deploy through a connection that is gone. [decided] D-14: it fails at once.
                plan = (
                    FAILED,
                    f"Environment account connection {connection_id} is {state}: environment {environment['name']} "
                    "cannot be deployed until UpdateEnvironment moves it to a CONNECTED connection.",
                    call.now_ms,
                )
        row = deployments.new_row(
            call.scope,
            deployment_id=deployment_id,
            environment=environment,
            kind=kind,
            status=status,
            target=target,
            plan=plan,
            now_ms=call.now_ms,
        )
        environment.update(
            deployment_status=status,
            deployment_status_message=None,
            last_deployment_attempted_at=call.now_ms,
            last_attempted_deployment_id=deployment_id,
        )
        store.insert_deployment(call.tx, row)

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
        updated = {**environment, **changes}
        if kind != NONE:
            self._start(call, updated, str(uuid.uuid4()), UPDATE, target)
        store.update_environment(call.tx, call.scope, name, deployments.changed_columns(environment, updated))
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
        # [doc] Service instances and components would block this; OpenProton has neither yet.
        target = (environment["template_major_version"], environment["template_minor_version"], environment["spec"])
        deleting = dict(environment)
        self._start(call, deleting, str(uuid.uuid4()), DELETE, target)
        store.update_environment(
            call.tx, call.scope, environment["name"], deployments.changed_columns(environment, deleting)
        )
        return {"environment": to_wire(deleting)}

    def cancel(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        environment, deployment = self._load(call, params["environmentName"])
        if environment["deployment_status"] != IN_PROGRESS or deployment is None:
            # [doc] Only a deployment IN_PROGRESS can be cancelled.
            raise ConflictException(
                f"Environment {environment['name']} has no deployment IN_PROGRESS to cancel "
                f"(its deployment is {environment['deployment_status']})."
            )
        # [decided] D-2: CANCELLING answers the call; the cancellation ends at once, so reads see CANCELLED.
        store.update_deployment(
            call.tx,
            deployment["id"],
            {
                "status": CANCELLING,
                "outcome": CANCELLED,
                "outcome_message": None,
                "settles_at": call.now_ms,
                "last_modified_at": max(call.now_ms, deployment["last_modified_at"]),
            },
        )
        store.update_environment(call.tx, call.scope, environment["name"], {"deployment_status": CANCELLING})
        return {"environment": to_wire({**environment, "deployment_status": CANCELLING})}

    # -- what deployments produced ---------------------------------------------------------------------

    def _produced_by(self, call: Call, name: str, deployment_id: str | None) -> dict[str, Any] | None:
        """The deployment whose products are listed: the one named, else the environment's last successful one."""
        environment, _ = self._load(call, name)
        deployment_id = deployment_id or environment["last_succeeded_deployment_id"]
        if deployment_id is None:
            return None
        row = store.get_deployment(call.tx, call.scope, deployment_id)
        if row is None or not _belongs(row, environment):
            raise deployments.not_found(deployment_id)
        return row

    def list_outputs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        produced = self._produced_by(call, params["environmentName"], params.get("deploymentId"))
        return {"outputs": deployments.outputs_of(produced)}

    def list_provisioned_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        produced = self._produced_by(call, params["environmentName"], None)  # the model takes no deploymentId
        return {"provisionedResources": deployments.provisioned_resources_of(produced)}

    def notify(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[doc] A self-managed environment's automation reports how its deployment went."""
        resource_arn = params["resourceArn"]
        arn = arns.parse(resource_arn)
        if arn is None or arn.resource_type != RESOURCE_TYPE:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_arn}")
        if arn.account_id != call.account_id or arn.region != call.region:
            # Answered as for a missing environment of the caller's own, naming no account.
            raise not_found(arn.resource_id)
        environment, deployment = self._load(call, arn.resource_id)
        name = environment["name"]
        if environment["repository_name"] is None:
            # [decided] D-11
            raise ValidationException(
                f"Environment {name} is not self-managed: OpenProton settles its deployments itself."
            )
        deployment_id = params.get("deploymentId") or environment["last_attempted_deployment_id"]
        if deployment is None or deployment["id"] != deployment_id:
            named = store.get_deployment(call.tx, call.scope, deployment_id)
            if named is None or not _belongs(named, environment):
                raise deployments.not_found(deployment_id)
            raise ConflictException(f"Deployment {deployment_id} of environment {name} is not in progress.")
        changes: dict[str, Any] = {"last_modified_at": max(call.now_ms, deployment["last_modified_at"])}
        if params.get("outputs"):
            merged = deployments.merge_outputs(deployments.outputs_of(deployment), params["outputs"])
            changes["outputs"] = orjson.dumps(merged).decode()
        status = params.get("status")
        if status in (SUCCEEDED, FAILED):
            changes.update(outcome=status, outcome_message=params.get("statusMessage"), settles_at=call.now_ms)
        store.update_deployment(call.tx, deployment_id, changes)
        return {}

    # -- tagging ---------------------------------------------------------------------------------------

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        if arn.account_id != call.account_id:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
        self._load(call, resource_id)


def _belongs(deployment: dict[str, Any], environment: dict[str, Any]) -> bool:
    """Whether the deployment is of this environment, not of an earlier one of the same name."""
    return (deployment["environment_name"], deployment["target_resource_created_at"]) == (
        environment["name"],
        environment["created_at"],
    )
