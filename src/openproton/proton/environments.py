"""Environments: the rules of ../shared/spec/environments.md (second half).

An environment is built from a published template version, in the management account (roles), in an
environment account (through a connection) or by the customer's own automation (self-managed, through a
repository). Every create, update (except NONE) and delete is a deployment; see deployments.py for how one
ends. An environment mirrors its last attempted deployment, read as of the call's time.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from openproton.protocol.serializer import Millis
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
    DELETE_COMPLETE,
    DELETE_IN_PROGRESS,
    FAILED,
    IN_PROGRESS,
    SUCCEEDED,
    UNDER_WAY,
    UPDATE,
    Deployments,
)
from .errors import ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException
from .idempotency import digest
from .tagging import Tags
from .templates import DRAFT, PUBLISHED, EnvironmentTemplates, Version, version_not_found, version_number

RESOURCE_TYPE = "environment"
CONNECTED = "CONNECTED"

# The members that say where and how an environment is provisioned.
_CONNECTION = "environmentAccountConnectionId"
_SERVICE_ROLE = "protonServiceRoleArn"
_CODEBUILD_ROLE = "codebuildRoleArn"
_REPOSITORY = "provisioningRepository"

# deploymentType -> what an update deploys.
NONE, CURRENT_VERSION, MINOR_VERSION, MAJOR_VERSION = "NONE", "CURRENT_VERSION", "MINOR_VERSION", "MAJOR_VERSION"


def environment_arn(scope: Scope, name: str) -> str:
    return arns.build(scope.region, scope.account_id, RESOURCE_TYPE, name)


def not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested environment does not exist: {name}")


def _repository_arn(row: dict[str, Any]) -> str:
    return arns.build(
        row["region"], row["account_id"], "repository", f"{row['repository_provider'].lower()}:{row['repository_name']}"
    )


def to_wire(row: dict[str, Any], *, summary: bool = False) -> dict[str, Any]:
    """The model's Environment (or EnvironmentSummary)."""
    scope = Scope(row["account_id"], row["region"])
    wire: dict[str, Any] = {
        "arn": environment_arn(scope, row["name"]),
        "componentRoleArn": row["component_role_arn"],
        "createdAt": Millis(row["created_at"]),
        "deploymentStatus": row["deployment_status"],
        "deploymentStatusMessage": row["deployment_status_message"],
        "description": row["description"],
        "environmentAccountConnectionId": row["environment_account_connection_id"],
        "environmentAccountId": row["environment_account_id"],
        "lastAttemptedDeploymentId": row["last_attempted_deployment_id"],
        "lastDeploymentAttemptedAt": Millis(row["last_deployment_attempted_at"]),
        # [decided] D-7: until a deployment succeeds, the model's required member reads as the creation time.
        "lastDeploymentSucceededAt": Millis(row["last_deployment_succeeded_at"] or row["created_at"]),
        "lastSucceededDeploymentId": row["last_succeeded_deployment_id"],
        "name": row["name"],
        "protonServiceRoleArn": row["proton_service_role_arn"],
        "provisioning": row["provisioning"],
        "templateMajorVersion": str(row["template_major_version"]),
        "templateMinorVersion": str(row["template_minor_version"]),
        "templateName": row["template_name"],
    }
    if not summary:
        wire["codebuildRoleArn"] = row["codebuild_role_arn"]
        wire["spec"] = row["spec"]
        if row["repository_name"] is not None:
            wire["provisioningRepository"] = {
                "arn": _repository_arn(row),
                "branch": row["repository_branch"],
                "name": row["repository_name"],
                "provider": row["repository_provider"],
            }
    return wire


def _ended(environment: dict[str, Any], deployment: dict[str, Any]) -> dict[str, Any] | None:
    """The environment once `deployment` (its last attempted one) has ended; None when that deleted it."""
    status = deployment["status"]
    if status == DELETE_COMPLETE:
        return None
    ended = {**environment, "deployment_status": status, "deployment_status_message": deployment["status_message"]}
    if status == SUCCEEDED:  # [decided] D-13: the version and spec change only when the deployment succeeds
        ended.update(
            template_major_version=deployment["target_major_version"],
            template_minor_version=deployment["target_minor_version"],
            spec=deployment["target_spec"],
            last_deployment_succeeded_at=deployment["completed_at"],
            last_succeeded_deployment_id=deployment["id"],
        )
    return ended


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
        environment = _ended(row, deployment)
        if call.write:
            store.update_deployment(call.tx, stored["id"], deployments.changed_columns(stored, deployment))
            if environment is None:
                store.delete_environment(call.tx, scope, row["name"])
                self.tags.drop(call, environment_arn(scope, row["name"]))
            else:
                store.update_environment(call.tx, scope, row["name"], deployments.changed_columns(row, environment))
        return environment, None

    def find(self, call: Call, name: str) -> dict[str, Any] | None:
        row = store.get_environment(call.tx, call.scope, name)
        return None if row is None else self._as_of(call, row)[0]

    def _load(self, call: Call, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        row = store.get_environment(call.tx, call.scope, name)
        environment, deployment = self._as_of(call, row) if row is not None else (None, None)
        if environment is None:
            raise not_found(name)
        return environment, deployment

    def _live(self, call: Call, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [env for env in (self._as_of(call, row)[0] for row in rows) if env is not None]

    def using_connection(self, call: Call, connection_id: str) -> list[str]:
        """Environments provisioned through the connection (for the rule that it cannot be rejected)."""
        return [env["name"] for env in self._live(call, store.environments_using_connection(call.tx, connection_id))]

    def using_version(self, call: Call, template_name: str, major: int, minor: int) -> list[str]:
        """Environments on the version, or being deployed to it (for the rule that it cannot be deleted)."""
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
        after = position[0] if position else ""
        page: list[dict[str, Any]] = []
        # [decided] D-8: by name. Deleted or filtered-out rows are skipped, so a page reads on until it is full.
        while len(page) < limit:
            rows = store.page_environments(call.tx, call.scope, after=after, limit=limit + 1)
            for row in rows:
                after = row["name"]
                environment = self._as_of(call, row)[0]
                if environment is None:
                    continue
                if wanted and (environment["template_name"], environment["template_major_version"]) not in wanted:
                    continue
                page.append(environment)
                if len(page) == limit:
                    break
            if len(rows) <= limit:
                break  # the end of the table
        result: dict[str, Any] = {"environments": [to_wire(env, summary=True) for env in page]}
        if len(page) == limit and store.page_environments(call.tx, call.scope, after=after, limit=1):
            result["nextToken"] = paging.encode(query, [after])
        return result

    # -- create ----------------------------------------------------------------------------------------

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["name"]
        _check_provisioning(params)
        new_tags = self.tags.check_new(params.get("tags") or [])
        # The quota and the name's uniqueness read before they write.
        call.database.lock(call.tx, f"environments:{call.region}:{call.account_id}")
        fingerprint = digest(params)
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
        version = self._usable_version(
            call, template["name"], params["templateMajorVersion"], params.get("templateMinorVersion")
        )
        environment_account_id = call.account_id
        connection_id = params.get(_CONNECTION)
        if connection_id is not None:
            environment_account_id = self._connection(call, connection_id, name)["environment_account_id"]
        repository = params.get(_REPOSITORY) or {}
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
            "proton_service_role_arn": params.get(_SERVICE_ROLE),
            "codebuild_role_arn": params.get(_CODEBUILD_ROLE),
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

    def _usable_version(self, call: Call, template_name: str, major_text: str, minor_text: str | None) -> Version:
        """The version an environment is deployed with; the minor defaults to the major's recommended one."""
        siblings = [v for v in self.templates.versions(call, template_name) if v.major == version_number(major_text)]
        if not siblings:
            raise ResourceNotFoundException(
                f"The requested environment template version does not exist: {template_name}:{major_text}"
            )
        if minor_text is None:
            published = [v for v in siblings if v.status == PUBLISHED]
            if not published:
                raise ValidationException(
                    f"Environment template {template_name} has no published minor version in major version "
                    f"{major_text}; publish one, or name a DRAFT with templateMinorVersion."
                )
            return max(published, key=lambda v: v.minor)
        found = next((v for v in siblings if v.minor == version_number(minor_text)), None)
        if found is None:
            raise version_not_found(template_name, major_text, minor_text)
        if found.status not in (PUBLISHED, DRAFT):
            # [doc] A version must be PUBLISHED; its owner (the only account that can name it) may use a DRAFT.
            raise ValidationException(
                f"Environment template version {template_name}:{found.major}.{found.minor} is {found.status}; "
                "only a PUBLISHED or DRAFT version can be deployed."
            )
        return found

    def _connection(self, call: Call, connection_id: str, environment_name: str) -> dict[str, Any]:
        """The connection an environment is provisioned through, after every rule of [decided] D-1."""
        found = connection_store.get_by_id(call.tx, connection_id, for_update=True)
        if found is None or call.account_id not in (found["management_account_id"], found["environment_account_id"]):
            raise ResourceNotFoundException(
                f"The requested environment account connection does not exist: {connection_id}"
            )
        problem = None
        if found["management_account_id"] != call.account_id:
            problem = f"its management account is {found['management_account_id']}, not the calling account"
        elif found["region"] != call.region:
            problem = f"it is in {found['region']}, not {call.region}"
        elif found["status"] != CONNECTED:
            problem = f"it is {found['status']}, not CONNECTED"
        elif found["environment_name"] != environment_name:
            problem = f"it serves environment {found['environment_name']}, not {environment_name}"
        if problem is not None:
            raise ValidationException(f"Environment account connection {connection_id} cannot be used: {problem}.")
        return found

    # -- deployments -----------------------------------------------------------------------------------

    def _start(
        self,
        call: Call,
        environment: dict[str, Any],
        deployment_id: str,
        kind: str,
        target: tuple[int, int, str | None],
    ) -> dict[str, Any]:
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
        return row

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
        target = self._target(call, environment, params, kind)
        changes = self._metadata_changes(call, environment, params)
        updated = {**environment, **changes}
        if kind != NONE:
            self._start(call, updated, str(uuid.uuid4()), UPDATE, target)
        store.update_environment(call.tx, call.scope, name, deployments.changed_columns(environment, updated))
        return {"environment": to_wire(updated)}

    def _target(
        self, call: Call, environment: dict[str, Any], params: dict[str, Any], kind: str
    ) -> tuple[int, int, str | None]:
        """[doc] What each deploymentType deploys: the template version and spec it moves the environment to."""
        major_text, minor_text = params.get("templateMajorVersion"), params.get("templateMinorVersion")
        major, minor = environment["template_major_version"], environment["template_minor_version"]
        template_name = environment["template_name"]
        if kind in (NONE, CURRENT_VERSION) and (major_text is not None or minor_text is not None):
            raise ValidationException(
                f"deploymentType {kind} keeps the template version; templateMajorVersion and templateMinorVersion "
                "go with MINOR_VERSION or MAJOR_VERSION."
            )
        if kind == NONE and params.get("spec") is not None:
            # [decided] D-5: NONE changes metadata only, so a spec would be silently dropped.
            raise ValidationException("deploymentType NONE changes metadata only; a spec needs CURRENT_VERSION.")
        spec = params.get("spec", environment["spec"])
        if kind == MINOR_VERSION:
            if major_text is not None and version_number(major_text) != major:
                raise ValidationException(
                    f"deploymentType MINOR_VERSION stays in major version {major}; use MAJOR_VERSION for "
                    f"major version {major_text}."
                )
            version = self._usable_version(call, template_name, str(major), minor_text)
            return version.major, version.minor, spec
        if kind == MAJOR_VERSION:
            if major_text is None:
                published = [v for v in self.templates.versions(call, template_name) if v.status == PUBLISHED]
                newest = max(published, key=lambda v: (v.major, v.minor), default=None)
                if newest is None or newest.major <= major:
                    raise ValidationException(
                        f"Environment template {template_name} has no published major version above {major}."
                    )
                return newest.major, newest.minor, spec
            if version_number(major_text) <= major:
                raise ValidationException(
                    f"deploymentType MAJOR_VERSION moves to a major version above {major}, not {major_text}."
                )
            version = self._usable_version(call, template_name, major_text, minor_text)
            return version.major, version.minor, spec
        return major, minor, spec

    def _metadata_changes(self, call: Call, environment: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """The description, roles, connection and repository an update gives, after the rules on switching."""
        name = environment["name"]
        through_connection = environment["environment_account_connection_id"] is not None
        self_managed = environment["repository_name"] is not None
        if params.get(_CONNECTION) is not None and params.get(_SERVICE_ROLE) is not None:
            # [doc] The connection and the service role cannot change in one call.
            raise ValidationException(f"Give {_CONNECTION} or {_SERVICE_ROLE} in one UpdateEnvironment call, not both.")
        # [decided] D-4: the way an environment is provisioned does not change.
        if params.get(_CONNECTION) is not None and not through_connection:
            raise ValidationException(
                f"Environment {name} is not provisioned through an environment account connection and cannot gain one."
            )
        if params.get(_SERVICE_ROLE) is not None and (through_connection or self_managed):
            raise ValidationException(
                f"Environment {name} is provisioned "
                f"{'through a connection' if through_connection else 'by its own repository'}; it takes no "
                f"{_SERVICE_ROLE}."
            )
        if params.get(_REPOSITORY) is not None and not self_managed:
            raise ValidationException(f"Environment {name} is not self-managed and cannot gain a {_REPOSITORY}.")
        changes: dict[str, Any] = {}
        connection_id = params.get(_CONNECTION)
        if connection_id is not None and connection_id != environment["environment_account_connection_id"]:
            connection = self._connection(call, connection_id, name)
            if connection["environment_account_id"] != environment["environment_account_id"]:
                # [doc] Only to a connection from the same environment account.
                raise ValidationException(
                    f"Environment account connection {connection_id} is from account "
                    f"{connection['environment_account_id']}; environment {name} is provisioned in "
                    f"{environment['environment_account_id']}."
                )
            changes["environment_account_connection_id"] = connection_id
        for member, column in (
            ("description", "description"),
            (_SERVICE_ROLE, "proton_service_role_arn"),
            (_CODEBUILD_ROLE, "codebuild_role_arn"),
            ("componentRoleArn", "component_role_arn"),
        ):
            if member in params:
                changes[column] = params[member]
        repository = params.get(_REPOSITORY)
        if repository is not None:
            changes.update(
                repository_provider=repository["provider"],
                repository_name=repository["name"],
                repository_branch=repository["branch"],
            )
        return changes

    # -- delete and cancel -----------------------------------------------------------------------------

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

    def _produced_by(self, call: Call, params: dict[str, Any]) -> dict[str, Any] | None:
        environment, _ = self._load(call, params["environmentName"])
        deployment_id = params.get("deploymentId") or environment["last_succeeded_deployment_id"]
        if deployment_id is None:
            return None
        row = store.get_deployment(call.tx, call.scope, deployment_id)
        if row is None or row["environment_name"] != environment["name"]:
            raise deployments.not_found(deployment_id)
        return row

    def list_outputs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"outputs": deployments.outputs_of(self._produced_by(call, params))}

    def list_provisioned_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        produced = self._produced_by(call, {**params, "deploymentId": None})
        return {"provisionedResources": deployments.provisioned_resources_of(produced)}

    def notify(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[doc] A self-managed environment's automation reports how its deployment went."""
        resource_arn = params["resourceArn"]
        arn = arns.parse(resource_arn)
        if arn is None or arn.account_id != call.account_id or arn.region != call.region:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_arn}")
        if arn.resource_type != RESOURCE_TYPE:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_arn}")
        environment, deployment = self._load(call, arn.resource_id)
        name = environment["name"]
        if environment["repository_name"] is None:
            # [decided] D-11
            raise ValidationException(
                f"Environment {name} is not self-managed: OpenProton settles its deployments itself."
            )
        deployment_id = params.get("deploymentId") or environment["last_attempted_deployment_id"]
        if deployment is None or deployment["id"] != deployment_id:
            if store.get_deployment(call.tx, call.scope, deployment_id) is None:
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


def _check_provisioning(params: dict[str, Any]) -> None:
    """[doc] Exactly one way to provision: a connection, roles in the management account, or a repository."""
    given = [member for member in (_CONNECTION, _SERVICE_ROLE, _REPOSITORY) if params.get(member) is not None]
    if len(given) > 1:
        raise ValidationException(
            f"An environment is provisioned in one way only; {' and '.join(given)} cannot be given together."
        )
    if not given and params.get(_CODEBUILD_ROLE) is None:
        raise ValidationException(
            f"An environment needs a way to be provisioned: give {_CONNECTION}, {_SERVICE_ROLE} (and/or "
            f"{_CODEBUILD_ROLE}), or {_REPOSITORY}."
        )
    if params.get(_REPOSITORY) is not None and params.get(_CODEBUILD_ROLE) is not None:
        raise ValidationException(f"A self-managed environment ({_REPOSITORY}) takes no {_CODEBUILD_ROLE}.")
