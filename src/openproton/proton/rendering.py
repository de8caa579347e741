"""Rendering a deployment's infrastructure from its template version's bundle (bundles-and-provisioning.md P-1).

Every deployment of a bundle version is rendered in the request that starts it, whatever ends it; deletions only
for CodeBuild and Terraform folders (their commands and files need them). A render that fails fails the
deployment at once with the renderer's message. What was rendered is kept by deployment id for the admin
endpoints (P-6). The families hand this module the row and the state a deployment targets; it builds the
namespaces of P-1 from what the row is joined to (its environment, service, component, instances).
"""

from __future__ import annotations

from typing import Any

import orjson

from openproton.bundles.inputs import check_inputs
from openproton.bundles.model import (
    CLOUDFORMATION,
    CODEBUILD,
    ENVIRONMENT_FOLDER,
    INSTANCE_FOLDER,
    PIPELINE_FOLDER,
    TERRAFORM,
    Bundle,
    Folder,
    RenderError,
    RenderTarget,
    Schema,
)
from openproton.store import bundles as render_store
from openproton.store import deployments as deployment_store
from openproton.store import services as service_store

from . import arns, component_manifest, self_managed, service_specs, spec_inputs
from .call import Call
from .deployment_view import DELETE, outputs_of
from .provisioners import CLOUDFORMATION as CLOUDFORMATION_PROVISIONER
from .provisioners import CODEBUILD as CODEBUILD_PROVISIONER
from .provisioners import JOB_PROVISIONERS, NONE, SELF_MANAGED, SETTLE, Prepared
from .relations import Relations
from .targets import COMPONENT, ENVIRONMENT, SERVICE_INSTANCE, SERVICE_PIPELINE, Row, TargetKind, environment_arn
from .templates import Templates

_FOLDERS = {
    ENVIRONMENT.type: ENVIRONMENT_FOLDER,
    SERVICE_INSTANCE.type: INSTANCE_FOLDER,
    SERVICE_PIPELINE.type: PIPELINE_FOLDER,
}
_TYPES = {ENVIRONMENT.type: "environment", SERVICE_INSTANCE.type: "service_instance", SERVICE_PIPELINE.type: "pipeline"}
_PROVISIONERS = {CLOUDFORMATION: CLOUDFORMATION_PROVISIONER, CODEBUILD: CODEBUILD_PROVISIONER, TERRAFORM: SELF_MANAGED}


class Renderer:
    def __init__(
        self,
        environment_templates: Templates,
        service_templates: Templates,
        relations: Relations,
        *,
        timeout_seconds: float,
        provisioners: frozenset[str] = frozenset(),
    ) -> None:
        self.provisioners = provisioners
        self.templates = {ENVIRONMENT.type: environment_templates}
        self.templates[SERVICE_INSTANCE.type] = self.templates[SERVICE_PIPELINE.type] = service_templates
        self.relations = relations
        self.timeout_seconds = timeout_seconds

    def prepare(
        self,
        call: Call,
        kind: TargetKind,
        row: Row,
        deployment_id: str,
        action: str,
        major: int,
        minor: int,
        spec: str | None,
    ) -> Prepared:
        """What the deployment `deployment_id` of `row` to (major, minor, spec) is run by ([decided] P-8), with
        its rendered files kept (P-1, P-6), or why it fails now."""
        templates = self.templates.get(kind.type)
        if templates is None or templates.bundles is None:
            return Prepared(SETTLE)
        version = templates.store.get_version(call.tx, call.scope, row["template_name"], major, minor)
        bundle = templates.version_bundle(call, row["template_name"], version) if version is not None else None
        if bundle is None:
            return Prepared(SETTLE)  # [decided] B-3: registered without a bundle source
        folder = bundle.folders.get(_FOLDERS[kind.type])
        if folder is None:
            # [decided] P-8: a customer-managed environment provisions nothing; its spec gives its outputs.
            return Prepared(NONE, outputs=self._customer_outputs(call, bundle, row, spec, action))
        provisioner = _PROVISIONERS[folder.method] if _PROVISIONERS[folder.method] in self.provisioners else SETTLE
        tags = self._proton_tags(call, kind, row)
        job: dict[str, Any] | None = {"tags": tags} if provisioner in JOB_PROVISIONERS else None
        if job is not None and folder.method == CODEBUILD:
            # [decided] P-18: what the run needs of the manifest, fixed with the deployment.
            job.update(
                commands=list(folder.deprovision if action == DELETE else folder.provision),
                variables=dict(folder.env_variables),
                secrets=dict(folder.secrets),
            )
        if job is not None and provisioner == SELF_MANAGED:
            job.update(self._self_managed(call, kind, row, deployment_id, major, minor))
            if job["repository"] is None:
                # Nowhere to push (a pipeline without the account's repository, say): it ends as it would
                # without the provisioner, by the settle policy or Notify, rather than wait for nothing.
                provisioner, job = SETTLE, None
        if action == DELETE and folder.method == CLOUDFORMATION:
            return Prepared(provisioner, job=job)  # [decided] P-1: a stack is deleted by name, from nothing rendered
        try:
            target = RenderTarget(
                type=_TYPES[kind.type],
                resource_arn=kind.arn(row),
                namespaces=self._namespaces(call, kind, row, bundle, spec),
                proton_tags=tags,
            )
        except RenderError as failure:
            return Prepared(provisioner, failure=failure.message)
        return self._render(call, deployment_id, provisioner, job, folder, target)

    def prepare_component(self, call: Call, component: Row, deployment_id: str, action: str, target: Row) -> Prepared:
        """[decided] P-8 for a directly defined component: its manifest's method, when `--provisioners` lists
        it, runs it (components.md: "the manifest's method provisions it as a bundle folder is"), rendered from
        `target` (its template file, attachment and serviceSpec); else the settle policy ends it, as before."""
        file, engine = component_manifest.template_of(component["manifest"])
        method = TERRAFORM if engine == "hcl" else CLOUDFORMATION
        provisioner = _PROVISIONERS[method]
        if provisioner not in self.provisioners:
            return Prepared(SETTLE)
        row = {**component, **{key: target[key] for key in ("service_name", "service_instance_name")}}
        tags = {"proton:account": call.account_id, "proton:component": COMPONENT.arn(row)}
        tags["proton:environment"] = environment_arn(call.scope, component["environment_name"])
        job: dict[str, Any] = {"tags": tags}
        if provisioner == SELF_MANAGED:
            job.update(self._self_managed(call, COMPONENT, row, deployment_id, 0, 0))
        if action == DELETE and method == CLOUDFORMATION:
            return Prepared(provisioner, job=job)  # [decided] P-1: a stack is deleted by name
        folder = Folder(
            name="component",
            method=method,
            files={file: (target["template_file"] or "").encode()},
            templates=(file,),
        )
        namespaces: dict[str, Any] = {
            "component": {"name": component["name"]},
            "environment": self._environment(call, component["environment_name"]),
        }
        if target["service_instance_name"]:
            instance = service_store.get_instance(
                call.tx, call.scope, target["service_name"], target["service_instance_name"]
            )
            inputs = service_specs.inputs_of_instance(target["spec"], target["service_instance_name"])
            if not inputs and instance is not None:
                inputs = service_specs.inputs_of_instance(instance["spec"], instance["name"])
            namespaces["service"] = {"name": target["service_name"]}
            namespaces["service_instance"] = {"name": target["service_instance_name"], "inputs": inputs}
        render = RenderTarget(type="component", resource_arn=COMPONENT.arn(row), namespaces=namespaces)
        return self._render(call, deployment_id, provisioner, job, folder, render)

    def _render(
        self,
        call: Call,
        deployment_id: str,
        provisioner: str,
        job: dict[str, Any] | None,
        folder: Folder,
        target: RenderTarget,
    ) -> Prepared:
        """Render the folder for the deployment and keep what it rendered (P-1, P-6), or fail it now."""
        # Jinja loads with the first rendering, not at start-up: rendering is opt-in, and a server that never
        # renders should not pay for importing it (bench/PROFILE.md, start-up).
        from openproton.bundles.render import render_folder

        try:
            files = render_folder(folder, target, timeout_seconds=self.timeout_seconds)
        except RenderError as failure:
            return Prepared(provisioner, failure=failure.message)
        render_store.insert_render(
            call.tx,
            {
                "deployment_id": deployment_id,
                "account_id": call.account_id,
                "region": call.region,
                "provisioner": provisioner,
                "files": orjson.dumps([{"path": f.path, "content": f.content} for f in files]).decode(),
                "log": None,
                "pushed": None,
                "created_at": call.now_ms,
            },
        )
        return Prepared(provisioner, job=job)

    def _self_managed(
        self, call: Call, kind: TargetKind, row: Row, deployment_id: str, major: int, minor: int
    ) -> dict[str, Any]:
        """[decided] P-22: the repository, folder, branch and metadata of a self-managed deployment."""
        if kind.type == SERVICE_PIPELINE.type:
            holder: Row | None = self.relations.account_settings(call)
        elif kind.type == ENVIRONMENT.type:
            holder = row
        else:
            holder = self.relations.environment(call, row["environment_name"])
        repository = None
        if holder is not None and holder.get("repository_name") is not None:
            repository = {
                "provider": holder["repository_provider"],
                "name": holder["repository_name"],
                "branch": holder["repository_branch"],
            }
        if kind.type == COMPONENT.type:
            # [live] A component's metadata names it and its environment, under its own key.
            component = {"arn": kind.arn(row), "environmentArn": environment_arn(call.scope, row["environment_name"])}
            return self_managed.job_state(kind.type, kind.names(row), deployment_id, repository, component)
        metadata = {
            "arn": kind.arn(row),
            "templateArn": self.templates[kind.type].family.template_arn(call, row["template_name"]),
            "templateMajorVersion": str(major),
            "templateMinorVersion": str(minor),
        }
        if kind.type == SERVICE_INSTANCE.type:
            metadata["environmentArn"] = environment_arn(call.scope, row["environment_name"])
        return self_managed.job_state(kind.type, kind.names(row), deployment_id, repository, metadata)

    def _customer_outputs(
        self, call: Call, bundle: Bundle, row: Row, spec: str | None, action: str
    ) -> list[dict[str, str]]:
        if action == DELETE or bundle.schema is None:
            return []
        current_text = row["spec"] if row["spec"] != spec else None
        inputs = call.memo.get(spec_inputs.environment_key(bundle.schema, spec, current_text))
        if inputs is None:
            inputs = _effective(bundle.schema, "environment", spec_inputs.stored_environment_inputs(spec), None)
        # Schema order (B-11's order of the inputs); only strings are allowed in such a schema (B-6 step 8).
        return [{"key": key, "valueString": str(value)} for key, value in inputs.items()]

    # -- the namespaces of P-1 ------------------------------------------------------------------------------

    def _namespaces(self, call: Call, kind: TargetKind, row: Row, bundle: Bundle, spec: str | None) -> dict:
        schema = bundle.schema
        assert schema is not None
        if kind.type == ENVIRONMENT.type:
            current_text = row["spec"] if row["spec"] != spec else None
            inputs = call.memo.get(spec_inputs.environment_key(schema, spec, current_text))
            if inputs is None:  # a deployment no spec check preceded (a delete)
                current = spec_inputs.stored_environment_inputs(current_text)
                inputs = _effective(schema, "environment", spec_inputs.stored_environment_inputs(spec), current)
            return {"environment": {"name": row["name"], "inputs": inputs}}
        service = service_store.get_service(call.tx, call.scope, row["service_name"]) or {}
        service_namespace = _service(service)
        if kind.type == SERVICE_INSTANCE.type:
            inputs = _effective(
                schema,
                "service",
                service_specs.inputs_of_instance(spec, row["name"]),
                service_specs.inputs_of_instance(row["spec"], row["name"]),
            )
            environment = self._environment(call, row["environment_name"])
            instance = {
                "name": row["name"],
                "inputs": inputs,
                "components": self._components(call, row),
                "environment": environment,
            }
            return {"service": service_namespace, "service_instance": instance, "environment": environment}
        inputs = _effective(
            schema, "pipeline", service_specs.pipeline_inputs(spec), service_specs.pipeline_inputs(row["spec"])
        )
        instances = {}
        for instance in service_store.instances_of_service(call.tx, call.scope, row["service_name"]):
            if instance["deployment_status"] == "DELETE_IN_PROGRESS":
                continue  # going with this very operation
            instances[instance["name"]] = {
                "name": instance["name"],
                "inputs": _effective(
                    schema, "service", service_specs.inputs_of_instance(instance["spec"], instance["name"]), None
                ),
                "outputs": self._outputs(call, instance),
                "environment": self._environment(call, instance["environment_name"]),
            }
        return {"pipeline": {"inputs": inputs}, "service": service_namespace, "service_instances": instances}

    def _environment(self, call: Call, name: str) -> dict:
        environment = self.relations.environment(call, name)
        if environment is None:
            return {"name": name, "account_id": call.account_id, "outputs": {}}
        return {
            "name": name,
            "account_id": environment["environment_account_id"],
            "outputs": self._outputs(call, environment),
        }

    def _components(self, call: Call, instance: Row) -> dict:
        attached = self.relations.component_of_instance(call, instance)
        if attached is None:
            return {}  # the renderer makes `components.default` read `{}` [doc]
        component = attached[0]
        return {"default": {"name": component["name"], "outputs": self._outputs(call, component)}}

    @staticmethod
    def _outputs(call: Call, target: Row) -> dict:
        """The outputs of the target's last successful deployment, by key (CloudFormation's order)."""
        deployment_id = target.get("last_succeeded_deployment_id")
        deployment = deployment_store.get(call.tx, call.scope, deployment_id) if deployment_id else None
        return {item["key"]: item.get("valueString") for item in outputs_of(deployment)}

    def _proton_tags(self, call: Call, kind: TargetKind, row: Row) -> dict[str, str]:
        """The AWS-managed `proton:*` tags Proton puts on what it provisions [doc]."""
        templates = self.templates[kind.type]
        tags = {
            "proton:account": call.account_id,
            "proton:template": templates.family.template_arn(call, row["template_name"]),
        }
        if kind.type == ENVIRONMENT.type:
            tags["proton:environment"] = environment_arn(call.scope, row["name"])
        else:
            tags["proton:service"] = arns.build(call.region, call.account_id, "service", row["service_name"])
        if kind.type == SERVICE_INSTANCE.type:
            tags["proton:environment"] = environment_arn(call.scope, row["environment_name"])
            tags["proton:service-instance"] = kind.arn(row)
        return tags


def _service(service: Row) -> dict:
    namespace = {"name": service.get("name")}
    if service.get("repository_id"):
        # [doc] With a repository the service namespace also names it and the branch.
        namespace.update(
            branch_name=service.get("branch_name"),
            repository_connection_arn=service.get("repository_connection_arn"),
            repository_id=service.get("repository_id"),
        )
    return namespace


def _effective(schema: Schema, section: str, inputs: dict | None, current: dict | None) -> dict:
    """The inputs a render uses; the call that started the deployment already refused a spec with problems."""
    if section not in schema.input_types:
        return {}
    effective, _problems = check_inputs(schema, section, inputs, "spec", current=current, creating=False)
    return effective
