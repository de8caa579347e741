"""Sync blockers ([doc]; [decided] Y-17): the rule that raises them, GetServiceSyncBlockerSummary and
UpdateServiceSyncBlocker.

While a service has a service sync config, a client's change of it (a manual change) raises an ACTIVE blocker on
the instance it changed or on the whole service; service sync leaves a blocked target alone until someone resolves
the blocker, and the next run then syncs it again, overwriting the manual change.

Who calls what:
- The service families (services.py, service_instances.py, service_pipelines.py) receive a `ManualChanges` when
  provider.py builds them and call `record_manual_change(call, service_name, instance_name, reason)` in the
  operation's own transaction, after the change is made: a refused call rolls the blocker back with the rest.
- The sync engine asks, in a transaction of its own (`tx`, `scope` = the unit's account and region):
  - `blocking(tx, scope, service_name, instance_name) -> Row | None`: the ACTIVE blocker that stops the target: the
    service's own, or else (instance_name given) the instance's;
  - `is_blocked(tx, scope, service_name, instance_name) -> bool`: whether `blocking` finds one;
  - `active_blocker(tx, scope, service_name, instance_name) -> Row | None`: the target's own ACTIVE blocker only
    (instance_name None: the service's), which is what the Y-16 steps check one at a time.
  A row has `id`, `service_name`, `service_instance_name` (None for the service's own), `created_reason`,
  `created_at`, ... (the columns of store/tables.py `sync_blockers`).
  Its own operations run with `Call(manual=False)` (sync_calls.py), which raise no blockers ([decided] Y-16).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from openproton.protocol.serializer import Millis
from openproton.store import Scope
from openproton.store import service_sync_configs as config_store
from openproton.store import sync_blockers as store
from openproton.store.sql import Tx

from .call import Call
from .errors import ConflictException, ResourceNotFoundException
from .targets import instance_not_found

if TYPE_CHECKING:  # the families are built after ManualChanges, which they receive
    from .service_instances import ServiceInstances
    from .services import Services

Row = dict[str, Any]

# [decided] Y-17: a summary gives the target's ACTIVE blocker, then at most this many RESOLVED ones, newest first.
RESOLVED_SHOWN = 5
AUTOMATED = "AUTOMATED"
# [decided] Y-17: a target's blockers are created at strictly increasing times (a blocker made in the same
# millisecond as the one before it reads 1 ms later), so "newest first" is one order in every mode.
_CREATED_STEP_MS = 1


def creation_reason(instance_name: str) -> str:
    """[decided] Y-17: CreateServiceInstance, or UpdateService adding the instance."""
    return f"Manual creation of service instance {instance_name}"


def update_reason(instance_name: str) -> str:
    """[decided] Y-17: UpdateServiceInstance with a deployment type other than NONE."""
    return f"Manual update of service instance {instance_name}"


def deletion_reason(instance_name: str) -> str:
    """[decided] Y-17: UpdateService removing the instance (the blocker is on the service)."""
    return f"Manual deletion of service instance {instance_name}"


def pipeline_reason(service_name: str) -> str:
    """[decided] Y-17: UpdateServicePipeline with a deployment type other than NONE."""
    return f"Manual update of the pipeline of service {service_name}"


# -- for the sync engine -----------------------------------------------------------------------------------------


def active_blocker(tx: Tx, scope: Scope, service_name: str, instance_name: str | None) -> Row | None:
    """The target's own ACTIVE blocker: the service's (instance_name None) or that instance's."""
    return store.active(tx, scope, service_name, instance_name)


def blocking(tx: Tx, scope: Scope, service_name: str, instance_name: str | None) -> Row | None:
    """[doc] The ACTIVE blocker that stops the target: a service blocker stops the whole service, an instance
    blocker that instance."""
    found = store.active(tx, scope, service_name, None)
    if found is None and instance_name is not None:
        found = store.active(tx, scope, service_name, instance_name)
    return found


def is_blocked(tx: Tx, scope: Scope, service_name: str, instance_name: str | None) -> bool:
    return blocking(tx, scope, service_name, instance_name) is not None


# -- the rule ----------------------------------------------------------------------------------------------------


class ManualChanges:
    """[decided] Y-17: which changes raise a blocker. Built before the service families, which receive it."""

    def record_manual_change(self, call: Call, service_name: str, instance_name: str | None, reason: str) -> Row | None:
        """An ACTIVE blocker on the instance (instance_name None: on the service), in the call's transaction;
        the blocker it made, or None when it made none."""
        if not call.manual:
            return None  # [decided] Y-16: sync's own calls are not manual changes
        if config_store.get(call.tx, call.scope, service_name) is None:
            return None  # [doc] only a service that has a sync config is blocked
        if store.active(call.tx, call.scope, service_name, instance_name) is not None:
            return None  # [decided] Y-17: at most one ACTIVE blocker per target; the first one's reason stays
        # The caller took the scope's lock (it loaded the service to change it), so no other writer raises one
        # on the same target between the read above and the insert.
        before = store.last(call.tx, call.scope, service_name, instance_name)
        created_at = call.now_ms if before is None else max(call.now_ms, before["created_at"] + _CREATED_STEP_MS)
        row: Row = {
            "id": str(uuid.uuid4()),  # lowercase, as the API's other ids
            "account_id": call.account_id,
            "region": call.region,
            "service_name": service_name,
            "service_instance_name": instance_name,
            "type": AUTOMATED,
            "status": store.ACTIVE,
            "created_reason": reason,
            "created_at": created_at,
            "resolved_reason": None,
            "resolved_at": None,
        }
        store.insert(call.tx, row)
        return row


# -- the API -----------------------------------------------------------------------------------------------------


def blocker_wire(row: Row) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "createdAt": Millis(row["created_at"]),
        "createdReason": row["created_reason"],
        "id": row["id"],
        "status": row["status"],
        "type": row["type"],
    }
    if row["service_instance_name"] is not None:
        # [decided] Y-17: an instance blocker names its instance; a service blocker has no contexts.
        wire["contexts"] = [{"key": "serviceInstanceName", "value": row["service_instance_name"]}]
    if row["resolved_at"] is not None:
        wire["resolvedAt"] = Millis(row["resolved_at"])
        wire["resolvedReason"] = row["resolved_reason"]
    return wire


def blocker_not_found(blocker_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested sync blocker does not exist: {blocker_id}")  # [decided] Y-17


class SyncBlockers:
    def __init__(self, services: Services, instances: ServiceInstances) -> None:
        self.services = services
        self.instances = instances

    def summary(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[doc] The target's ACTIVE blocker, then its last RESOLVED ones; a service-only call gives the
        service's own blockers, not its instances'."""
        service_name, instance_name = params["serviceName"], params.get("serviceInstanceName")
        self.services.load(call, service_name)  # [decided] S-4: an unknown service is not found, as such
        if instance_name is not None and self.instances.find(call, service_name, instance_name) is None:
            raise instance_not_found(call.scope, service_name, instance_name)
        active = store.active(call.tx, call.scope, service_name, instance_name)
        rows = [
            *([active] if active is not None else []),
            *store.latest(call.tx, call.scope, service_name, instance_name, RESOLVED_SHOWN),
        ]
        summary: dict[str, Any] = {"serviceName": service_name, "latestBlockers": [blocker_wire(r) for r in rows]}
        if instance_name is not None:
            summary["serviceInstanceName"] = instance_name
        return {"serviceSyncBlockerSummary": summary}

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[doc] Resolves an ACTIVE blocker; the next run syncs its target again."""
        blocker_id = params["id"]
        row = store.get(call.tx, call.scope, blocker_id)
        if row is not None:
            # Reading the service takes the scope's lock (a concurrent resolve of the same blocker waits, then
            # reads it RESOLVED) and stores a deletion of the service that has ended, which takes its blockers.
            self.services.find(call, row["service_name"])
            row = store.get(call.tx, call.scope, blocker_id)
        if row is None:
            raise blocker_not_found(blocker_id)
        if row["status"] != store.ACTIVE:
            raise ConflictException(f"Sync blocker {blocker_id} is already resolved")  # [decided] Y-17
        resolved_at = max(call.now_ms, row["created_at"])  # never before it was created (see _CREATED_STEP_MS)
        store.resolve(call.tx, call.scope, blocker_id, params["resolvedReason"], resolved_at)
        resolved = {**row, "status": store.RESOLVED, "resolved_reason": params["resolvedReason"]}
        answer: dict[str, Any] = {
            "serviceName": row["service_name"],
            "serviceSyncBlocker": blocker_wire({**resolved, "resolved_at": resolved_at}),
        }
        if row["service_instance_name"] is not None:
            answer["serviceInstanceName"] = row["service_instance_name"]
        return answer
