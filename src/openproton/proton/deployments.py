"""The one deployment mechanism, for every target type (environments.md, services.md "Deployments").

No cloud is provisioned. When a deployment starts, the settle policy fixes how and when it ends: its
`outcome` and `settles_at`. Reads past that moment see the deployment ended; the next write that touches it
stores the ending, on the deployment and on the target that mirrors it. So a zero delay ends a deployment by
the first read after it started (waiters finish on their first poll), nothing runs in the background, and a
test's injected clock moves deployments forward.

A deployment with no outcome waits: under the `manual` policy until the admin interface settles it, for
self-managed targets until NotifyResourceDeploymentStatusChange [doc]. A target type (targets.py) says where
its row lives; the families say only what starting a deployment of their resource means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from openproton.store import Database, Scope
from openproton.store import deployments as store
from openproton.store import provisioning as job_store
from openproton.store.sql import Tx

from .call import Call
from .clock import Clock
from .deployment_view import (
    CANCELLED,
    CANCELLED_MESSAGE,
    CANCELLING,
    CREATE,
    DELETE,
    DELETE_IN_PROGRESS,
    FAILED,
    IN_PROGRESS,
    SUCCEEDED,
    UNDER_WAY,
    admin_view,
    after_deployment,
    as_of,
    changed_columns,
    merge_outputs,
    not_found,
    outputs_of,
    scope_of,
)
from .errors import ConflictException
from .provisioners import JOB_PROVISIONERS, JOBS_POSTED, NONE, SETTLE, SETTLED_BY_HAND, Prepared, cancel_job
from .settle_policy import Plan, SettlePolicies, SettlePolicy, SettlePolicyError
from .tagging import Tags
from .targets import KINDS, STATE_COLUMNS, Row, TargetKind

__all__ = ["Deployments", "SettlePolicy", "SettlePolicyError"]

# A rule that runs when a deployment of a target type is set to fail by a notification or by the admin
# interface (a failed instance fails its service's pipeline deployment, services.md S-14): (tx, deployment, now).
OnFailed = Callable[[Tx, Row, int], None]


class LeaseLost(Exception):
    """A worker's lease on a job ran out before it wrote the ending; another worker has the job now."""


def lock_key(scope: Scope) -> str:
    """The lock that writers of a scope's deployed resources and their deployments take (Database.lock)."""
    return f"deployments:{scope.region}:{scope.account_id}"


def belongs(deployment: Row, kind: TargetKind, target: Row) -> bool:
    """Whether the deployment is of this target, not of an earlier one of the same name."""
    return (
        deployment["target_type"] == kind.type
        and deployment["target_arn"] == kind.arn(target)
        and deployment["target_resource_created_at"] == target["created_at"]
    )


class Deployments:
    """Starting, reading, ending and cancelling deployments of any target; the policy that ends them."""

    def __init__(
        self, started_with: SettlePolicy, tags: Tags, clock: Clock, *, on_failed: Mapping[str, OnFailed] | None = None
    ) -> None:
        self.policies = SettlePolicies(started_with)
        self.tags = tags
        self.clock = clock
        self.on_failed = dict(on_failed or {})

    # -- the settle policy (kept for the admin facade) -------------------------------------------------

    @property
    def started_with(self) -> SettlePolicy:
        return self.policies.started_with

    def read_policy(self, database: Database) -> SettlePolicy:
        return self.policies.read(database)

    def set_policy(self, database: Database, policy: SettlePolicy | None) -> SettlePolicy:
        return self.policies.set(database, policy)

    # -- locking ----------------------------------------------------------------------------------------

    def lock_scope(self, call: Call, scope: Scope | None = None) -> None:
        """Take the scope's deployments lock, then read the time again.

        The call's time was read before the lock. On PostgreSQL a writer may wait here while another starts
        and commits a deployment; acting on the older moment would let it see that deployment as not yet ended
        when reads already show it ended. (SQLite reads the time after its write lock, so nothing changes there.)
        """
        call.database.lock(call.tx, lock_key(scope or call.scope))
        call.now_ms = max(call.now_ms, self.clock.now_ms())

    # -- a target as it reads now -----------------------------------------------------------------------

    def current(self, call: Call, kind: TargetKind, row: Row) -> tuple[Row | None, Row | None]:
        """The target and its deployment under way (if any) as they read now; None once a deletion ended.

        A writing call stores an ending it sees, so the stored rows catch up with what reads have shown.
        """
        if row["deployment_status"] not in UNDER_WAY:
            return row, None
        stored = store.get(call.tx, scope_of(row), row["last_attempted_deployment_id"])
        if stored is None:  # cannot happen: the latest deployment cannot be deleted [decided] D-10
            return row, None
        deployment = as_of(stored, call.now_ms)
        if deployment is stored:
            return row, deployment
        target = after_deployment(kind, row, deployment)
        if call.write:
            store.update(call.tx, stored["id"], changed_columns(stored, deployment))
            if target is None:
                store.delete_target(call.tx, kind.table, kind.key(row))
                self.tags.drop(call, kind.arn(row))
            else:
                store.update_target(call.tx, kind.table, kind.key(row), changed_columns(row, target))
        return target, None

    # -- starting ---------------------------------------------------------------------------------------

    def plan(self, tx: Tx, now_ms: int, *, self_managed: bool) -> Plan:
        """How a deployment that starts now ends: by the policy in force ([decided] D-12), or by notification."""
        if self_managed:
            return None, None, None  # [doc] it waits for NotifyResourceDeploymentStatusChange
        return self.policies.current(tx).plan(now_ms)

    def start(
        self,
        call: Call,
        kind: TargetKind,
        row: Row,
        deployment_id: str,
        action: str,
        target: Mapping[str, Any],
        *,
        self_managed: bool,
        environment_account_id: str | None,
        fails_now: str | None = None,
        plan: Plan | None = None,
        names: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
        prepared: Prepared | None = None,
    ) -> Row:
        """Start a deployment of `row` (changed in place to show it), record it, and return it.

        `target`: the state to deploy, keyed by the row's columns of the kind's state (targets.versioned for a
        template version). `fails_now`: why it cannot run (D-14: a connection that is not CONNECTED), so it
        fails at once. `plan`: an ending the caller fixed itself. `names`, `state`: deployment columns the target
        type adds.
        """
        status = DELETE_IN_PROGRESS if action == DELETE else IN_PROGRESS
        if plan is None:
            plan = self.plan(call.tx, call.now_ms, self_managed=self_managed)
            if action == DELETE and self_managed:
                # [decided] S-29: nothing would ever notify a self-managed deletion; it ends by the first read.
                plan = (SUCCEEDED, None, call.now_ms)
        provisioner = prepared.provisioner if prepared is not None else SETTLE
        job = prepared.job if prepared is not None and provisioner in JOB_PROVISIONERS else None
        if job is not None:
            plan = (None, None, None)  # [decided] P-10: its provisioner's worker writes the ending
        elif provisioner == NONE:
            plan = (SUCCEEDED, None, call.now_ms)  # [decided] P-8: a customer-managed environment, at once
        if fails_now is not None:
            plan = (FAILED, fails_now, call.now_ms)
            job = None
        outcome, outcome_message, settles_at = plan
        initial = action != CREATE
        deployment = {
            **_EMPTY,
            "id": deployment_id,
            "account_id": call.account_id,
            "region": call.region,
            "target_type": kind.type,
            "target_arn": kind.arn(row),
            **kind.names(row),
            **(names or {}),
            "environment_account_id": environment_account_id,
            "target_resource_created_at": row["created_at"],
            "kind": action,
            "provisioner": provisioner,
            "status": status,
            "outcome": outcome,
            "outcome_message": outcome_message,
            "settles_at": settles_at,
            "template_name": row.get("template_name"),
            **(kind.initial(row) if initial else {}),
            **kind.target(target),
            "previous_attempted_id": row["last_attempted_deployment_id"] if initial else None,
            "previous_succeeded_id": row["last_succeeded_deployment_id"] if initial else None,
            **(state or {}),
            "outputs": orjson.dumps(prepared.outputs or []).decode() if prepared is not None else "[]",
            "provisioned_resources": "[]",
            "created_at": call.now_ms,
            "last_modified_at": call.now_ms,
        }
        row.update(
            deployment_status=status,
            deployment_status_message=None,
            last_deployment_attempted_at=call.now_ms,
            last_attempted_deployment_id=deployment_id,
        )
        store.insert(call.tx, deployment)
        if job is not None:
            job_store.insert_job(
                call.tx, call.scope, deployment_id, provisioner, action, orjson.dumps(job).decode(), call.now_ms
            )
            call.memo[JOBS_POSTED] = True  # the composition root wakes a worker once this call committed
        return deployment

    def set_ending(self, tx: Tx, deployment: Row, outcome: str, message: str | None, at: int) -> None:
        """Fix how a deployment under way ends (a cascade from another target's failure, S-14)."""
        store.update(
            tx,
            deployment["id"],
            {
                "outcome": outcome,
                "outcome_message": message,
                "settles_at": at,
                "last_modified_at": max(at, deployment["last_modified_at"]),
            },
        )

    # -- cancelling ---------------------------------------------------------------------------------------

    def cancel(self, call: Call, kind: TargetKind, row: Row, deployment: Row | None, *, updates_only: bool) -> Row:
        """[doc] Cancel the target's deployment IN_PROGRESS; returns the target as the call answers it.

        `updates_only`: only a deployment an update started can be cancelled (instances and pipelines [doc]).
        """
        if (
            row["deployment_status"] != IN_PROGRESS
            or deployment is None
            or (updates_only and deployment["kind"] != "UPDATE")
        ):
            state = row["deployment_status"]
            started_by = " started by an update" if updates_only else ""
            raise ConflictException(
                f"{_capital(kind.label(row))} has no deployment IN_PROGRESS{started_by} to cancel "
                f"(its deployment is {state})."
            )
        changes: dict[str, Any] = {
            "status": CANCELLING,
            "last_modified_at": max(call.now_ms, deployment["last_modified_at"]),
        }
        # [decided] P-17: a provisioner that stops the work itself ends it, and until then it reads CANCELLING.
        # [decided] D-2: otherwise CANCELLING answers the call and the cancellation ends at once: reads see
        # CANCELLED.
        if not cancel_job(call, deployment):
            changes.update(outcome=CANCELLED, outcome_message=CANCELLED_MESSAGE, settles_at=call.now_ms)
        store.update(call.tx, deployment["id"], changes)
        store.update_target(call.tx, kind.table, kind.key(row), {"deployment_status": CANCELLING})
        return {**row, "deployment_status": CANCELLING}

    # -- what deployments produced ----------------------------------------------------------------------

    def produced_by(self, call: Call, kind: TargetKind, row: Row, deployment_id: str | None) -> Row | None:
        """The deployment whose products are listed: the one named, else the target's last successful one."""
        deployment_id = deployment_id or row["last_succeeded_deployment_id"]
        if deployment_id is None:
            return None
        found = store.get(call.tx, scope_of(row), deployment_id)
        if found is None or not belongs(found, kind, row):
            raise not_found(deployment_id)
        return found

    # -- NotifyResourceDeploymentStatusChange -----------------------------------------------------------

    def notify(self, call: Call, kind: TargetKind, row: Row, deployment: Row | None, params: dict[str, Any]) -> None:
        """[decided] S-27: the target's deployment under way records outputs and, with a final status, ends now."""
        deployment_id = params.get("deploymentId") or row["last_attempted_deployment_id"]
        if deployment is None or deployment["id"] != deployment_id:
            named = store.get(call.tx, scope_of(row), deployment_id)
            if named is None or not belongs(named, kind, row):
                raise not_found(deployment_id)
            raise ConflictException(f"Deployment {deployment_id} of {kind.label(row)} is not in progress.")
        changes: dict[str, Any] = {"last_modified_at": max(call.now_ms, deployment["last_modified_at"])}
        if params.get("outputs"):
            merged = merge_outputs(outputs_of(deployment), params["outputs"])
            changes["outputs"] = orjson.dumps(merged).decode()
        status = params.get("status")
        if status in (SUCCEEDED, FAILED):
            changes.update(outcome=status, outcome_message=params.get("statusMessage"), settles_at=call.now_ms)
        store.update(call.tx, deployment_id, changes)
        if status == FAILED:
            self._failed(call.tx, {**deployment, **changes}, call.now_ms)

    def _failed(self, tx: Tx, deployment: Row, now_ms: int) -> None:
        rule = self.on_failed.get(deployment["target_type"])
        if rule is not None:
            rule(tx, deployment, now_ms)

    # -- administrative: list and settle by hand -------------------------------------------------------

    def under_way(self, database: Database, now_ms: int, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Deployments that have not ended, in every account and region, oldest first."""
        with database.transaction(write=False) as tx:
            rows = [as_of(row, now_ms) for row in store.under_way(tx, now_ms=now_ms, limit=limit)]
        return [admin_view(row) for row in rows if row["status"] in UNDER_WAY]

    def settle(
        self,
        database: Database,
        now_ms: int,
        deployment_id: str,
        *,
        status: str,
        message: str | None = None,
        outputs: list[dict[str, Any]] | None = None,
        provisioned_resources: list[dict[str, Any]] | None = None,
        guard: Callable[[Tx], bool] | None = None,
    ) -> dict[str, Any]:
        """End a deployment that is under way, as SUCCEEDED or FAILED, with what it produced.

        `guard`: run first in the same transaction (a provisioner's worker ends its job there, [decided] P-11: the
        ending is written only while its lease is held); False raises LeaseLost and writes nothing."""
        # [decided] P-17: only a provisioner (a guarded ending) ends a deployment CANCELLED.
        if status not in (SUCCEEDED, FAILED) and not (guard is not None and status == CANCELLED):
            raise SettlePolicyError(f"status must be SUCCEEDED or FAILED, not {status!r}.")
        if message is not None and not isinstance(message, str):
            raise SettlePolicyError("statusMessage must be a string.")
        check_produced("outputs", outputs)
        check_produced("provisionedResources", provisioned_resources)
        with database.transaction(write=True) as tx:
            if guard is not None and not guard(tx):
                raise LeaseLost(deployment_id)
            row = store.find(tx, deployment_id)
            if row is None:
                raise LookupError(f"No deployment {deployment_id}.")
            # As the API's writers do, then read again: a cancel or a notify may have ended it meanwhile.
            database.lock(tx, lock_key(scope_of(row)))
            now_ms = max(now_ms, self.clock.now_ms())  # as lock_scope does
            row = store.find(tx, deployment_id) or row
            current = as_of(row, now_ms)
            if current["status"] not in UNDER_WAY or (status == CANCELLED and current["status"] != CANCELLING):
                raise SettlePolicyError(f"Deployment {deployment_id} is {current['status']}; it cannot be settled.")
            if guard is None and (row.get("provisioner") or SETTLE) not in SETTLED_BY_HAND:
                # [decided] P-8: its provisioner ends it; a hand on it would race the worker.
                raise SettlePolicyError(
                    f"Deployment {deployment_id} is run by the {row['provisioner']} provisioner; it cannot be settled."
                )
            changes: dict[str, Any] = {
                "outcome": status,
                "outcome_message": message,
                "settles_at": now_ms,
                "last_modified_at": max(now_ms, row["last_modified_at"]),
            }
            if outputs is not None:
                changes["outputs"] = orjson.dumps(merge_outputs(outputs_of(row), outputs)).decode()
            if provisioned_resources is not None:
                changes["provisioned_resources"] = orjson.dumps(provisioned_resources).decode()
            store.update(tx, deployment_id, changes)
            if status == FAILED:
                self._failed(tx, {**row, **changes}, now_ms)
            return admin_view(as_of({**row, **changes}, now_ms))


# The columns a deployment leaves empty unless its target type or its start fills them.
_EMPTY: dict[str, Any] = {
    **{column: None for column in STATE_COLUMNS},
    "environment_name": None,
    "service_name": None,
    "service_instance_name": None,
    "component_name": None,
    "status_message": None,
    "last_successful_environment_deployment_id": None,
    "last_successful_pipeline_deployment_id": None,
    "last_successful_component_deployment_id": None,
    "completed_at": None,
    "provisioner": None,
}


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def kind_of(deployment: Row) -> TargetKind:
    return KINDS[deployment["target_type"]]


# What a settled deployment may have produced: the members of the model's Output and ProvisionedResource, with
# their longest strings (None: an enum). API answers carry them as they are, so they are checked here.
_PRODUCED: dict[str, dict[str, int | None]] = {
    "outputs": {"key": 1024, "valueString": 1024},
    "provisionedResources": {"identifier": 200, "name": 200, "provisioningEngine": None},
}
_ENGINES = ("CLOUDFORMATION", "TERRAFORM")


def check_produced(name: str, items: Any) -> None:
    if items is None:
        return
    if not (isinstance(items, list) and all(isinstance(item, dict) for item in items)):
        raise SettlePolicyError(f"{name} must be a list of objects.")
    members = _PRODUCED[name]
    for position, item in enumerate(items, 1):
        unknown = sorted(set(item) - set(members))
        if unknown:
            raise SettlePolicyError(
                f"{name} item {position} has unknown members {', '.join(unknown)}; it takes {', '.join(members)}."
            )
        for member, value in item.items():
            longest = members[member]
            if longest is None:
                if value not in _ENGINES:
                    raise SettlePolicyError(
                        f"{name} item {position}: {member} must be one of {', '.join(_ENGINES)}, not {value!r}."
                    )
            elif not (isinstance(value, str) and 1 <= len(value) <= longest):
                raise SettlePolicyError(
                    f"{name} item {position}: {member} must be a string of 1 to {longest} characters."
                )
