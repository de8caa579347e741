"""Deployments: how a change to an environment runs and ends (../shared/spec/environments.md).

No cloud is provisioned. When a deployment starts, the settle policy fixes how and when it ends: its
`outcome` and `settles_at`. Reads past that moment see the deployment ended; the next write that touches it
stores the ending. So a zero delay ends a deployment by the first read after it started (waiters finish on
their first poll), nothing runs in the background, and a test's injected clock moves deployments forward.

A deployment with no outcome waits: under the `manual` policy until the admin interface settles it, for
self-managed environments until NotifyResourceDeploymentStatusChange [doc].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from openproton import decided
from openproton.protocol.serializer import Millis
from openproton.settings import MAX_SETTLE_DELAY_SECONDS
from openproton.store import Database, Scope
from openproton.store import environments as store
from openproton.store.sql import Tx

from . import arns, paging
from .call import Call
from .clock import Clock
from .errors import ResourceNotFoundException, ValidationException
from .tagging import Tags

RESOURCE_TYPE = "deployment"

# What a deployment does to its environment when it succeeds.
CREATE, UPDATE, DELETE = "CREATE", "UPDATE", "DELETE"

IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
CANCELLING = "CANCELLING"
CANCELLED = "CANCELLED"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
DELETE_COMPLETE = "DELETE_COMPLETE"
DELETE_FAILED = "DELETE_FAILED"
UNDER_WAY = store.UNDER_WAY

# (status while under way, outcome) -> the status it ends in.
_ENDINGS = {
    (IN_PROGRESS, SUCCEEDED): SUCCEEDED,
    (IN_PROGRESS, FAILED): FAILED,
    (DELETE_IN_PROGRESS, SUCCEEDED): DELETE_COMPLETE,
    (DELETE_IN_PROGRESS, FAILED): DELETE_FAILED,
    (CANCELLING, CANCELLED): CANCELLED,
}

SUCCEED, FAIL, MANUAL = "succeed", "fail", "manual"
POLICIES = (SUCCEED, FAIL, MANUAL)


class SettlePolicyError(ValueError):
    """A settle policy or a settlement that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class SettlePolicy:
    """How deployments end: `succeed` or `fail` after `delay_ms`, or `manual` (they wait to be settled)."""

    policy: str = SUCCEED
    delay_ms: int = 0
    message: str | None = None  # the status message of deployments that `fail`

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "delaySeconds": self.delay_ms / 1000, "message": self.message}

    @classmethod
    def from_dict(cls, data: Any) -> SettlePolicy:
        if not isinstance(data, dict):
            raise SettlePolicyError(
                'A settle policy is a JSON object such as {"policy": "succeed", "delaySeconds": 0}.'
            )
        unknown = sorted(set(data) - {"policy", "delaySeconds", "message"})
        if unknown:
            raise SettlePolicyError(f"Unknown settle policy fields: {', '.join(unknown)}.")
        policy = data.get("policy")
        if policy not in POLICIES:
            raise SettlePolicyError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}.")
        delay = data.get("delaySeconds", 0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise SettlePolicyError(f"delaySeconds must be a number of seconds, 0 or more, not {delay!r}.")
        if not delay <= MAX_SETTLE_DELAY_SECONDS:  # also NaN, which compares false
            raise SettlePolicyError(f"delaySeconds must be at most {MAX_SETTLE_DELAY_SECONDS} (a year), not {delay!r}.")
        message = data.get("message")
        if message is not None and not isinstance(message, str):
            raise SettlePolicyError("message must be a string.")
        return cls(policy, round(delay * 1000), message)


def as_of(row: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """The deployment as it reads at `now_ms`: ended if its outcome is due. Returns `row` itself if unchanged."""
    settles_at = row["settles_at"]
    if row["status"] not in UNDER_WAY or row["outcome"] is None or settles_at is None or now_ms < settles_at:
        return row
    return {
        **row,
        "status": _ENDINGS[row["status"], row["outcome"]],
        "status_message": row["outcome_message"],
        "completed_at": settles_at,
        "last_modified_at": max(settles_at, row["last_modified_at"]),
    }


def changed_columns(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The columns of `after` that differ from `before`: what an update must write."""
    return {key: value for key, value in after.items() if before[key] != value}


def environments_lock_key(scope: Scope) -> str:
    """The lock that writers of a scope's environments and their deployments take (Database.lock)."""
    return f"environments:{scope.region}:{scope.account_id}"


def deployment_arn(row: dict[str, Any]) -> str:
    return arns.build(row["region"], row["account_id"], RESOURCE_TYPE, row["id"])


# The resource a deployment targets (environment_view.py shows the environment itself).
ENVIRONMENT_TYPE = "environment"


def environment_arn(scope: Scope, name: str) -> str:
    return arns.build(scope.region, scope.account_id, ENVIRONMENT_TYPE, name)


def _state(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}_major_version"] is None:
        return None
    return {
        "environment": {
            "spec": row[f"{prefix}_spec"],
            "templateMajorVersion": str(row[f"{prefix}_major_version"]),
            "templateMinorVersion": str(row[f"{prefix}_minor_version"]),
            "templateName": row["template_name"],
        }
    }


def to_wire(row: dict[str, Any], *, summary: bool = False) -> dict[str, Any]:
    """The model's Deployment (or DeploymentSummary)."""
    wire: dict[str, Any] = {
        "arn": deployment_arn(row),
        "completedAt": Millis(row["completed_at"]) if row["completed_at"] is not None else None,
        "createdAt": Millis(row["created_at"]),
        "deploymentStatus": row["status"],
        "environmentName": row["environment_name"],
        "id": row["id"],
        "lastAttemptedDeploymentId": row["previous_attempted_id"],
        "lastModifiedAt": Millis(row["last_modified_at"]),
        "lastSucceededDeploymentId": row["previous_succeeded_id"],
        "targetArn": environment_arn(Scope(row["account_id"], row["region"]), row["environment_name"]),
        "targetResourceCreatedAt": Millis(row["target_resource_created_at"]),
        "targetResourceType": "ENVIRONMENT",
    }
    if not summary:
        wire["deploymentStatusMessage"] = row["status_message"]
        wire["initialState"] = _state(row, "initial")
        wire["targetState"] = _state(row, "target")
    return wire


def outputs_of(row: dict[str, Any] | None) -> list[dict[str, Any]]:
    return orjson.loads(row["outputs"]) if row is not None else []


def provisioned_resources_of(row: dict[str, Any] | None) -> list[dict[str, Any]]:
    return orjson.loads(row["provisioned_resources"]) if row is not None else []


def merge_outputs(current: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outputs by key: a later value for a key replaces the earlier one; the order of first appearance stays."""
    merged = {item.get("key"): item for item in current}
    for item in new:
        merged[item.get("key")] = item
    return list(merged.values())


def not_found(deployment_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested deployment does not exist: {deployment_id}")


class Deployments:
    """The deployment records (Get, List, Delete) and the policy that ends them."""

    def __init__(self, started_with: SettlePolicy, tags: Tags, clock: Clock) -> None:
        self.started_with = started_with
        self.tags = tags
        self.clock = clock
        # The environment as it reads now, or None: set by the provider (environments are their own family).
        self.find_environment: Callable[[Call, str], dict[str, Any] | None] = lambda call, name: None

    def lock_scope(self, call: Call) -> None:
        """Take the scope's environments lock, then read the time again.

        The call's time was read before the lock. On PostgreSQL a writer may wait here while another starts
        and commits a deployment; acting on the older moment would let it see that deployment as not yet ended
        when reads already show it ended. (SQLite reads the time after its write lock, so nothing changes there.)
        """
        call.database.lock(call.tx, environments_lock_key(call.scope))
        call.now_ms = max(call.now_ms, self.clock.now_ms())

    # -- the settle policy ---------------------------------------------------------------------------

    def policy(self, tx: Tx) -> SettlePolicy:
        """The policy set at run time (kept in the database, so every replica follows it), else the start one."""
        row = store.get_policy(tx)
        if row is None:
            return self.started_with
        return SettlePolicy(row["policy"], int(row["delay_ms"]), row["message"])

    def read_policy(self, database: Database) -> SettlePolicy:
        with database.transaction(write=False) as tx:
            return self.policy(tx)

    def set_policy(self, database: Database, policy: SettlePolicy | None) -> SettlePolicy:
        """Set the run-time policy; None returns to the one this process started with."""
        with database.transaction(write=True) as tx:
            database.lock(tx, "settle-policy")  # replicas may set it at once: one writer at a time
            if policy is None:
                store.clear_policy(tx)
            else:
                store.put_policy(tx, policy=policy.policy, delay_ms=policy.delay_ms, message=policy.message)
            return self.policy(tx)

    def plan(self, tx: Tx, now_ms: int, *, self_managed: bool) -> tuple[str | None, str | None, int | None]:
        """(outcome, its status message, when) for a deployment that starts now: [decided] D-12."""
        if self_managed:
            return None, None, None  # [doc] it waits for NotifyResourceDeploymentStatusChange
        policy = self.policy(tx)
        if policy.policy == MANUAL:
            return None, None, None
        if policy.policy == FAIL:
            return FAILED, policy.message or decided.SETTLE_FAIL_MESSAGE, now_ms + policy.delay_ms
        return SUCCEEDED, None, now_ms + policy.delay_ms

    # -- administrative: settle one deployment by hand ----------------------------------------------

    def under_way(self, database: Database, now_ms: int, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Deployments that have not ended, in every account and region, oldest first."""
        with database.transaction(write=False) as tx:
            rows = [as_of(row, now_ms) for row in store.deployments_under_way(tx, now_ms=now_ms, limit=limit)]
        return [_admin_view(row) for row in rows if row["status"] in UNDER_WAY]

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
    ) -> dict[str, Any]:
        """End a deployment that is under way, as SUCCEEDED or FAILED, with what it produced."""
        if status not in (SUCCEEDED, FAILED):
            raise SettlePolicyError(f"status must be SUCCEEDED or FAILED, not {status!r}.")
        if message is not None and not isinstance(message, str):
            raise SettlePolicyError("statusMessage must be a string.")
        _check_produced("outputs", outputs)
        _check_produced("provisionedResources", provisioned_resources)
        with database.transaction(write=True) as tx:
            row = store.find_deployment(tx, deployment_id)
            if row is None:
                raise LookupError(f"No deployment {deployment_id}.")
            # As the API's writers do, then read again: a cancel or a notify may have ended it meanwhile.
            database.lock(tx, environments_lock_key(Scope(row["account_id"], row["region"])))
            now_ms = max(now_ms, self.clock.now_ms())  # as lock_scope does
            row = store.find_deployment(tx, deployment_id) or row
            current = as_of(row, now_ms)
            if current["status"] not in (IN_PROGRESS, DELETE_IN_PROGRESS):
                raise SettlePolicyError(f"Deployment {deployment_id} is {current['status']}; it cannot be settled.")
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
            store.update_deployment(tx, deployment_id, changes)
            return _admin_view(as_of({**row, **changes}, now_ms))

    # -- the operations ------------------------------------------------------------------------------

    def load(self, call: Call, deployment_id: str) -> dict[str, Any]:
        row = store.get_deployment(call.tx, call.scope, deployment_id)
        if row is None:
            raise not_found(deployment_id)
        return as_of(row, call.now_ms)

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _no_other_targets(params)
        row = self.load(call, params["id"])
        if params.get("environmentName") not in (None, row["environment_name"]):
            raise not_found(params["id"])
        return {"deployment": to_wire(row)}

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _no_other_targets(params)
        name = params.get("environmentName")
        created_at = None
        if name is not None:
            environment = self.find_environment(call, name)
            if environment is None:
                raise ResourceNotFoundException(f"The requested environment does not exist: {name}")
            # The environment of that name now: not an earlier one of the same name that was deleted.
            created_at = environment["created_at"]
        query = paging.query_key("ListDeployments", call.account_id, call.region, name, created_at)
        position = paging.decode(params.get("nextToken"), query, (int, str))
        limit = paging.page_size(params)
        # [decided] D-9: newest first.
        rows = store.page_deployments(
            call.tx,
            call.scope,
            environment=(name, created_at) if name is not None else None,
            before=(position[0], position[1]) if position else None,
            limit=limit + 1,
        )
        page = [as_of(row, call.now_ms) for row in rows[:limit]]
        result: dict[str, Any] = {"deployments": [to_wire(row, summary=True) for row in page]}
        if len(rows) > limit:
            result["nextToken"] = paging.encode(query, [page[-1]["created_at"], page[-1]["id"]])
        return result

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self.lock_scope(call)
        row = self.load(call, params["id"])
        if row["status"] in UNDER_WAY:
            # [decided] D-10 (the model gives DeleteDeployment no ConflictException)
            raise ValidationException(
                f"Deployment {row['id']} is {row['status']}; only a deployment that has ended can be deleted."
            )
        environment = self.find_environment(call, row["environment_name"])
        if environment is not None and row["id"] in (
            environment["last_attempted_deployment_id"],
            environment["last_succeeded_deployment_id"],
        ):
            # [decided] D-10
            raise ValidationException(
                f"Deployment {row['id']} is the latest deployment of environment {row['environment_name']} "
                "and cannot be deleted."
            )
        store.delete_deployment(call.tx, row["id"])
        self.tags.drop(call, deployment_arn(row))
        return {"deployment": to_wire(row)}

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        if arn.account_id != call.account_id:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
        if call.write:  # so that a tag cannot land on a deployment being deleted
            self.lock_scope(call)
        self.load(call, resource_id)


# What a settled deployment may have produced: the members of the model's Output and ProvisionedResource, with
# their longest strings (None: an enum). API answers carry them as they are, so they are checked here.
_PRODUCED: dict[str, dict[str, int | None]] = {
    "outputs": {"key": 1024, "valueString": 1024},
    "provisionedResources": {"identifier": 200, "name": 200, "provisioningEngine": None},
}
_ENGINES = ("CLOUDFORMATION", "TERRAFORM")


def _check_produced(name: str, items: Any) -> None:
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


def _no_other_targets(params: dict[str, Any]) -> None:
    """Services, service instances and components do not exist in OpenProton yet, so nothing is deployed to them."""
    for member, noun in (
        ("serviceName", "service"),
        ("serviceInstanceName", "service instance"),
        ("componentName", "component"),
    ):
        if params.get(member) is not None:
            raise ResourceNotFoundException(f"The requested {noun} does not exist: {params[member]}")


def _admin_view(row: dict[str, Any]) -> dict[str, Any]:
    """A deployment for the admin interface: the API's shape, plus whose it is and what it produced."""
    wire = {key: value for key, value in to_wire(row).items() if value is not None}
    for key in ("completedAt", "createdAt", "lastModifiedAt", "targetResourceCreatedAt"):
        if key in wire:
            wire[key] = int(wire[key])
    return {
        **wire,
        "accountId": row["account_id"],
        "region": row["region"],
        "outputs": outputs_of(row),
        "provisionedResources": provisioned_resources_of(row),
    }


def new_row(
    call_scope: Scope,
    *,
    deployment_id: str,
    environment: dict[str, Any],
    kind: str,
    status: str,
    target: tuple[int, int, str | None],
    plan: tuple[str | None, str | None, int | None],
    now_ms: int,
) -> dict[str, Any]:
    """A deployment row for `environment` (as it stands before the deployment) moving to `target`."""
    initial = kind != CREATE
    outcome, outcome_message, settles_at = plan
    return {
        "id": deployment_id,
        "account_id": call_scope.account_id,
        "region": call_scope.region,
        "environment_name": environment["name"],
        "target_resource_created_at": environment["created_at"],
        "kind": kind,
        "status": status,
        "status_message": None,
        "outcome": outcome,
        "outcome_message": outcome_message,
        "settles_at": settles_at,
        "template_name": environment["template_name"],
        "initial_major_version": environment["template_major_version"] if initial else None,
        "initial_minor_version": environment["template_minor_version"] if initial else None,
        "initial_spec": environment["spec"] if initial else None,
        "target_major_version": target[0],
        "target_minor_version": target[1],
        "target_spec": target[2],
        "previous_attempted_id": environment["last_attempted_deployment_id"] if initial else None,
        "previous_succeeded_id": environment["last_succeeded_deployment_id"] if initial else None,
        "outputs": "[]",
        "provisioned_resources": "[]",
        "created_at": now_ms,
        "last_modified_at": now_ms,
        "completed_at": None,
    }
