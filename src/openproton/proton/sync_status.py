"""GetRepositorySyncStatus, GetTemplateSyncStatus and GetServiceInstanceSyncStatus ([decided] Y-7, Y-9, Y-13, Y-16).

What runs recorded, read as of the call: a resource attempt whose deployment is under way reads IN_PROGRESS,
then as its deployment ended. A target never seen answers `{}`.
"""

from __future__ import annotations

import json
from typing import Any

from openproton.store import deployments as deployment_store
from openproton.store import repositories as repository_store
from openproton.store import sync_state as store
from openproton.store import template_sync_configs as template_config_store

from .call import Call
from .deployment_view import as_of
from .repositories import not_found as repository_not_found
from .service_instances import ServiceInstances
from .sync_runs import SERVICE_SYNC, SUCCEEDED, TEMPLATE_SYNC
from .sync_view import DeploymentReader, repository_attempt, resolved, resource_attempt
from .targets import instance_not_found
from .template_sync_configs import config_not_found as template_config_not_found

_HISTORY = 100  # attempts looked through for the latest successful one


def deployment_reader(tx: Any, now_ms: int) -> DeploymentReader:
    """A deployment's (status, message, completedAt) as of now, within the caller's transaction."""

    def read(deployment_id: str) -> tuple[str, str | None, int | None] | None:
        row = deployment_store.find(tx, deployment_id)
        if row is None:
            return None
        row = as_of(row, now_ms)
        return row["status"], row["status_message"], row["completed_at"]

    return read


class SyncStatus:
    def __init__(self, instances: ServiceInstances) -> None:
        self.instances = instances

    def repository(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        provider, name = params["repositoryProvider"], params["repositoryName"]
        if repository_store.get(call.tx, call.scope, provider, name) is None:
            raise repository_not_found(call, provider, name)
        unit = {
            "account_id": call.account_id,
            "region": call.region,
            "repository_provider": provider,
            "repository_name": name,
            "branch": params["branch"],
            "sync_type": params["syncType"],
        }
        row = store.latest_attempt(call.tx, unit)
        return {} if row is None else {"latestSync": repository_attempt(row)}

    def template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        kind, name = params["templateType"], params["templateName"]
        if template_config_store.get(call.tx, call.scope, kind, name) is None:
            raise template_config_not_found(kind, name)
        return self._target(call, TEMPLATE_SYNC, f"{kind}/{name}", params["templateVersion"])

    def service_instance(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        service, name = params["serviceName"], params["serviceInstanceName"]
        if self.instances.find(call, service, name) is None:
            self.instances.services.load(call, service)  # an unknown service is named as such
            raise instance_not_found(call.scope, service, name)
        return self._target(call, SERVICE_SYNC, f"{service}/{name}", "")

    def _target(self, call: Call, sync_type: str, target: str, major: str) -> dict[str, Any]:
        reader = deployment_reader(call.tx, call.now_ms)
        rows = store.resource_attempts(call.tx, call.scope, sync_type, target, major, limit=_HISTORY)
        result: dict[str, Any] = {}
        if rows:
            result["latestSync"] = resource_attempt(rows[0], reader)
            succeeded = next((row for row in rows if resolved(row, reader)[0] == SUCCEEDED), None)
            if succeeded is not None:
                result["latestSuccessfulSync"] = resource_attempt(succeeded, reader)
        record = store.get_record(call.tx, call.scope, sync_type, target, major)
        if record is not None and record["desired_state"]:
            result["desiredState"] = json.loads(record["desired_state"])
        return result
