"""Service sync configs (repositories-and-sync.md, [decided] Y-14): which link, branch and OPS file a
service's instances and pipeline sync from. Checked and stored here; the runs are sync's work."""

from __future__ import annotations

from typing import Any

from openproton.store import service_sync_configs as store
from openproton.store import sync_state

from .call import Call
from .errors import ConflictException, ResourceNotFoundException, ValidationException
from .idempotency import digest
from .relations import Relations
from .services import Services

Row = dict[str, Any]


def _wire(row: Row) -> dict[str, Any]:
    return {
        "branch": row["branch"],
        "filePath": row["file_path"],
        "repositoryName": row["repository_name"],
        "repositoryProvider": row["repository_provider"],
        "serviceName": row["service_name"],
    }


def _not_found(service_name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested service sync config does not exist: {service_name}")


class ServiceSyncConfigs:
    def __init__(self, services: Services, relations: Relations) -> None:
        self.services = services
        self.relations = relations

    def _check(self, call: Call, params: dict[str, Any]) -> None:
        """[decided] Y-14: the service exists, the link exists (Y-5), no `..` segment in filePath."""
        if self.services.find(call, params["serviceName"]) is None:  # takes the scope's lock first
            raise ValidationException(f"Service {params['serviceName']} does not exist")
        self.relations.check_linked(call, {"provider": params["repositoryProvider"], "name": params["repositoryName"]})
        if ".." in params["filePath"].split("/"):
            raise ValidationException(f"filePath {params['filePath']!r} must not contain a `..` segment.")

    def _load(self, call: Call, service_name: str) -> Row:
        # A config goes with its service: one whose service reads as gone is not found (relations.py removes
        # the row when the service's deletion is stored).
        row = store.get(call.tx, call.scope, service_name)
        if row is None or self.services.find(call, service_name) is None:
            raise _not_found(service_name)
        return row

    @staticmethod
    def _columns(params: dict[str, Any]) -> Row:
        return {
            "repository_provider": params["repositoryProvider"],
            "repository_name": params["repositoryName"],
            "branch": params["branch"],
            "file_path": params["filePath"],
            "parameters_digest": digest(params),
        }

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["serviceName"]
        self._check(call, params)
        existing = store.get(call.tx, call.scope, name)
        if existing is not None:
            # [doc] one per service; [decided] Y-3: the same members return it
            if existing["parameters_digest"] != digest(params):
                raise ConflictException(f"Service {name} already has a sync config")
            return {"serviceSyncConfig": _wire(existing)}
        row = {
            "account_id": call.account_id,
            "region": call.region,
            "service_name": name,
            **self._columns(params),
            "created_at": call.now_ms,
        }
        store.insert(call.tx, row)
        return {"serviceSyncConfig": _wire(row)}

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"serviceSyncConfig": _wire(self._load(call, params["serviceName"]))}

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = self._load(call, params["serviceName"])
        self._check(call, params)
        changes = self._columns(params)
        store.update(call.tx, call.scope, row["service_name"], changes)
        return {"serviceSyncConfig": _wire({**row, **changes})}

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[doc] Returns the config and deletes no instance."""
        row = self._load(call, params["serviceName"])
        store.delete(call.tx, call.scope, row["service_name"])
        # [decided] Y-14: its attempts and records go with it (its instances' too); blockers stay.
        sync_state.forget_target(call.tx, call.scope, "SERVICE_SYNC", row["service_name"], with_children=True)
        return {"serviceSyncConfig": _wire(row)}
