"""The rules that join families, in one place: what is "in use by" what, and where a thing is "provisioned in".

Families never reach into each other's tables. Each receives this object when it is built (provider.py) and
asks it: may this connection be rejected, this environment or template version be deleted; where does an
instance in this environment run, through which connection, and may it be deployed now. Every answer reads
the resources as of the call's time, through the one deployment mechanism, so a deletion that has ended is
gone here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openproton.store import components as component_store
from openproton.store import connections as connection_store
from openproton.store import environments as environment_store
from openproton.store import repositories as repository_store
from openproton.store import service_sync_configs as service_sync_store
from openproton.store import services as service_store
from openproton.store import sync_blockers as sync_blocker_store
from openproton.store import sync_state
from openproton.store import template_sync_configs as template_sync_store

from .call import Call
from .deployment_view import DELETE_FAILED, DELETE_IN_PROGRESS
from .deployments import Deployments
from .errors import ValidationException
from .targets import COMPONENT, ENVIRONMENT, SERVICE_INSTANCE, SERVICE_PIPELINE, Row, TargetKind

CONNECTED = "CONNECTED"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a deployment of an environment or of an instance in it runs (services.md "ARNs, ownership")."""

    account_id: str  # the environment's account: the management account, or the connection's
    self_managed: bool  # the environment has a provisioning repository: its automation notifies [doc]
    fails_now: str | None  # [decided] D-14: why it cannot run (its connection is gone or not CONNECTED)


class Relations:
    def __init__(self, deployments: Deployments) -> None:
        self.deployments = deployments

    def _live(self, call: Call, kind: TargetKind, rows: Iterable[Row]) -> list[Row]:
        return [row for row in (self.deployments.current(call, kind, row)[0] for row in rows) if row is not None]

    def _lock(self, call: Call) -> None:
        if call.write:
            self.deployments.lock_scope(call)

    # -- in use by ---------------------------------------------------------------------------------------

    def environments_using_connection(self, call: Call, connection_id: str) -> list[str]:
        """Environments provisioned through the connection: it cannot be rejected while one exists."""
        self._lock(call)  # the management account's: the caller of Reject
        rows = environment_store.environments_using_connection(call.tx, connection_id)
        return [row["name"] for row in self._live(call, ENVIRONMENT, rows)]

    def environments_on_version(self, call: Call, template_name: str, major: int, minor: int) -> list[str]:
        """Environments on the environment template version or being deployed to it: it cannot be deleted."""
        self._lock(call)
        rows = environment_store.environments_of_template(call.tx, call.scope, template_name)
        return self._on_version(call, ENVIRONMENT, rows, major, minor)

    def instances_in_environment(self, call: Call, environment_name: str) -> list[str]:
        """[doc] Instances in an environment, in any status until gone: the environment cannot be deleted."""
        self._lock(call)
        rows = service_store.instances_in_environment(call.tx, call.scope, environment_name)
        return [f"{row['service_name']}/{row['name']}" for row in self._live(call, SERVICE_INSTANCE, rows)]

    def components_in_environment(self, call: Call, environment_name: str) -> list[tuple[Row, Row | None]]:
        """[doc] The environment's components, attached or not, in any status until gone, by name, each with
        its deployment under way: the environment cannot be deleted while there is one."""
        self._lock(call)
        found = []
        for row in component_store.in_environment(call.tx, call.scope, environment_name):
            component, deployment = self.deployments.current(call, COMPONENT, row)
            if component is not None:
                found.append((component, deployment))
        return found

    def component_of_instance(self, call: Call, instance: Row) -> tuple[Row, Row | None] | None:
        """[doc] The component attached to the instance now or by a deployment under way (one per instance), with
        that deployment: the instance cannot be removed while there is one."""
        wanted = (instance["service_name"], instance["name"])
        for component, deployment in self.components_in_environment(call, instance["environment_name"]):
            if (component["service_name"], component["service_instance_name"]) == wanted or (
                deployment is not None and (deployment["service_name"], deployment["service_instance_name"]) == wanted
            ):
                return component, deployment
        return None

    def service_template_version_users(self, call: Call, template_name: str, major: int, minor: int) -> list[str]:
        """[doc] Instances and pipelines on the service template version, or with a deployment under way to it
        (deleting instances count until gone): the version cannot be deleted."""
        self._lock(call)
        instances = service_store.instances_of_template(call.tx, call.scope, template_name)
        pipelines = service_store.pipelines_of_template(call.tx, call.scope, template_name)
        return self._on_version(call, SERVICE_INSTANCE, instances, major, minor) + self._on_version(
            call, SERVICE_PIPELINE, pipelines, major, minor
        )

    def _on_version(self, call: Call, kind: TargetKind, rows: Iterable[Row], major: int, minor: int) -> list[str]:
        """The targets (as messages name them) on the version, or with a deployment under way to it."""
        users = []
        for row in rows:
            target, deployment = self.deployments.current(call, kind, row)
            if target is None:
                continue
            on = (target["template_major_version"], target["template_minor_version"]) == (major, minor)
            going = deployment is not None and (
                deployment["target_major_version"],
                deployment["target_minor_version"],
            ) == (major, minor)
            if on or going:
                users.append(kind.label(target))
        return users

    # -- provisioned in ------------------------------------------------------------------------------------

    def environment(self, call: Call, name: str) -> Row | None:
        """The environment of that name as it reads now (locked first by a writer)."""
        self._lock(call)
        row = environment_store.get_environment(call.tx, call.scope, name)
        return None if row is None else self.deployments.current(call, ENVIRONMENT, row)[0]

    def deployable_environment(self, environment: Row | None) -> bool:
        """[decided] S-13: an instance goes only into an environment that deployed once and is not being deleted."""
        return (
            environment is not None
            and environment["last_succeeded_deployment_id"] is not None
            and environment["deployment_status"] not in (DELETE_IN_PROGRESS, DELETE_FAILED)
        )

    def placement(self, call: Call, environment: Row, *, what: str) -> Placement:
        """Where a deployment of the environment, or of `what` in it, runs if it starts now."""
        problem = None
        connection_id = environment["environment_account_connection_id"]
        if connection_id is not None:
            connection = connection_store.get_by_id(call.tx, connection_id)
            if connection is None or connection["status"] != CONNECTED:
                state = "deleted" if connection is None else connection["status"]
                # [doc] Proton cannot deploy through a connection that is gone. [decided] D-14: it fails at once.
                moved = "it" if what == f"environment {environment['name']}" else f"environment {environment['name']}"
                problem = (
                    f"Environment account connection {connection_id} is {state}: {what} cannot be deployed until "
                    f"UpdateEnvironment moves {moved} to a CONNECTED connection."
                )
        return Placement(
            account_id=environment["environment_account_id"] or call.account_id,
            self_managed=environment["repository_name"] is not None,
            fails_now=problem,
        )

    def component_role(self, call: Call, environment: Row) -> None:
        """[decided] C-5: directly defined components need a component role: the connection's for an environment
        provisioned through one (which must still exist), else the environment's; a self-managed one needs none."""
        if environment["repository_name"] is not None:
            return
        connection_id = environment["environment_account_connection_id"]
        if connection_id is not None:
            connection = connection_store.get_by_id(call.tx, connection_id)
            role = connection["component_role_arn"] if connection is not None else None
        else:
            role = environment["component_role_arn"]
        if role is None:
            raise ValidationException(
                f"Environment {environment['name']} has no component role; directly defined components aren't "
                "allowed in it"
            )

    def check_linked(self, call: Call, repository: dict[str, str] | None) -> None:
        """[decided] Y-5: a provisioning repository must be a link of the caller's account and region."""
        if repository is None:
            return
        self._lock(call)  # so that DeleteRepository (which takes it too) cannot unlink it meanwhile
        if repository_store.get(call.tx, call.scope, repository["provider"], repository["name"]) is None:
            raise ValidationException(f"Repository {repository['provider']}:{repository['name']} is not linked")

    def template_deleted(self, call: Call, template_type: str, name: str) -> None:
        """[decided] Y-10: deleting a template deletes its sync config, and with it its attempts and records."""
        template_sync_store.delete(call.tx, call.scope, template_type, name)
        sync_state.forget_target(call.tx, call.scope, "TEMPLATE_SYNC", f"{template_type}/{name}")

    def service_deleted(self, call: Call, name: str) -> None:
        """[decided] Y-14: deleting a service deletes its sync config (its attempts and records); [decided] Y-17:
        and its sync blockers, the service's own and its instances' (deleting only the config keeps them)."""
        service_sync_store.delete(call.tx, call.scope, name)
        sync_state.forget_target(call.tx, call.scope, "SERVICE_SYNC", name, with_children=True)
        sync_blocker_store.delete_of_service(call.tx, call.scope, name)

    def repository_users(self, call: Call, provider: str, name: str) -> list[str]:
        """[decided] Y-4: what names a repository link, so that it cannot be unlinked: self-managed environments
        (their provisioningRepository) and the account settings' pipelineProvisioningRepository."""
        self._lock(call)
        rows = environment_store.all_environments(call.tx, call.scope)
        users = [
            f"environment {row['name']}"
            for row in self._live(call, ENVIRONMENT, rows)
            if (row["repository_provider"], row["repository_name"]) == (provider, name)
        ]
        users += [
            f"template sync config {row['template_type']}/{row['template_name']}"
            for row in template_sync_store.of_repository(call.tx, call.scope, provider, name)
        ]
        users += [
            f"service sync config {row['service_name']}"
            for row in service_sync_store.of_repository(call.tx, call.scope, provider, name)
        ]
        settings = self.account_settings(call)
        if (settings["repository_provider"], settings["repository_name"]) == (provider, name):
            users.append("the account settings' pipelineProvisioningRepository")
        return users

    # -- account settings ------------------------------------------------------------------------------------

    def account_settings(self, call: Call) -> Row:
        """The scope's account settings; every member None until set."""
        return service_store.get_settings(call.tx, call.scope) or {
            "pipeline_service_role_arn": None,
            "pipeline_codebuild_role_arn": None,
            "repository_provider": None,
            "repository_name": None,
            "repository_branch": None,
        }
