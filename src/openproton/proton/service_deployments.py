"""Deploying a service's parts: its instances and its pipeline, and the service status their deployments add up to.

Shared by services.py (CreateService, UpdateService, DeleteService), service_instances.py and
service_pipelines.py, so that every way an instance or a pipeline is deployed starts it the same way: through the
one deployment mechanism (deployments.py), where its environment places it (relations.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from openproton.store import Scope
from openproton.store import deployments as deployment_store
from openproton.store import services as store
from openproton.store.sql import Tx

from . import service_specs, spec_inputs
from .account_settings import NO_PIPELINE_ROLES, can_run_pipelines, pipelines_self_managed
from .call import Call
from .deployment_view import CREATE, DELETE, DELETE_FAILED, FAILED, UNDER_WAY, as_of, started_mirror
from .deployments import Deployments
from .environment_rules import usable_version
from .errors import ConflictException, ValidationException
from .relations import Relations
from .rendering import Renderer
from .service_templates import ServiceTemplates, compatible_of
from .settle_policy import Plan
from .targets import SERVICE_INSTANCE, SERVICE_PIPELINE, Row, instance_arn, instance_not_found, versioned
from .templates import Version

CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS = (
    "CREATE_IN_PROGRESS",
    "UPDATE_IN_PROGRESS",
    "DELETE_IN_PROGRESS",
)
SERVICE_BUSY = (CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS)


def cascade_message(instance_arns: list[str]) -> str:
    # [decided] S-14: the observed wording.
    return f"Service Instance(s): [{', '.join(instance_arns)}] failed to deploy - canceling pipeline deployment"


def fail_pipeline_with_instance(deployments: Deployments) -> Any:
    """[decided] S-14: an instance failing while its service's pipeline deployment is under way fails that one at
    once. Runs when a notification or the admin interface fails an instance deployment."""

    def rule(tx: Tx, deployment: Row, now_ms: int) -> None:
        scope = Scope(deployment["account_id"], deployment["region"])
        service = store.get_service(tx, scope, deployment["service_name"])
        if service is None or service["operation"] not in ("CREATE", "UPDATE"):
            return
        ids = orjson.loads(service["operation_deployments"])
        if deployment["id"] not in ids:
            return
        for other_id in ids:
            other = deployment_store.get(tx, scope, other_id)
            if other is None or other["target_type"] != SERVICE_PIPELINE.type:
                continue
            if as_of(other, now_ms)["status"] in UNDER_WAY:
                arn = instance_arn(scope, deployment["service_name"], deployment["service_instance_name"])
                deployments.set_ending(tx, other, FAILED, cascade_message([arn]), now_ms)

    return rule


class ServiceParts:
    """The instances and pipeline of services: reading them now, and starting their deployments."""

    def __init__(
        self, templates: ServiceTemplates, deployments: Deployments, relations: Relations, renderer: Renderer
    ) -> None:
        self.renderer = renderer
        self.templates = templates
        self.deployments = deployments
        self.relations = relations

    # -- reading --------------------------------------------------------------------------------------------

    def instance(self, call: Call, service_name: str, name: str) -> tuple[Row | None, Row | None]:
        row = store.get_instance(call.tx, call.scope, service_name, name)
        if row is None:
            return None, None
        return self.deployments.current(call, SERVICE_INSTANCE, row)

    def load_instance(self, call: Call, service_name: str, name: str) -> tuple[Row, Row | None]:
        instance, deployment = self.instance(call, service_name, name)
        if instance is None:
            raise instance_not_found(call.scope, service_name, name)
        return instance, deployment

    def instances(self, call: Call, service_name: str) -> list[tuple[Row, Row | None]]:
        """The service's instances as they read now, by name, with their deployments under way."""
        found = []
        for row in store.instances_of_service(call.tx, call.scope, service_name):
            instance, deployment = self.deployments.current(call, SERVICE_INSTANCE, row)
            if instance is not None:
                found.append((instance, deployment))
        return found

    def pipeline(self, call: Call, service_name: str) -> tuple[Row | None, Row | None]:
        row = store.get_pipeline(call.tx, call.scope, service_name)
        if row is None:
            return None, None
        return self.deployments.current(call, SERVICE_PIPELINE, row)

    # -- the rules of an instance's environment and version --------------------------------------------------

    def check_environment(self, call: Call, environment_name: str, version: Version) -> Row:
        """[decided] S-13: the environment is deployed, and its template is compatible with the version."""
        environment = self.relations.environment(call, environment_name)
        if environment is None or not self.relations.deployable_environment(environment):
            raise ValidationException(f"Environment {environment_name} is not deployed")
        self.check_compatible(environment, version)
        return environment

    @staticmethod
    def check_compatible(environment: Row, version: Version) -> None:
        pair = (environment["template_name"], environment["template_major_version"])
        if pair not in compatible_of(version.row):
            raise ValidationException(
                f"Environment {environment['name']} (template {pair[0]}:{pair[1]}) is not compatible with service "
                f"template version {version.row['template_name']}:{version.major}.{version.minor}"
            )

    def default_version(self, call: Call, template_name: str, major: str | None, minor: str | None) -> Version:
        """[decided] S-18: both members, that version; major only, its recommended minor; none, the template's
        recommended version."""
        if major is not None:
            return usable_version(self.templates, call, template_name, major, minor)
        published = [v for v in self.templates.versions(call, template_name) if v.status == "PUBLISHED"]
        newest = max(published, key=lambda v: (v.major, v.minor), default=None)
        if newest is None:
            raise ValidationException(f"Service template {template_name} has no published version.")
        return newest

    def check_no_component(self, call: Call, instances: list[Row], action: str) -> None:
        """[doc] An instance with a component attached, now or by a deployment under way, cannot go."""
        for instance in instances:
            attached = self.relations.component_of_instance(call, instance)
            if attached is not None:
                raise ConflictException(
                    f"Service instance {instance['service_name']}/{instance['name']} has an attached component "
                    f"{attached[0]['name']}; detach or delete it before {action}."
                )

    def check_pipeline_roles(self, call: Call) -> Row:
        settings = self.relations.account_settings(call)
        if not can_run_pipelines(settings):
            raise ValidationException(NO_PIPELINE_ROLES)  # [decided] S-23
        return settings

    # -- specs against their version's schema (bundles-and-provisioning.md B-9 to B-13) ----------------------

    def check_spec_inputs(
        self,
        call: Call,
        template_name: str,
        version: Version,
        spec_text: str,
        *,
        instances: list[str] = (),  # type: ignore[assignment]
        pipeline: bool = False,
        current: str | None = None,
    ) -> None:
        """The inputs of the named instances' entries and (`pipeline`) of the pipeline section, when the version
        came from a bundle; `current`: the spec in effect, for `${Proton::CURRENT_VAL}` (B-11)."""
        schema = spec_inputs.schema_of(self.templates, call, template_name, version)
        if schema is None:
            return
        problems: list[tuple[str, str]] = []
        for name in instances:
            problems.extend(
                spec_inputs.instance_inputs(
                    schema,
                    name,
                    service_specs.inputs_of_instance(spec_text, name),
                    current=service_specs.inputs_of_instance(current, name) if current else None,
                    creating=current is None,
                )[1]
            )
        if pipeline:
            problems.extend(
                spec_inputs.pipeline_inputs(
                    schema,
                    service_specs.pipeline_inputs(spec_text),
                    current=service_specs.pipeline_inputs(current) if current else None,
                    creating=current is None,
                )[1]
            )
        spec_inputs.raise_if(problems)

    # -- starting deployments ---------------------------------------------------------------------------------

    def new_instance(
        self, call: Call, service: Row, entry: service_specs.InstanceEntry, version: Version, spec_text: str
    ) -> Row:
        return {
            "account_id": call.account_id,
            "region": call.region,
            "service_name": service["name"],
            "name": entry.name,
            "environment_name": entry.environment,
            "template_name": service["template_name"],
            "template_major_version": version.major,
            "template_minor_version": version.minor,
            "spec": spec_text,  # [decided] S-9: the creating document until a deployment succeeds
            "last_client_request_token": None,
            "last_client_request_digest": None,
            **started_mirror(call.now_ms),
        }

    def start_instance(
        self, call: Call, instance: Row, action: str, target: tuple[int, int, str | None], environment: Row | None
    ) -> Row:
        """Start a deployment of `instance` (changed in place) where its environment places it."""
        if environment is None:
            environment = self.relations.environment(call, instance["environment_name"])
        pipeline = store.get_pipeline(call.tx, call.scope, instance["service_name"])
        component = self.relations.component_of_instance(call, instance)
        what = f"service instance {instance['name']}"
        placement = self.relations.placement(call, environment, what=what) if environment is not None else None
        deployment_id = str(uuid.uuid4())
        prepared = self.renderer.prepare(call, SERVICE_INSTANCE, instance, deployment_id, action, *target)
        fails_now = (placement.fails_now if placement else None) or prepared.failure
        return self.deployments.start(
            call,
            SERVICE_INSTANCE,
            instance,
            deployment_id,
            action,
            versioned(*target),
            # [doc] An instance in a self-managed environment is deployed by the customer's automation.
            self_managed=placement is not None and placement.self_managed,
            environment_account_id=placement.account_id if placement else call.account_id,
            fails_now=fails_now,
            prepared=prepared,
            state={
                "last_successful_environment_deployment_id": environment
                and environment["last_succeeded_deployment_id"],
                "last_successful_pipeline_deployment_id": pipeline and pipeline["last_succeeded_deployment_id"],
                # [decided] C-14
                "last_successful_component_deployment_id": component and component[0]["last_succeeded_deployment_id"],
            },
        )

    def start_pipeline(
        self,
        call: Call,
        pipeline: Row,
        action: str,
        target: tuple[int, int, str | None],
        *,
        instance_failures: list[Row] = (),  # type: ignore[assignment]
    ) -> Row:
        """Start a deployment of the pipeline (changed in place), in the management account.

        `instance_failures`: deployments of the same operation's instances that are set to fail: the pipeline's
        fails with the first of them if it would still be under way then ([decided] S-14).
        """
        settings = self.relations.account_settings(call)
        self_managed = pipelines_self_managed(settings)
        plan: Plan | None = None
        if action != DELETE:
            plan = self.deployments.plan(call.tx, call.now_ms, self_managed=self_managed)
            failing = [d for d in instance_failures if d["outcome"] == FAILED and d["settles_at"] is not None]
            if failing:
                first = min(d["settles_at"] for d in failing)
                if plan[2] is None or plan[2] > first:
                    arns = [
                        instance_arn(call.scope, d["service_name"], d["service_instance_name"])
                        for d in failing
                        if d["settles_at"] == first
                    ]
                    plan = (FAILED, cascade_message(arns), first)
        instances = store.instances_of_service(call.tx, call.scope, pipeline["service_name"])
        if action != DELETE:
            # Instances this very operation removes are not the service's any more.
            instances = [row for row in instances if row["deployment_status"] != DELETE_IN_PROGRESS]
        deployment_id = str(uuid.uuid4())
        prepared = self.renderer.prepare(call, SERVICE_PIPELINE, pipeline, deployment_id, action, *target)
        return self.deployments.start(
            call,
            SERVICE_PIPELINE,
            pipeline,
            deployment_id,
            action,
            versioned(*target),
            self_managed=self_managed,
            environment_account_id=call.account_id,
            plan=plan,
            fails_now=prepared.failure,
            prepared=prepared,
            # [decided] S-25: the environment of the service's first instance by name at the start.
            names={"environment_name": instances[0]["environment_name"] if instances else None},
        )

    def new_pipeline(self, call: Call, service: Row, version: Version, spec_text: str) -> Row:
        return {
            "account_id": call.account_id,
            "region": call.region,
            "service_name": service["name"],
            "id": str(uuid.uuid4()),  # [decided] S-1
            "template_name": service["template_name"],
            "template_major_version": version.major,
            "template_minor_version": version.minor,
            "spec": spec_text,
            **started_mirror(call.now_ms),
        }


# -- the status a service's latest operation adds up to ([decided] S-14) ------------------------------------------


def operation_status(operation: str, deployments: list[Row]) -> tuple[str | None, str | None]:
    """(status, message) once every deployment of the operation has ended; (None, None) for a DELETE that
    removed everything (the service is gone). Call only when none is under way."""
    instance_failed = sorted(
        d["service_instance_name"]
        for d in deployments
        if d["target_type"] == SERVICE_INSTANCE.type and d["status"] == FAILED
    )
    pipeline_failed = any(d["target_type"] == SERVICE_PIPELINE.type and d["status"] == FAILED for d in deployments)
    delete_failed = sorted(
        d["service_instance_name"] or "pipeline" for d in deployments if d["status"] == DELETE_FAILED
    )
    deploy_message = "; ".join(
        [
            *([f"Service instance(s) failed to deploy: {', '.join(instance_failed)}"] if instance_failed else []),
            *(["Service pipeline failed to deploy"] if pipeline_failed else []),
        ]
    )
    delete_message = f"Service resources failed to delete: {', '.join(delete_failed)}" if delete_failed else None
    if operation == CREATE:
        return ("CREATE_FAILED", deploy_message) if deploy_message else ("ACTIVE", None)
    if operation == "UPDATE":
        if deploy_message:
            return "UPDATE_FAILED", deploy_message
        if delete_failed:
            return "UPDATE_COMPLETE_CLEANUP_FAILED", delete_message
        return "ACTIVE", None
    if delete_failed:
        return DELETE_FAILED, delete_message
    return None, None


def busy(service: Row, parts: list[tuple[Row, Row | None]]) -> str | None:
    """[decided] S-17: why the service's instances and pipeline cannot be changed now, or None."""
    if service["status"] in (CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS):
        return f"Service {service['name']} is {service['status']}"
    for row, deployment in parts:
        if deployment is not None or row["deployment_status"] in UNDER_WAY:
            what = f"service instance {row['name']}" if "name" in row else "the service pipeline"
            return f"Service {service['name']} has a deployment {row['deployment_status']} on {what}"
    return None


def conflict(reason: str, action: str) -> ConflictException:
    return ConflictException(f"{reason}; wait for it to end before {action}.")
