"""Sync blockers ([doc]; [decided] Y-17): GetServiceSyncBlockerSummary and UpdateServiceSyncBlocker.

A manual change of a synced service raises a blocker (relations.manual_change, called by the service operations
in their own transaction); service sync skips what a blocker stops (service_sync.py); resolving it lets the next
run sync the target again, overwriting the manual change.
"""

from __future__ import annotations

from typing import Any

from openproton.protocol.serializer import Millis
from openproton.store import sync_blockers as store

from .call import Call
from .errors import ConflictException, ResourceNotFoundException
from .service_instances import ServiceInstances
from .targets import instance_not_found

Row = dict[str, Any]
RECENT_RESOLVED = 5  # [decided] Y-17: the summary's last RESOLVED blockers


def blocker_wire(row: Row) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "createdAt": Millis(row["created_at"]),
        "createdReason": row["created_reason"],
        "id": row["id"],
        "status": row["status"],
        "type": row["type"],
    }
    if row["service_instance_name"] is not None:
        wire["contexts"] = [{"key": "serviceInstanceName", "value": row["service_instance_name"]}]
    if row["resolved_at"] is not None:
        wire["resolvedAt"] = Millis(row["resolved_at"])
        wire["resolvedReason"] = row["resolved_reason"]
    return wire


class SyncBlockers:
    def __init__(self, instances: ServiceInstances) -> None:
        self.instances = instances

    def summary(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        service, instance = params["serviceName"], params.get("serviceInstanceName")
        self.instances.services.load(call, service)  # an unknown service is not found, as such
        if instance is not None and self.instances.find(call, service, instance) is None:
            raise instance_not_found(call.scope, service, instance)
        rows = [row for row in [store.active(call.tx, call.scope, service, instance)] if row is not None]
        rows += store.resolved(call.tx, call.scope, service, instance, RECENT_RESOLVED)
        summary: dict[str, Any] = {"serviceName": service, "latestBlockers": [blocker_wire(row) for row in rows]}
        if instance is not None:
            summary["serviceInstanceName"] = instance
        return {"serviceSyncBlockerSummary": summary}

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        blocker_id = params["id"]
        row = store.get(call.tx, call.scope, blocker_id)
        if row is None:
            raise ResourceNotFoundException(f"The requested sync blocker does not exist: {blocker_id}")
        if row["status"] == "RESOLVED":
            raise ConflictException(f"Sync blocker {blocker_id} is already resolved")
        changes = {"status": "RESOLVED", "resolved_at": call.now_ms, "resolved_reason": params["resolvedReason"]}
        store.resolve(call.tx, call.scope, blocker_id, changes)
        answer: dict[str, Any] = {
            "serviceName": row["service_name"],
            "serviceSyncBlocker": blocker_wire({**row, **changes}),
        }
        if row["service_instance_name"] is not None:
            answer["serviceInstanceName"] = row["service_instance_name"]
        return answer
