"""Service pipelines (services.md): UpdateServicePipeline, its cancel, and what its deployments produced.

A pipeline is created and deleted with its service (services.py); it always runs in the management account,
with the account settings' roles.
"""

from __future__ import annotations

from typing import Any

from openproton.store import services as store

from .call import Call
from .deployment_view import UNDER_WAY, UPDATE, outputs_of, provisioned_resources_of
from .environment_rules import NONE, update_target
from .service_deployments import SERVICE_BUSY, ServiceParts, conflict
from .service_view import pipeline_wire
from .services import Services
from .sync_blockers import ManualChanges, pipeline_reason
from .targets import SERVICE_PIPELINE, Row, no_pipeline


class ServicePipelines:
    def __init__(self, services: Services, parts: ServiceParts, manual_changes: ManualChanges) -> None:
        self.services = services
        self.parts = parts
        self.manual_changes = manual_changes  # [decided] Y-17: deploying the pipeline raises a service blocker

    def find(self, call: Call, service_name: str) -> Row | None:
        if self.services.find(call, service_name) is None:
            return None
        return self.parts.pipeline(call, service_name)[0]

    def _load(self, call: Call, service_name: str) -> tuple[Row, Row, Row | None]:
        service = self.services.load(call, service_name)
        pipeline, deployment = self.parts.pipeline(call, service["name"])
        if pipeline is None:
            raise no_pipeline(service["name"])  # [decided] S-4
        return service, pipeline, deployment

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        service, pipeline, deployment = self._load(call, params["serviceName"])
        if service["status"] in SERVICE_BUSY:
            raise conflict(f"Service {service['name']} is {service['status']}", "updating its pipeline")  # S-17
        if deployment is not None or pipeline["deployment_status"] in UNDER_WAY:
            raise conflict(
                f"The pipeline of service {service['name']} has a deployment {pipeline['deployment_status']}",
                "updating it",
            )
        kind = params["deploymentType"]
        # [decided] S-21: the spec must pass S-10 even when NONE deploys nothing.
        self.services.parse_spec(call, params["spec"])
        if kind == NONE:
            return {"pipeline": pipeline_wire(pipeline)}  # [decided] S-21: nothing deployed, nothing stored
        self.parts.check_pipeline_roles(call)  # [decided] S-23
        # [doc] UpdateEnvironment's version rules on the pipeline's own version, no compatibility check. The
        # spec is required, so the D-5 rule (NONE with a spec) cannot apply: NONE ignores it, above.
        major, minor, _ = update_target(
            self.parts.templates, call, pipeline, {k: v for k, v in params.items() if k != "spec"}, kind
        )
        self.parts.check_spec_inputs(
            call,
            pipeline["template_name"],
            self.parts.templates.version(call, pipeline["template_name"], str(major), str(minor)),
            params["spec"],
            pipeline=True,
            current=pipeline["spec"],
        )
        updated = dict(pipeline)
        self.parts.start_pipeline(call, updated, UPDATE, (major, minor, params["spec"]))
        self.manual_changes.record_manual_change(call, service["name"], None, pipeline_reason(service["name"]))
        store.update_pipeline(
            call.tx, call.scope, service["name"], {k: v for k, v in updated.items() if pipeline[k] != v}
        )
        return {"pipeline": pipeline_wire(updated)}

    def cancel(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _, pipeline, deployment = self._load(call, params["serviceName"])
        cancelled = self.parts.deployments.cancel(call, SERVICE_PIPELINE, pipeline, deployment, updates_only=True)
        return {"pipeline": pipeline_wire(cancelled)}

    def list_outputs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _, pipeline, _ = self._load(call, params["serviceName"])
        produced = self.parts.deployments.produced_by(call, SERVICE_PIPELINE, pipeline, params.get("deploymentId"))
        return {"outputs": outputs_of(produced)}

    def list_provisioned_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _, pipeline, _ = self._load(call, params["serviceName"])
        produced = self.parts.deployments.produced_by(call, SERVICE_PIPELINE, pipeline, None)
        return {"provisionedResources": provisioned_resources_of(produced)}
